"""Evaluation: gold sets, metrics, `python -m rag eval`, `python -m rag bench`, scaling curves and the
llama-index baseline (anchor)."""
