"""Question answering with clause-level citations over Chinese policy documents.

Public API (heavy models load lazily, on first use)::

    import rag
    report = rag.build_index("seeds", "index")
    for hit in rag.retrieve("唐山对新认定的高新技术企业奖励多少？", k=5):
        print(hit.label, hit.departments)
    ans = rag.answer("静海区有效发明专利的目标是多少件？", llm="extractive")
    rag.retrieve("科技企业奖励", filters=rag.SearchFilter(region="天津"))   # only documents issued in 天津

No submodule shares a name with these functions, so importing any submodule never rebinds them.
"""

from __future__ import annotations

import importlib

# Where each public name lives; loaded on first use, so `import rag.ingest…` (as the document parser's child
# process does) costs no model, index or web library.
_HOMES = {
    **dict.fromkeys(("answer", "answer_stream", "build_index", "index_status", "retrieve"), ".api"),
    "Settings": ".config",
    **dict.fromkeys(
        (
            "BuildLocked",
            "DocumentError",
            "EmbedderMismatch",
            "IndexMissing",
            "IndexProblem",
            "LLMError",
            "LocalModelError",
            "QuestionError",
            "RagError",
        ),
        ".errors",
    ),
    **dict.fromkeys(
        (
            "Answer",
            "BuildReport",
            "Citation",
            "Clause",
            "DocumentFacts",
            "Duty",
            "Fact",
            "Hit",
            "IndexStatus",
            "SearchFilter",
        ),
        ".types",
    ),
}


def __getattr__(name: str):
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'rag' has no attribute {name!r}")
    value = getattr(importlib.import_module(home, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_HOMES))


__all__ = list(_HOMES)  # every public name, each imported from its home on first use
