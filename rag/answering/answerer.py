"""Question → standalone question → retrieval → a decision (refuse, duty data, masked figure, model, quotes)
→ verified sentences → Answer.

Every sentence shown carries a 〔n〕 that was checked against the clause it names; when nothing relevant is
found the fixed refusal sentence (prompts/refusal.txt) is returned with the nearest clauses.
"""

from __future__ import annotations

import logging
import time
from dataclasses import replace
from typing import Callable, Iterator, Protocol

from ..config import Settings
from ..llm.base import ChatBackend
from ..retrieval.retriever import Retriever
from ..text.masks import says_not_given
from ..types import Answer, Hit, Quoted, Retrieved, SearchFilter, Timings, Waiting
from .compose import Draft, compose
from .conversation import condense, fallback_standalone, normalise_history
from .answerability import Verdict, judge
from .conflicts import conflict_sentences
from .fact_questions import asked_fact
from .doc_facts import FactAnswer, document_fact_answer
from .chooser import chosen
from .span_answers import (
    SPAN_DROPPED_NOTE,
    SPAN_REFUSAL,
    SpanFound,
    overrides,
    quoted_clause,
    read_hits,
    refuses,
    states_span,
)
from .span_reader import span_reader_for
from .reader import doubt
from .lists import Listing, section_list
from ..query.intents import asks_responsibility
from ..query.questions import check_question
from .prompts import refusal_text
from .strategies import (
    evidence_sentences,
    extractive_sentences,
    masked_note,
    masked_sentences,
    responsibility_sentences,
)
from .model_answer import ModelWriter, Turn, with_source
from .verification import Checked, Renumberer


class Source(Protocol):
    """What an Answerer needs: the settings and the live retriever (a Session gives both; the answering stage
    never imports the session, which sits above it)."""

    settings: Settings

    def retriever(self) -> Retriever: ...


log = logging.getLogger(__name__)
Piece = str  # a piece of verified answer text, ready to show
Event = Retrieved | Quoted | Waiting  # progress the page shows; the public answer_stream leaves them out


def _with_doubt(verdict: Verdict, reason: str) -> Verdict:
    """The verdict refused, citing the first clause, when the learned reader doubts it (a reason is given)."""
    return replace(verdict, answerable=False, reason=reason, near=0) if reason else verdict


