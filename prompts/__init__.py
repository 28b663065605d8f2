"""The prompt templates (installed as the package rag.prompts; read by rag/answering/prompts.py)."""
