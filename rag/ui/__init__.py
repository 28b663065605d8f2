"""The chat page: handlers (ChatApp), layout (Gradio Blocks), views (escaped HTML), uploads, rebuilds, examples."""
