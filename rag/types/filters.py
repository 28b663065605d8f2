"""Which documents a search may return, by their facts."""

from __future__ import annotations

from dataclasses import dataclass, replace

from ..text.dates import fact_date, typed_date
from ..text.normalize import to_simplified
from .documents import DocumentFacts


@dataclass(frozen=True)
class SearchFilter:
    """Which documents a search may return, by their facts: region and issuer (a part of the name, e.g. 天津),
    document type (通知, 方案, …) and a date range (YYYY-MM-DD, inclusive, on the 成文日期 or else the stated
    发布日期). A document whose fact is not established does not match a filter on it."""

    region: str = ""
    issuer: str = ""
    doc_type: str = ""
    date_from: str = ""
    date_to: str = ""
    in_force_only: bool = False  # leave out documents that are abolished, replaced or expired

    def __bool__(self) -> bool:
        return any((self.region, self.issuer, self.doc_type, self.date_from, self.date_to, self.in_force_only))

    def matches(self, facts: "DocumentFacts | None") -> bool:
        if not self:
            return True
        if facts is None:
            return not any((self.region, self.issuer, self.doc_type, self.date_from, self.date_to))
        if self.in_force_only and facts.superseded is not None:
            return False
        for wanted, fact in ((self.region, facts.region), (self.issuer, facts.issuer), (self.doc_type, facts.doc_type)):
            if wanted and (fact is None or to_simplified(wanted) not in to_simplified(fact.value)):
                return False
        if self.date_from or self.date_to:
            date = facts.issue_date()
            day = fact_date(date.value) if date is not None and not date.masked else None
            if day is None or (self.date_from and day < self.date_from) or (self.date_to and day > self.date_to):
                return False
        return True

    MAX_TEXT = 40  # characters of a region, issuer or type a user may type

    @classmethod
    def parse(
        cls, region: str = "", issuer: str = "", doc_type: str = "", since: str = "", until: str = ""
    ) -> "SearchFilter":
        """A filter from what a user typed (the CLI's flags, the page's fields); ValueError names a bad date."""
        dates = []
        for name, raw in (("since", since), ("until", until)):
            raw = (raw or "").strip()
            day = typed_date(raw) if raw else ""
            if day is None:
                raise ValueError(f"{name} {raw[:20]!r} is not a date of the calendar (use YYYY-MM-DD)")
            dates.append(day)
        clip = lambda text: " ".join((text or "").split())[: cls.MAX_TEXT]  # noqa: E731
        return cls(clip(region), clip(issuer), clip(doc_type), date_from=dates[0], date_to=dates[1])

    @classmethod
    def policy(cls, filters: "SearchFilter | None", search_superseded: bool) -> "SearchFilter | None":
        """`filters` with the setting on superseded documents applied (RAG_SEARCH_SUPERSEDED)."""
        if search_superseded:
            return filters
        return replace(filters or cls(), in_force_only=True)

    def no_match(self) -> str:
        """What is said when no document matches the filter."""
        return f"没有符合筛选条件（{self.describe()}）的文件。"

    def describe(self) -> str:
        """The filter in words, for the message when nothing matches."""
        parts = [
            f"{name}含“{v}”"
            for name, v in (("地区", self.region), ("发文机关", self.issuer), ("文种", self.doc_type))
            if v
        ]
        if self.date_from or self.date_to:
            parts.append(f"日期 {self.date_from or '…'} 至 {self.date_to or '…'}")
        if self.in_force_only:
            parts.append("仅现行有效")
        return "，".join(parts)
