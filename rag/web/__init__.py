"""The HTTP API beside the page: REST routes (/api), the OpenAI-compatible endpoint (/v1), keys, errors."""
