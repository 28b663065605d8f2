"""Settings on pydantic-settings: only from_env reads RAG_*, every value is checked, a bad one is a one-line
SettingsError naming the variable, secrets are SecretStr, sizes are read in megabytes."""
from __future__ import annotations

from pathlib import Path

import pytest

from rag.config import MB, Settings
from rag.errors import RagError, SettingsError


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch):
    import os

    for name in list(os.environ):
        if name.startswith("RAG_") or name == "OPENAI_API_KEY":
            monkeypatch.delenv(name)


def test_settings_made_in_code_do_not_read_the_environment(monkeypatch):
    monkeypatch.setenv("RAG_LLM", "openai")
    monkeypatch.setenv("RAG_TOP_K", "7")
    assert Settings().llm == "local" and Settings().top_k == 5
    from_env = Settings.from_env()
    assert from_env.llm == "openai" and from_env.top_k == 7
    assert Settings.from_env(top_k=3).top_k == 3  # an argument wins over the variable
    assert Settings.from_env(top_k=None).top_k == 7  # None leaves it to the variable


def test_types_and_paths_are_read_from_text(monkeypatch):
    monkeypatch.setenv("RAG_DOCS_DIR", "/srv/docs")
    monkeypatch.setenv("RAG_MIN_RELEVANCE", "0.75")
    monkeypatch.setenv("RAG_UPLOADS", "on")
    monkeypatch.setenv("RAG_SEARCH_SUPERSEDED", "0")
    s = Settings.from_env()
    assert s.docs_dir == Path("/srv/docs") and s.min_relevance == 0.75 and s.uploads is True
    assert s.search_superseded is False


def test_sizes_are_set_in_megabytes(monkeypatch):
    monkeypatch.setenv("RAG_MAX_FILE_MB", "2.5")
    monkeypatch.setenv("RAG_PARSE_MEMORY_MB", "512")
    s = Settings.from_env()
    assert s.max_file_bytes == int(2.5 * MB) and s.parse_memory_bytes == 512 * MB
    assert Settings(max_file_bytes=10).max_file_bytes == 10  # in code, the field itself is in bytes
    monkeypatch.setenv("RAG_MAX_FILE_MB", "twenty")
    with pytest.raises(SettingsError, match="RAG_MAX_FILE_MB='twenty'"):
        Settings.from_env()


@pytest.mark.parametrize(
    "variable, value, named",
    [
        ("RAG_LLM", "lokal", "local, openai, extractive"),
        ("RAG_STORE", "qdrant", "faiss, milvus"),
        ("RAG_PROMPT_MODE", "all", "clauses, evidence"),
        ("RAG_BACKENDS", "local,gpt", "local, openai, extractive"),
        ("RAG_TOP_K", "five", "integer"),
        ("RAG_UPLOADS", "maybe", "boolean"),
        ("RAG_MILVUS_COLLECTION", "1-bad", "Milvus name"),
    ],
)
def test_a_bad_value_is_one_line_naming_the_variable(monkeypatch, variable, value, named):
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError) as caught:
        Settings.from_env()
    message = str(caught.value)
    assert message.count("\n") == 0 and message.startswith(f"{variable}=") and named in message
    assert isinstance(caught.value, RagError) and variable in caught.value.zh


def test_choices_are_checked_in_code_and_in_copies():
    with pytest.raises(SettingsError, match="RAG_STORE"):
        Settings(store="qdrant")
    with pytest.raises(SettingsError, match="RAG_LLM"):
        Settings().with_(llm="gpt-4")
    with pytest.raises(SettingsError):
        Settings(no_such_setting=1)
    assert Settings(llm=" Extractive ").llm == "extractive"


def test_backends_are_a_comma_separated_list(monkeypatch):
    monkeypatch.setenv("RAG_BACKENDS", "extractive, local")
    s = Settings.from_env()
    assert s.backends == ("extractive", "local") and s.offered_backends() == ("extractive", "local")
    assert Settings(llm="openai").offered_backends() == ("openai", "extractive")


def test_secrets_are_secret_str_and_never_shown(monkeypatch):
    monkeypatch.setenv("RAG_API_KEYS", "alice:0123456789abcdef0123")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-openai-variable")
    s = Settings.from_env()
    assert s.api_keys.get_secret_value() == "alice:0123456789abcdef0123"
    assert s.openai_api_key.get_secret_value() == "sk-from-openai-variable"  # RAG_OPENAI_API_KEY unset: the fallback
    shown = repr(s) + str(s) + s.model_dump_json()
    assert "0123456789abcdef" not in shown and "sk-from-openai" not in shown
    monkeypatch.setenv("RAG_OPENAI_API_KEY", "sk-rag")
    assert Settings.from_env().openai_api_key.get_secret_value() == "sk-rag"


def test_settings_are_frozen_hashable_values():
    s = Settings()
    with pytest.raises(Exception):
        s.top_k = 9  # type: ignore[misc]
    assert s == Settings() and hash(s) == hash(Settings())  # shared_session keeps one session per settings
    changed = s.with_(top_k=9, llm=None)
    assert changed.top_k == 9 and changed.llm == s.llm and s.top_k == 5


def test_an_error_about_one_value_never_shows_the_others(monkeypatch):
    monkeypatch.setenv("RAG_API_KEYS", "alice:0123456789abcdef0123")
    monkeypatch.setenv("RAG_MAX_UNZIPPED_MB", "lots")
    with pytest.raises(SettingsError) as caught:
        Settings.from_env()
    assert str(caught.value) == "RAG_MAX_UNZIPPED_MB='lots' is not a number of megabytes"
    assert "0123456789abcdef" not in str(caught.value) + caught.value.zh
    with pytest.raises(SettingsError, match="unknown setting 'no_such_setting'"):
        Settings(no_such_setting=1)


def test_a_bad_secret_is_named_but_never_shown():
    with pytest.raises(SettingsError) as caught:
        Settings(api_keys=98765432109876543)
    assert str(caught.value).startswith("RAG_API_KEYS=(hidden)") and "98765432109876543" not in str(caught.value)
