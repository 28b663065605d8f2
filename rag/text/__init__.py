"""Text rules shared by every stage, each defined once: normalisation, tokens, sentences, citation markers,
masked numbers and wording overlap."""
