"""Answering: intents and named thresholds, conversation, prompt context, strategies without a model, streaming
verification of a model's answer, and composing the Answer. `answerer.Answerer` is the orchestrator."""
