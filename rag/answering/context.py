"""What the model sees: the numbered clauses with their duties, then the question, under the system rules."""

from __future__ import annotations

from typing import Sequence

from ..text.normalize import for_match, for_search
from ..text.overlap import support
from ..text.sentences import clause_sentences
from ..types import Hit
from .prompts import refusal_text, render
from .thresholds import TOP_CLAUSE_BONUS
from .verification import FRAME_SEPARATOR

# How much of a duty's task is shown next to its departments.
DUTY_TASK_CHARS = 30
# Every clause keeps at least its best sentence, cut to this length.
MIN_SENTENCE_CHARS_KEPT = 160
GAP = "…"
# A clause heading this long (characters, numbering aside) that the text repeats is left out of the prompt's label.
HEADING_WORDS_MIN = 2


def clause_excerpts(question: str, hits: Sequence[Hit], budget_chars: int) -> list[str]:
    """Per clause, the sentences that matter for the question within a shared character budget (0: whole
    clauses). Each clause keeps its best sentence; the rest of the budget goes to the next best sentences of
    any clause that share wording with the question (the top clause first among equals). Kept sentences stay in clause order; "…" marks a gap."""
    texts = [for_search(h.answer_text) for h in hits]
    if budget_chars <= 0:
        return texts
    sentences = [clause_sentences(t) or [t] for t in texts]
    scored = [
        (score + (TOP_CLAUSE_BONUS if i == 0 else 0.0), i, j)
        for i, group in enumerate(sentences)
        for j, s in enumerate(group)
        if (score := support(question, s)) > 0
    ]  # a sentence sharing no wording with the question waits
    keep: set[tuple[int, int]] = set()
    used = 0
    for i, group in enumerate(sentences):  # the best sentence of every clause
        j = max(range(len(group)), key=lambda j: (support(question, group[j]), -j))
        keep.add((i, j))
        used += min(len(group[j]), MIN_SENTENCE_CHARS_KEPT)
    for _, i, j in sorted(scored, key=lambda t: (-t[0], t[1], t[2])):
        if (i, j) not in keep and used + len(sentences[i][j]) <= budget_chars:
            keep.add((i, j))
            used += len(sentences[i][j])
    out = []
    for i, group in enumerate(sentences):
        picked = [j for j in range(len(group)) if (i, j) in keep]
        parts = []
        for n, j in enumerate(picked):
            text = group[j] if len(picked) > 1 or len(group) == 1 else group[j][:MIN_SENTENCE_CHARS_KEPT]
            gap_before = (n == 0 and j > 0) or (n > 0 and j != picked[n - 1] + 1)
            parts.append((GAP if gap_before else "") + text)
        tail = GAP if picked and picked[-1] < len(group) - 1 else ""
        out.append("".join(parts) + tail)
    return out


# Clauses an evidence prompt carries at most, and the sentences kept on each side of an evidence sentence.
EVIDENCE_CLAUSES = 2
NEIGHBOURS = 1


def evidence_excerpt(text: str, sentence: str) -> str:
    """The evidence sentence with NEIGHBOURS sentences on each side (…" where the clause goes on)."""
    sentences = clause_sentences(text) or [text]
    at = next((k for k, s in enumerate(sentences) if sentence.strip() in s or s in sentence), 0)
    lo, hi = max(0, at - NEIGHBOURS), min(len(sentences), at + NEIGHBOURS + 1)
    return (GAP if lo > 0 else "") + "".join(sentences[lo:hi]) + (GAP if hi < len(sentences) else "")


def prompt_label(hit: Hit) -> str:
    """The clause's label as the prompt shows it, simplified: without the clause's own heading where the clause
    text opens with it (105 of the seeds' 144 clauses do; each repeat cost the model's prefill ~10 tokens)."""
    leaf = hit.path[-1] if hit.path else ""
    common = 0
    while common < min(len(leaf), len(hit.label)) and leaf[-1 - common] == hit.label[-1 - common]:
        common += 1
    words = for_match(hit.label[len(hit.label) - common :]).lstrip("0123456789")  # a text may mask its number
    if len(words) >= HEADING_WORDS_MIN and words in for_match(hit.text[: 2 * len(leaf) + 8]):
        return for_search(hit.label[: len(hit.label) - common])
    return for_search(hit.label)


def duties_line(hit: Hit) -> str:
    """「（责任单位：…）」 for the prompt: each duty's departments, after the end of its task when the clause assigns
    more than one (the task tells them apart; a clause's only duty is the clause's own task)."""
    if len(hit.duties) == 1:
        return f"\n（责任单位：{hit.duties[0].describe()}）"
    duties = "；".join(f"{d.task[-DUTY_TASK_CHARS:]}→{d.describe()}" for d in hit.duties)
    return f"\n（责任单位：{duties}）" if duties else ""


def context_block(hits: Sequence[Hit], excerpts: Sequence[str] | None = None) -> str:
    """Numbered clauses for the prompt (whole, or the given excerpts), with the responsible units extracted
    at indexing time."""
    parts = []
    for i, h in enumerate(hits, 1):
        text = excerpts[i - 1] if excerpts is not None else for_search(h.answer_text)
        parts.append(f"[{i}] {prompt_label(h)}\n{text}{duties_line(h)}")
    return "\n\n".join(parts)


def verification_contexts(hits: Sequence[Hit]) -> list[str]:
    """The text each [n] is checked against: label, clause and the described duties, the clause text set apart
    (FRAME_SEPARATOR) so a claim is checked against one window of it read with its label and duties."""
    return [
        f"{h.label}{FRAME_SEPARATOR}{for_search(h.answer_text)}{FRAME_SEPARATOR}"
        + " ".join(d.describe() for d in h.duties)
        for h in hits
    ]


def system_message() -> dict:
    """The fixed rules every prompt starts with."""
    return {"role": "system", "content": render("system", refusal=refusal_text())}


def prompt_messages(question: str, hits: Sequence[Hit], budget_chars: int = 0) -> list[dict]:
    """The chat messages sent to an LLM backend: the rules, then the numbered clause excerpts (within
    budget_chars of clause text; 0 for whole clauses) and the question."""
    context = context_block(hits, clause_excerpts(question, hits, budget_chars))
    return [system_message(), {"role": "user", "content": render("answer", context=context, question=question)}]
