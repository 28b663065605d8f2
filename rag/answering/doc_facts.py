"""Questions about a document itself — who issued it, its number, its date — answered from its facts
(ingest/facts.py), citing the line of the document that states the fact (a "文件信息" clause made for the answer).

Which document: among all indexed documents, the one whose title shares most of the question's wording (ties: a
retrieved one, and one that states the asked fact). What the document does not state is said, not guessed; a masked value is
reported as masked; a date a website gives (发布时间) is named as such, never as the 成文日期.
"""

from __future__ import annotations

from dataclasses import replace
from typing import NamedTuple, Sequence

from ..text.normalize import to_simplified
from ..text.overlap import bigrams
from ..types import FACT_LABELS, Clause, Fact, Hit, SearchFilter
from .thresholds import RETRIEVED_BONUS, STATES_BONUS

CONTEXT_CHARS = 120  # at most this much of the document around the stated fact is cited
SIGNATURE_GAP_CHARS = 30  # a date this close to its line's start is a signature's: the line above is shown too


class FactAnswer(NamedTuple):
    """A question about a document itself, answered from its facts."""

    sentence: str  # the answer, or what the document does not state, or why it is not answered from
    clause: Clause | None  # the line that states the fact, cited; None: refused with `sentence` said


def target_document(question: str, field: str, hits: Sequence[Hit], documents: Sequence[Clause]) -> Clause | None:
    """The first clause of the document whose title the question names best: every indexed document is a
    candidate (the one asked about may not be among the retrieved clauses)."""
    asked = bigrams(to_simplified(question))
    retrieved = {h.doc for h in hits}
    best, best_score = None, 0.0
    for clause in documents:
        if clause.facts is None:
            continue
        named = clause.facts.title.value if clause.facts.title is not None else clause.title
        title = bigrams(to_simplified(named))
        shared = 2 * len(title & asked) / max(1, len(title) + len(asked))  # Dice: short titles do not win alone
        score = (
            shared
            + RETRIEVED_BONUS * (clause.doc in retrieved)
            + STATES_BONUS * (getattr(clause.facts, field) is not None)
        )
        if score > best_score:
            best, best_score = clause, score
    return best


def _stated_line(text: str, fact: Fact) -> tuple[str, int, int]:
    """The line(s) of the original that state the fact (bounded), and their span."""
    start = text.rfind("\n", 0, fact.start) + 1
    end = text.find("\n", fact.end)
    end = len(text) if end < 0 else end
    start, end = max(start, fact.start - CONTEXT_CHARS // 2), min(end, fact.end + CONTEXT_CHARS // 2)
    if fact.start - start < SIGNATURE_GAP_CHARS:
        above = text.rfind("\n", 0, max(0, start - 1)) + 1
        if start - above <= CONTEXT_CHARS // 2:
            start = above
    return text[start:end].strip(), start, end


def fact_clause(doc_clause: Clause, field: str, fact: Fact, document_text: str) -> Clause:
    """A citable clause holding the fact: the document's own line, or the documents.toml correction."""
    name = FACT_LABELS[field]
    if fact.how == "corrected" or fact.start < 0:
        source = "documents.toml 更正" if fact.how == "corrected" else "文件标题"
        text, start, end = f"{name}：{fact.value}（{source}）", doc_clause.start, doc_clause.start
    else:
        text, start, end = _stated_line(document_text, fact)
    return replace(
        doc_clause,
        id=f"{doc_clause.doc}#{field}",
        path=("文件信息",),
        label=f"《{doc_clause.title}》文件信息（{name}）",
        text=text,
        start=start,
        end=end,
        duties=(),
        part=0,
        flagged=(),
    )


def fact_sentence(title: str, field: str, fact: Fact | None) -> str:
    """The answer sentence for the asked field (without its citation marker)."""
    name = FACT_LABELS[field]
    if fact is None:
        return f"《{title}》中没有写明{name}。"
    hedge = {"inferred": "（据文件标题或网站来源判断）", "corrected": "（据 documents.toml 更正）"}.get(fact.how, "")
    if fact.masked:
        return f"《{title}》的{name}在本文件中被遮蔽（{fact.value}），文件未给出完整{name}。"
    if field == "published":
        return f"《{title}》的发布日期是{fact.value}（网站所载发布时间），文件未写明成文日期{hedge}。"
    return f"《{title}》的{name}是{fact.value}{hedge}。"


def excluded_sentence(title: str, facts, filters: SearchFilter) -> str:
    """Why a document the question names is not answered from: the filter (or the in-force setting) leaves it out."""
    if filters.in_force_only and facts is not None and facts.superseded is not None:
        return f"《{title}》已不再有效（{facts.superseded.value}），按当前设置不据此作答。"
    return f"《{title}》不在筛选范围内（{filters.describe()}），不据此作答。"


def document_fact_answer(
    question: str,
    field: str,
    hits: Sequence[Hit],
    documents: Sequence[Clause],
    document_texts: dict[str, str],
    filters: SearchFilter | None = None,
) -> FactAnswer | None:
    """The answer sentence and the clause it cites (None: the document does not state it, or `filters` leave it
    out), or None when no document is a candidate. The document is chosen among all (the one the question names),
    then held to the filter like every other answer: a filtered-out document is said to be, never answered from."""
    hit = target_document(question, field, hits, documents)
    if hit is None or hit.facts is None:  # target_document only returns a clause with facts
        return None
    if filters and not filters.matches(hit.facts):
        return FactAnswer(excluded_sentence(hit.title, hit.facts, filters), None)
    asked, fact = field, getattr(hit.facts, field)
    if field == "date" and fact is None and hit.facts.published is not None:
        asked, fact = "published", hit.facts.published
    sentence = fact_sentence(hit.title, asked, fact)
    return FactAnswer(
        sentence, fact_clause(hit, asked, fact, document_texts.get(hit.doc, "")) if fact is not None else None
    )
