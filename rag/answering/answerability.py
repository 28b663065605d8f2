"""Whether the retrieved clauses answer what was asked, decided by checks rather than by the prompt.

A question that asks for a figure is answerable only when some retrieved clause sentence states a figure of
that kind (an amount, a share, a count in the asked unit, a year) under every constraint of the question: the
year, the place (the document must govern it), the administrative level (in the same sentence) and the item
it names. Otherwise the Verdict says what the nearest clause does say and what it does not.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Protocol, Sequence

from ..query.wording import found_in
from ..text.masks import is_masked
from ..text.normalize import for_match, for_search
from ..text.overlap import support
from ..text.quantities import LEVEL_WORDS, levels_stated, mentions_year, quantities, states_level, years_in
from ..text.sentences import clause_sentences
from ..text.tokens import tokens
from ..types import Hit
from ..query.asks import Ask, has_figure, read_ask
from ..query.intents import FIGURE_NOUNS
from .thresholds import (
    LABEL_LINE_CHARS,
    CITATION_RELEVANCE_RATIO,
    COMMON_WORD_SHARE,
    EVIDENCE_CLAUSE_WEIGHT,
    EVIDENCE_DEPTH,
    ITEM_MARGIN,
)


class Facts(Protocol):
    """What the checks need to know about the corpus (retrieval.corpus_facts.CorpusFacts)."""

    @property
    def jurisdictions(self) -> tuple[str, ...]: ...

    def places_of(self, doc: str) -> frozenset[str]: ...
    def title_of(self, doc: str) -> str: ...
    def in_corpus(self, word: str) -> bool: ...
    def clause_share(self, word: str) -> float: ...
    def names_document(self, word: str, doc: str) -> bool: ...
    def mentions(self, doc: str, word: str) -> bool: ...


@dataclass(frozen=True)
class Evidence:
    """A clause sentence that states the asked-for figure under the question's constraints."""

    index: int  # into the hits, 0-based
    sentence: str
    score: float
    before: str = ""  # the clause's sentence before it: often the subject a figure sentence goes with


@dataclass(frozen=True)
class Verdict:
    answerable: bool
    ask: Ask
    evidence: tuple[Evidence, ...] = ()
    reason: str = ""  # for a refusal: what the documents say and what they do not
    near: int | None = None  # hit index (0-based) of the clause the reason speaks of
    citable: frozenset[int] | None = None  # 1-based hits a model may cite (see `_citable`); None: all
    # Refused only because words of the question are absent from the nearest clause (`near`), which states a
    # figure of the asked kind: no evidence against, so the span reader may still answer from it.
    absent_only: bool = False


@dataclass
class _Miss:
    """Why one sentence does not answer: the constraints it fails."""

    index: int
    sentence: str
    score: float
    places: list[str] = field(default_factory=list)
    years: list[str] = field(default_factory=list)
    levels: list[str] = field(default_factory=list)
    nouns: list[str] = field(default_factory=list)


def judge(question: str, hits: Sequence[Hit], facts: Facts) -> Verdict:
    """The answerability verdict for a question over its ranked hits, with the hits a model may cite."""
    ask = read_ask(question, facts.jurisdictions)
    known, unknown = _resolve_nouns(ask, facts)
    specific = [n for n in known if facts.clause_share(n) <= COMMON_WORD_SHARE]
    verdict = _decide(question, ask, hits, facts, specific, unknown)
    return replace(verdict, citable=frozenset(_citable(question, hits, specific)))


def clause_text(hit: Hit) -> str:
    """Title, heading path and the usable clause text: what a clause says, for matching a question."""
    return f"{hit.title} {' '.join(hit.path)} {hit.answer_text}"


