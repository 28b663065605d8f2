"""Question answering with clause-level citations over Chinese policy documents.

Public API (heavy models load lazily, on first use)::

    import rag
    report = rag.build_index("seeds", "index")
    for hit in rag.retrieve("唐山对新认定的高新技术企业奖励多少？", k=5):
        print(hit.label, hit.departments)
    ans = rag.answer("静海区有效发明专利的目标是多少件？", llm="extractive")

No submodule shares a name with these functions, so importing any submodule never rebinds them.
"""
from __future__ import annotations

from .api import answer, answer_stream, build_index, index_status, retrieve
from .config import Settings
from .errors import (
    BuildLocked, DocumentError, EmbedderMismatch, IndexMissing, IndexProblem, LLMError, LocalModelError,
    QuestionError, RagError,
)
from .types import Answer, BuildReport, Citation, Clause, Duty, Hit, IndexStatus

__all__ = [
    "answer", "answer_stream", "build_index", "index_status", "retrieve", "Settings",
    "Answer", "BuildReport", "Citation", "Clause", "Duty", "Hit", "IndexStatus",
    "RagError", "QuestionError", "DocumentError", "IndexProblem", "IndexMissing", "EmbedderMismatch", "BuildLocked",
    "LLMError", "LocalModelError",
]
