"""Prompt templates in prompts/: named placeholders that must exist and must be filled."""
from __future__ import annotations

import pytest

from rag.answering.prompts import PROMPT_DIR, PromptError, load_template, refusal_text, render


def test_shipped_templates_load_and_render():
    assert "{refusal}" in load_template("system")
    text = render("answer", context="[1] 条款", question="问题？")
    assert "[1] 条款" in text and "问题？" in text
    assert refusal_text() == "根据现有文件，无法回答这个问题。"


def test_missing_placeholder_in_a_template_is_an_error(tmp_path):
    (tmp_path / "answer.txt").write_text("条款：{context}\n（问题忘了写）", encoding="utf-8")
    with pytest.raises(PromptError, match="lacks placeholder.*question"):
        load_template("answer", tmp_path)


def test_unknown_placeholder_is_an_error(tmp_path):
    (tmp_path / "answer.txt").write_text("{context}{question}{extra}", encoding="utf-8")
    with pytest.raises(PromptError, match="unknown placeholder.*extra"):
        load_template("answer", tmp_path)


def test_rendering_without_a_value_is_an_error_not_a_blank():
    with pytest.raises(PromptError, match="without.*question"):
        render("answer", context="[1] 条款")


def test_missing_template_file_is_an_error(tmp_path):
    with pytest.raises(PromptError, match="missing"):
        load_template("system", tmp_path)


def test_braces_in_values_are_kept_verbatim():
    assert "{not a field}" in render("answer", context="{not a field}", question="？")
    assert PROMPT_DIR.name == "prompts"