class Answerer:
    """Answers questions over a Session with one backend ("local", "openai", "extractive" or a test double).

    >>> answerer = shared_session().answerer("extractive")           # doctest: +SKIP
    >>> final = list(answerer.stream("静海区有效发明专利的目标是多少件？"))[-1]  # doctest: +SKIP
    """

    def __init__(self, source: Source, backend: str, llm: ChatBackend | None = None) -> None:
        self.source = source
        self.settings = source.settings
        self.backend = backend
        self.llm = llm

    def stream(
        self, question: str, history=None, k: int | None = None, filters: SearchFilter | None = None
    ) -> Iterator[Piece | Event | Answer]:
        """Yield Retrieved (the candidate clauses), Waiting (place in line for the model), verified answer text
        as it is ready, then the final Answer. `filters` restricts the documents searched (region, issuer, type,
        dates); when no document matches, the answer says so."""
        t0 = time.perf_counter()
        question = check_question(question, self.settings.max_question_chars)
        pairs = normalise_history(history, self.settings.history_turns)
        try:
            standalone, note = condense(question, pairs, self.llm), ""
        except Exception as exc:  # never let condensing break answering
            standalone, note = fallback_standalone(question, pairs), f"改写追问失败：{exc}"
        retriever = self.source.retriever()
        filters = SearchFilter.policy(filters, self.settings.search_superseded)
        hits = retriever.search(standalone, k or self.settings.top_k, filters)
        timings = Timings(retrieval=time.perf_counter() - t0)
        yield Retrieved(tuple(hits))
        if filters and not hits:
            draft = yield from self._refuse(filters.no_match())
            yield compose(question, standalone, draft, hits, timings)
            return
        hits = [h for h in hits if h.answer_text.strip()]  # a clause that is only flagged text cannot answer
        asked = asked_fact(standalone, lambda: retriever.query_vector(standalone), retriever.embedder.space)
        about = (
            document_fact_answer(
                standalone, asked, hits, retriever.first_clauses(), retriever.document_texts(), filters
            )
            if asked
            else None
        )
        if about is not None:  # who issued it, its number, its date: from the document's facts
            draft, hits = yield from self._document_fact(about, hits, timings, t0)
        else:
            unknown = retriever.unknown_entities(standalone)
            verdict = judge(standalone, hits, retriever.facts)
            meaning = retriever.sentence_meaning(standalone, hits[0]) if hits else {}
            if self.settings.reader and not unknown:
                verdict = _with_doubt(
                    verdict, doubt(standalone, hits, verdict, retriever.facts, retriever.embedder.space, meaning)
                )
            span = self._span(standalone, hits, verdict, retriever, unknown, timings)
            picked = None  # the clause the reader answers from, when it answers what the rules refused
            # A figure the document masks ("**%") is no span the reader could find: the masked-figure answer stands.
            if refuses(verdict, span) and not masked_sentences(standalone, hits):
                verdict = _with_doubt(verdict, SPAN_REFUSAL)
            elif overrides(verdict, span):
                assert span is not None
                verdict, picked = replace(verdict, answerable=True, reason="", near=None, absent_only=False), span.hit

            def quote_source(hits=hits, meaning=meaning) -> tuple[int, dict[str, float]]:
                """The hit the quote comes from and its sentences' meaning: asked only when a clause is quoted."""
                if picked is not None:
                    first = picked
                elif self.settings.chooser:
                    first = quoted_clause(
                        chosen(standalone, hits, verdict, retriever.facts, retriever.embedder.space), span
                    )
                else:
                    first = 0
                return first, (retriever.sentence_meaning(standalone, hits[first]) if first else meaning)

            listing = (
                section_list(standalone, hits, retriever.section)
                if verdict.answerable and verdict.ask.listing and not unknown
                else None
            )
            if listing is not None:
                hits = hits + listing.extra  # the list's clauses retrieval did not return are cited after the hits
            turn = Turn(standalone, hits, verdict, Renumberer(), timings, t0)
            draft = yield from self._decide(turn, unknown, meaning, listing, quote_source, span)
        draft.note = draft.note or note
        draft.backend = draft.backend or self.backend
        timings.total = time.perf_counter() - t0
        timings.saw_first_token(timings.total)
        yield compose(question, standalone, draft, hits, timings)

    def _decide(
        self,
        turn: Turn,
        unknown: list[str],
        meaning: dict[str, float] | None = None,
        listing: Listing | None = None,
        quote_source: Callable[[], tuple[int, dict[str, float]]] | None = None,
        span: SpanFound | None = None,
    ):
        """Yield the text to show while deciding; return the Draft. The same checks decide for every backend:
        the model only words answers the checks allow. `quote_source()` gives the hit a clause quote comes from
        (the chooser's) and that clause's sentence meaning; it runs only when such a quote is made."""
        question, hits, verdict, timings, t0 = turn.question, turn.hits, turn.verdict, turn.timings, turn.t0
        if unknown:
            return (yield from self._refuse(f"文件中没有出现“{'、'.join(unknown)}”。"))
        if not hits or hits[0].dense < self.settings.min_relevance:
            return (yield from self._refuse(""))
        if not verdict.answerable:
            return (yield from self._refuse(verdict.reason, verdict.near))
        renum = turn.renum
        deterministic = (
            (responsibility_sentences(question, hits) if asks_responsibility(question) else [])
            or masked_sentences(question, hits)
            or (listing.checked if listing is not None else [])
        )
        if deterministic:
            yield from self._emit(deterministic, renum, timings, t0)
            return Draft(deterministic)
        draft = Draft()
        quoted_span = None  # the span reader's span, when the quote holds it
        if verdict.evidence:
            quote = evidence_sentences(verdict, hits)
        else:
            first, meaning = quote_source() if quote_source is not None else (0, meaning)
            # The chooser's clause and its best window: quoting only the sentence holding the reader's span lost
            # NCP tuning answers their gold span (body 0.715 → 0.575: its answers run over several sentences).
            here = span if span is not None and span.hit == first else None  # the reader read the quoted clause
            anchor = here.reading.text if here is not None and here.answers else ""
            quote = extractive_sentences(question, hits, verdict.ask.comparison, meaning, first, anchor)
            if here is not None and here.reading.text and here.reading.text in quote[0].text:
                quoted_span = here  # a model answer must then keep the span
        if self.llm is not None:
            # The verified quote is on screen at once; the model's wording follows and replaces it only if it
            # verifies.
            timings.saw_first_verified(time.perf_counter() - t0)
            preview = Renumberer()
            shown_quote = "".join(preview.render(c) for c in quote).strip()
            if shown_quote:
                yield Quoted(shown_quote)
            writer = ModelWriter(self.llm, self.settings, self.backend)
            turn.quote = quote
            turn.span = quoted_span.reading.text if quoted_span is not None else ""
            draft = yield from writer.draft(turn)
            if draft.refused:
                return draft
            if (
                quoted_span is not None
                and draft.checked
                and not states_span([c.text for c in draft.checked], quoted_span.reading.text)
            ):
                draft = Draft(note=SPAN_DROPPED_NOTE)  # the reader's sentence is quoted instead (below)
            source = with_source(draft.checked, quote)
            if source:  # the model's wording stands: the clause's own words follow it on a line of their own
                draft.checked[-1].newline = True
                yield "\n"
                draft.checked.extend(source)
                yield from self._emit(source, renum, timings, t0)
        if not any(c.sources for c in draft.checked):
            draft.checked = quote
            yield from self._emit(draft.checked, renum, timings, t0)
        mask = masked_note(question, [hits[n - 1].answer_text for c in draft.checked for n in c.sources])
        if mask and not any(says_not_given(c.text) for c in draft.checked):
            draft.checked.append(Checked(mask, []))
            yield mask
        disagreement = conflict_sentences(verdict, hits, {n for c in draft.checked for n in c.sources})
        if disagreement:
            draft.checked.extend(disagreement)
            yield from self._emit(disagreement, renum, timings, t0)
        return draft

    def _document_fact(self, about: FactAnswer, hits: list[Hit], timings: Timings, t0: float):
        """The fact's sentence citing the line that states it (appended to the hits as its own clause); a fact the
        document does not state is refused with that said."""
        if about.clause is None:
            draft = yield from self._refuse(about.sentence)
            return draft, hits
        # the line that states the fact is cited as if retrieved with full similarity
        hits = hits + [Hit(about.clause, score=0.0, dense=1.0, keyword=0.0)]
        checked = [Checked(about.sentence, [len(hits)])]
        yield from self._emit(checked, Renumberer(), timings, t0)
        return Draft(checked), hits

    def _span(
        self, question: str, hits: list[Hit], verdict: Verdict, retriever, unknown, timings: Timings
    ) -> SpanFound | None:
        """The span reader's best span over the first citable hits, when it ships and is on (timed)."""
        if not (self.settings.span_reader and hits and not unknown and (verdict.answerable or verdict.absent_only)):
            return None
        reader = span_reader_for(retriever.embedder)
        if reader is None:
            return None
        t = time.perf_counter()
        found = read_hits(reader, question, hits, verdict)
        timings.reader = time.perf_counter() - t
        return found

    @staticmethod
    def _refuse(reason: str, near: int | None = None):
        """Refuse: what the documents do say and do not (citing the nearest clause), then the refusal sentence."""
        checked = [Checked(reason, [near + 1] if near is not None else [], newline=True)] if reason else []
        for c in checked:
            yield Renumberer().render(c)
        yield refusal_text()
        return Draft(checked, refused=True, note=reason)

    @staticmethod
    def _emit(checked: list[Checked], renum: Renumberer, timings: Timings, t0: float) -> Iterator[Piece]:
        timings.saw_first_token(time.perf_counter() - t0)
        for c in checked:
            yield renum.render(c)
