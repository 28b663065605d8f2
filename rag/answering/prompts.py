"""Prompt templates as files in prompts/, with named placeholders that must all be filled."""

from __future__ import annotations

import importlib.resources
import re
import string
from functools import lru_cache
from pathlib import Path

from ..errors import PromptError


def _prompt_dir() -> Path:
    """The prompts/ folder: installed as the package rag.prompts (pyproject's package-dir), so a wheel carries it;
    a source checkout that was never installed reads it beside the package."""
    try:
        return Path(str(importlib.resources.files("rag.prompts")))
    except ModuleNotFoundError:
        return Path(__file__).resolve().parents[2] / "prompts"


PROMPT_DIR = _prompt_dir()

# Placeholders each template must contain (and may only contain).
REQUIRED: dict[str, frozenset[str]] = {
    "system": frozenset({"refusal"}),
    "answer": frozenset({"context", "question"}),
    "condense": frozenset({"history", "question"}),
    "refusal": frozenset(),
}


def placeholders(template: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(template) if field}


@lru_cache(maxsize=None)
def load_template(name: str, folder: Path = PROMPT_DIR) -> str:
    path = Path(folder) / f"{name}.txt"
    if not path.is_file():
        raise PromptError(f"prompt template {path} is missing")
    text = path.read_text(encoding="utf-8").strip()
    found = placeholders(text)
    want = REQUIRED.get(name, frozenset())
    if want - found:
        raise PromptError(f"prompt {path.name} lacks placeholder(s) {sorted(want - found)}")
    if found - want:
        raise PromptError(f"prompt {path.name} has unknown placeholder(s) {sorted(found - want)}")
    return text


def render(name: str, folder: Path = PROMPT_DIR, **values: str) -> str:
    """Fill a template; every placeholder needs a value (a missing one is an error, not a blank)."""
    template = load_template(name, folder)
    missing = placeholders(template) - set(values)
    if missing:
        raise PromptError(f"prompt {name} rendered without {sorted(missing)}")
    return template.format(**values)


def refusal_text(folder: Path = PROMPT_DIR) -> str:
    return re.sub(r"\s+", "", load_template("refusal", folder))