def _decide(
    question: str, ask: Ask, hits: Sequence[Hit], facts: Facts, specific: list[str], unknown: list[str]
) -> Verdict:
    if not hits:
        return Verdict(False, ask)
    # A question of responsibility whose clauses name no department is not refused here: an absent name is no
    # evidence against, and switching that rule off changed no tuning set (docs/benchmarks.md, "What each hand
    # rule earns"); the span reader decides.
    if not ask.wants_figure:
        return Verdict(True, ask)
    # A noun the corpus lacks altogether: with the span reader on, this changed no tuning set (the reader refuses
    # those questions too), but it is the refusal where the reader is not there (an embedder other than e5's).
    if unknown:
        return Verdict(False, ask, reason=f"文件中没有出现“{'、'.join(unknown)}”，未给出相关{ask.kind_word}。")
    # A comparison names two sides (places, documents); each side is checked by the clause quoted for it.
    if ask.comparison:
        specific = []
    places_asked = () if ask.comparison else ask.places
    found: list[Evidence] = []
    near: _Miss | None = None
    best_item = (-1.0, -1)  # (how well a sentence matches the asked item, its hit index)
    for i, hit in enumerate(hits[:EVIDENCE_DEPTH]):
        whole = clause_text(hit)
        whole_matched = for_match(whole)
        clause_score = EVIDENCE_CLAUSE_WEIGHT * support(question, whole)
        places = [p for p in places_asked if _other_place(p, hit, facts)]
        years = [y for y in ask.years if not mentions_year(whole, y)]
        nouns = [n for n in specific if not found_in(n, whole_matched) and not facts.names_document(n, hit.doc)]
        headings = for_match(" ".join(hit.path))
        sentences = clause_sentences(hit.answer_text)
        figure_sentences = [for_match(s) for s in sentences if has_figure(ask.kind, ask.unit, s)]
        for k, sentence in enumerate(sentences):
            best_item = max(best_item, (support(ask.item, sentence), i))
            if not has_figure(ask.kind, ask.unit, sentence):
                continue
            score = support(question, sentence) + clause_score
            levels = [level for level in ask.levels if not states_level(sentence, level)]
            # A sentence that dates its figure to other years than asked is evidence against it ("2022年…交付量"
            # is not "以特斯拉2021年的全球交付量…计算"); a sentence that names no year abstains.
            stated_years = [y for y in years_in(sentence) if not is_masked(y)]
            if ask.years and stated_years and not set(ask.years) & set(stated_years):
                levels += [f"{y}年" for y in ask.years]
            stated = {for_match(f) for f in quantities(sentence)}
            levels += [f for f in ask.figures if for_match(f) not in stated]
            # A specific noun that goes with another figure of the clause does not qualify this one
            # ("…科技型中小企业奖励多少" is not "对从省外引进的高新技术企业…50万元" when the next sentence gives
            # 科技型中小企业 their own figure). A label line ("举报电话：86222616") takes its subject from the
            # sentence before it ("发现违反防疫要求的单位和个人要及时举报。").
            before = sentences[k - 1] if k and is_label_line(sentence) else ""
            local = headings + for_match(before) + for_match(sentence)
            apart = [n for n in specific if n not in nouns and _goes_elsewhere(n, local, sentence, figure_sentences)]
            if not (places or years or levels or nouns or apart):
                found.append(Evidence(i, sentence, score, before))
            elif near is None or score > near.score:
                near = _Miss(i, sentence, score, places, years, levels, nouns + apart)
    if not ask.comparison:
        # The figure's own sentence (with its headings) must be about the asked item about as well as the best
        # sentence anywhere: "瞪羚企业…奖励" is not answered by the clause's "技术合同交易额…26亿元".
        found = [
            e
            for e in found
            if support(ask.item, " ".join(hits[e.index].path) + e.before + e.sentence) + ITEM_MARGIN >= best_item[0]
        ]
    if found:
        return Verdict(True, ask, tuple(sorted(found, key=lambda e: -e.score)))
    if near is None:
        return Verdict(False, ask, reason=f"最接近的条款没有给出具体{ask.kind_word}。", near=max(best_item[1], 0))
    absent_only = bool(near.nouns) and not (near.places or near.years or near.levels)
    return Verdict(
        False, ask, reason=_explain(ask, near, hits[near.index], facts), near=near.index, absent_only=absent_only
    )


