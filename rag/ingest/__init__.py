"""Ingest: decode, read, clean and title documents; parse them into clauses with their duties."""
