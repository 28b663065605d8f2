"""What the indexed documents are about, for the answerability checks: the places (jurisdictions) each
document covers, whether a word occurs in the corpus at all, how common it is, and each document's head
(title and opening clauses, which name the document: "县域…行动方案")."""

from __future__ import annotations

import re
from collections import Counter
from functools import cached_property

from ..indexing.store import IndexData
from ..query.wording import found_in
from ..text.names import PLACE_SUFFIXES
from ..text.normalize import for_match, for_search
from ..text.tokens import PROPER_NOUN_FLAGS, tagged

# "天津市", "静海区", "唐山市" in a document title: the place the document governs.
JURISDICTION = re.compile(rf"([\u4e00-\u9fff]{{2}})[{PLACE_SUFFIXES}]")
# Two characters before 区/市 that are not places ("高新区", "开发区" …).
NOT_PLACES = frozenset(
    {"高新", "开发", "经济", "示范", "功能", "园区", "城区", "社区", "辖区", "地区", "人民", "全市", "各区"}
)
# A document whose title names no place is about the jurisdictions it names at least this often.
DOC_PLACE_MIN_MENTIONS = 3
# The first clauses of a document (preamble, aims, goals) name it together with its title.
DOC_HEAD_CLAUSES = 3


def title_places(title: str) -> list[str]:
    """The place names a title holds: two characters before 市/区/县/省 that start a word of the title (not
    「务业」 of 「服务业市场」) and are not an everyday word (not 「企业」 of 「企业区」; a word jieba knows only as a
    place, or does not know, passes)."""
    starts, at = set(), 0
    for word, _ in tagged(title):
        starts.add(at)
        at += len(word)
    out = []
    for m in JURISDICTION.finditer(title):
        name = m.group(1)
        own = tagged(name)
        everyday = len(own) == 1 and own[0][1] not in PROPER_NOUN_FLAGS
        if name not in NOT_PLACES and m.start() in starts and not everyday:
            out.append(name)
    return out


class CorpusFacts:
    """Facts about one index generation, computed once."""

    def __init__(self, data: IndexData) -> None:
        self.data = data

    @cached_property
    def jurisdictions(self) -> tuple[str, ...]:
        """Every place some document title names, longest first."""
        found: dict[str, None] = {}
        for d in self.data.documents.values():
            for place in title_places(for_search(d.get("title", ""))):
                found.setdefault(place, None)
        return tuple(sorted(found, key=len, reverse=True))

    @cached_property
    def _places(self) -> dict[str, frozenset[str]]:
        out = {}
        for name, d in self.data.documents.items():
            title = for_search(d.get("title", ""))
            named = {p for p in self.jurisdictions if p in title}
            if not named:
                text = for_search(d.get("text", ""))
                named = {p for p in self.jurisdictions if text.count(p) >= DOC_PLACE_MIN_MENTIONS}
            out[name] = frozenset(named)
        return out

    def places_of(self, doc: str) -> frozenset[str]:
        """The places a document governs (empty when it names none)."""
        return self._places.get(doc, frozenset())

    def title_of(self, doc: str) -> str:
        return self.data.documents.get(doc, {}).get("title", doc)

    @cached_property
    def _corpus(self) -> str:
        return "\n".join(for_match(c.clause.search_text()) for c in self.data.clauses)

    def in_corpus(self, word: str, abbreviations: bool = True) -> bool:
        """The word, or a form users type for it (query.wording), occurs in some clause."""
        return found_in(word, self._corpus, abbreviations)

    def mentions(self, doc: str, word: str) -> bool:
        """The document's text names the word (or a form of it) somewhere."""
        return found_in(word, self._texts.get(doc, ""), abbreviations=False)

    @cached_property
    def _texts(self) -> dict[str, str]:
        return {name: for_match(d.get("text", "")) for name, d in self.data.documents.items()}

    @cached_property
    def _clause_counts(self) -> tuple[Counter, int]:
        return self.data.engine.word_counts()

    def clause_share(self, word: str) -> float:
        """Share of clauses whose keyword index holds the word (0 when the index does not know it)."""
        counts, total = self._clause_counts
        return counts.get(for_search(word).lower(), 0) / total

    @cached_property
    def _heads(self) -> dict[str, str]:
        heads: dict[str, list[str]] = {}
        for c in self.data.clauses:
            parts = heads.setdefault(c.clause.doc, [])
            if len(parts) < DOC_HEAD_CLAUSES:
                parts.append(c.clause.text)
        return {doc: for_match(self.title_of(doc) + "".join(parts)) for doc, parts in heads.items()}

    def names_document(self, word: str, doc: str) -> bool:
        """The word is in the document's title or opening clauses ("县域" for the county action plan)."""
        return found_in(word, self._heads.get(doc, ""))