def _goes_elsewhere(noun: str, local: str, sentence: str, figure_sentences: list[str]) -> bool:
    """The noun is not in the figure's sentence (with its headings) but another figure sentence of the clause names
    it: that other figure is the noun's, not this one."""
    own = for_match(sentence)
    return not found_in(noun, local) and any(found_in(noun, other) for other in figure_sentences if other != own)


def is_label_line(sentence: str) -> bool:
    """A sentence that is little more than a label and its figure ("举报电话：86222616、12345。")."""
    rest = sentence
    for figure in quantities(sentence):
        rest = rest.replace(figure, "")
    return len(re.sub(r"[^\u4e00-\u9fff]", "", rest)) <= LABEL_LINE_CHARS


def _other_place(place: str, hit: Hit, facts: Facts) -> bool:
    """Evidence that the clause is about another place than asked: its document governs places (from its title
    or the places its text names most) that do not include the asked one, and never names it. A document whose
    places are unknown (no title line, no place named often) abstains."""
    governed = facts.places_of(hit.doc)
    if not governed or place in governed or place in for_search(hit.text):
        return False
    return not facts.mentions(hit.doc, place)


def _resolve_nouns(ask: Ask, facts: Facts) -> tuple[list[str], list[str]]:
    """(nouns the corpus knows, nouns it does not): a word the corpus lacks as a whole counts as known by its
    parts ("省级重点" by 重点); figurative words in quotation marks are never unknown."""
    known, unknown = [], []
    for noun in ask.nouns:
        if facts.in_corpus(noun):
            known.append(noun)
            continue
        parts = [w for w in tokens(noun) if len(w) >= 2 and w != noun and w not in FIGURE_NOUNS]
        found = [w for w in parts if facts.in_corpus(w)]
        if found:
            known.extend(found)
        elif not any(noun in w for w in ask.quoted):
            unknown.append(noun)
    return known, unknown


def _explain(ask: Ask, miss: _Miss, hit: Hit, facts: Facts) -> str:
    """What the nearest clause says and what it does not, in one plain sentence."""
    if miss.places:
        return f"最接近的规定出自《{facts.title_of(hit.doc)}》，文件未提及{'、'.join(miss.places)}的相应规定。"
    if miss.years:
        given = [y for y in years_in(f"{hit.title} {hit.answer_text}") if not is_masked(y)]
        if given:
            return f"文件只给出{'、'.join(given)}年的相关内容，未提及{'、'.join(miss.years)}年。"
        return f"相关条款没有写明年份，未提及{'、'.join(miss.years)}年。"
    if miss.levels and not any(level in LEVEL_WORDS for level in miss.levels):
        return f"相关条款没有给出“{'、'.join(miss.levels)}”这一数字。"
    if miss.levels:
        stated = levels_stated(miss.sentence)
        scope = (
            f"只给出{'、'.join(stated)}的{ask.kind_word}"
            if stated
            else f"没有按{'、'.join(miss.levels)}给出{ask.kind_word}"
        )
        return f"文件{scope}，未提及{'、'.join(miss.levels)}。"
    return f"最接近的条款未提及“{'、'.join(miss.nouns)}”，文件未给出相应{ask.kind_word or '内容'}。"


def _citable(question: str, hits: Sequence[Hit], specific: list[str]) -> set[int]:
    """1-based numbers of the hits a model's sentence may cite: clauses about the question. Such a clause covers at
    least CITATION_RELEVANCE_RATIO of the best hit's coverage of the question's wording and, when some hit's own
    text or headings name one of the question's specific nouns ("担保"), names one too."""
    if not hits:
        return set()
    specific = [for_match(n) for n in specific]
    own = [for_match(" ".join(h.path) + h.answer_text) for h in hits]
    naming = {i for i, text in enumerate(own) if any(n in text for n in specific)}
    coverage = [support(question, clause_text(h)) for h in hits]
    best = max(coverage)
    return {
        i + 1
        for i in range(len(hits))
        if coverage[i] >= CITATION_RELEVANCE_RATIO * best and (not naming or i in naming)
    }
