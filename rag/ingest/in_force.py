"""Is a document still in force? Two steps, so that no rule reads a whole text across documents:

1. `read_claims(text)` — once per document, in the parse child (ingest/analysis.py), in linear time: the sentences
   that abolish another document (「《…》（…号）同时废止」「…停止执行」「…不再执行」) with the titles and numbers they
   name, and the document's own validity (「有效期…年」, 「有效期至…」).
2. `standing(documents, trusted)` — across the folder, from those claims and the documents' facts only:
   - a document that abolishes another, found by its title or its number, marks it abolished;
   - two versions of one document (the same title or the same number, both dated) leave the older superseded;
   - a document whose stated validity has passed is expired.

A document changes another's standing only when it is trusted to: an administrator allowed it in documents.toml
(`may_supersede = true` on the acting document), or it is not an unconfirmed upload (ingest/provenance.py: the
issuer an upload names is read from its own text, so it proves nothing) and both have the same issuer (as their
facts state it).
Any other claim is kept as a pending `Effect` (applied=False, with the reason) so the build can show and audit it;
it never changes an answer. Nothing is inferred beyond these statements: a document no other one names stays
in force.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import date

from ..text.numerals import CN_COUNT_CHARS, chinese_count
from ..text.normalize import to_simplified
from ..text.dates import cn_date, fact_date, iso_date
from ..text.doc_types import doc_number
from ..text.sentences import SENTENCE_ENDS
from ..types import DocumentFacts, Fact

ABOLISH_WORDS = ("同时废止", "予以废止", "即行废止", "停止执行", "不再执行", "同时失效")
# Where a sentence ends for these rules: one split over the text, never a regex that rescans a line.
SENTENCE_SPLIT = re.compile(rf"[{SENTENCE_ENDS}\n]")
# How much of a (very long) sentence before and after its abolishing words is read for the titles it names.
CLAIM_WINDOW_BEFORE, CLAIM_WINDOW_AFTER = 600, 200
EVIDENCE_CHARS = 120  # of the abolishing sentence kept as evidence
MAX_CLAIMS = 50  # abolishing sentences kept per document (a real one has a few)
QUOTED_TITLE = re.compile(r"《([^《》]{4,80})》")
NUMBER_REF = re.compile(doc_number())  # Arabic digits only: a masked number quoted in prose names no document
VALID_YEARS = re.compile(rf"有效期(?:为)?([{CN_COUNT_CHARS}\d]{{1,3}})年")
VALID_UNTIL = re.compile(rf"有效期(?:至|到)({cn_date(space='', capture=False)}|{iso_date('-', capture=False)})")
# What decides trust: the issuers' names as sets of co-signers.
ISSUER_SPLIT = re.compile(r"[、，,\s\u3000]+")


@dataclass(frozen=True)
class Abolition:
    """One sentence of a document that abolishes others: what it names, and the sentence (bounded)."""

    titles: tuple[str, ...]
    numbers: tuple[str, ...]
    sentence: str


@dataclass(frozen=True)
class Claims:
    """What one document says about standing: the documents it abolishes, and its own validity."""

    abolishes: tuple[Abolition, ...] = ()
    valid_years: int | None = None
    valid_until: str | None = None  # YYYY-MM-DD

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict | None) -> "Claims":
        d = d or {}
        abolishes = tuple(
            Abolition(tuple(a.get("titles", ())), tuple(a.get("numbers", ())), str(a.get("sentence", "")))
            for a in d.get("abolishes", ())
            if isinstance(a, dict)
        )
        years = d.get("valid_years")
        return cls(abolishes, int(years) if isinstance(years, int) else None, d.get("valid_until") or None)


@dataclass(frozen=True)
class Effect:
    """One document's standing changed by a claim: applied, or pending with the reason it was not."""

    target: str  # file name of the document whose standing changes
    kind: str  # "abolished", "replaced" or "expired"
    by: str  # file name of the acting document ("" for an expiry)
    text: str  # what is said on cards and in answers
    applied: bool = True
    reason: str = ""  # why a claim was not applied

    def fact(self) -> Fact:
        return Fact(self.text, how="inferred" if self.kind == "replaced" else "stated")

    def describe(self) -> str:
        """One line for the build report, the audit log and the documents panel."""
        if self.applied:
            return f"{self.target}：{self.text}"
        return f"{self.target}：未采纳 {self.by} 的效力声明（{self.reason}）：{self.text}"

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "Effect":
        return cls(
            str(d["target"]),
            str(d["kind"]),
            str(d.get("by", "")),
            str(d.get("text", "")),
            bool(d.get("applied", True)),
            str(d.get("reason", "")),
        )


def _key(title: str) -> str:
    return re.sub(r"[\s《》“”\"'（）()]", "", to_simplified(title))


def read_claims(text: str) -> Claims:
    """The standing claims of one document's text, in time linear in its length."""
    abolishes: list[Abolition] = []
    for sentence in SENTENCE_SPLIT.split(text):
        found = _abolition(sentence)
        if found is not None:
            abolishes.append(found)
            if len(abolishes) == MAX_CLAIMS:
                break
    until = VALID_UNTIL.search(text)
    years = VALID_YEARS.search(text)
    return Claims(
        tuple(abolishes), chinese_count(years.group(1)) if years else None, fact_date(until.group(1)) if until else None
    )


def _abolition(sentence: str) -> Abolition | None:
    hits = [i for i in (sentence.find(w) for w in ABOLISH_WORDS) if i >= 0]
    if not hits:
        return None
    at = min(hits)
    window = sentence[max(0, at - CLAIM_WINDOW_BEFORE) : at + CLAIM_WINDOW_AFTER]
    titles = tuple(dict.fromkeys(QUOTED_TITLE.findall(window)))
    numbers = tuple(dict.fromkeys(NUMBER_REF.findall(window)))
    if not titles and not numbers:
        return None
    return Abolition(titles, numbers, window.strip()[:EVIDENCE_CHARS])


def expiry(facts: DocumentFacts, claims: Claims) -> str | None:
    """The date (YYYY-MM-DD) the document says it stops applying, if it says so."""
    if claims.valid_until:
        return claims.valid_until
    day = _date_of(facts)
    if claims.valid_years and day:
        y, m, d = (int(x) for x in day.split("-"))
        return f"{y + claims.valid_years:04d}-{m:02d}-{min(d, 28) if m == 2 else d:02d}"
    return None


def issuers(facts: DocumentFacts) -> frozenset[str]:
    """The issuer's names (co-signers apart), simplified; empty when not established or masked."""
    if facts.issuer is None or facts.issuer.masked:
        return frozenset()
    return frozenset(p for p in ISSUER_SPLIT.split(to_simplified(facts.issuer.value)) if p)


UNCONFIRMED_UPLOAD = "上传的文件，来源尚未经管理员确认"  # the reason an unconfirmed upload's claims wait


def trust(
    actor: str,
    target: str,
    facts: dict[str, DocumentFacts],
    trusted: frozenset[str],
    untrusted: frozenset[str] = frozenset(),
) -> str:
    """ "" when `actor` may change `target`'s standing; otherwise the reason it may not. `trusted`: allowed by an
    administrator; `untrusted`: unconfirmed uploads, whatever issuer they name."""
    if actor in trusted:
        return ""
    if actor in untrusted:
        return UNCONFIRMED_UPLOAD
    mine, theirs = issuers(facts[actor]), issuers(facts[target])
    if not mine:
        return "声明方的发文机关无法确定"
    if not theirs:
        return "被废止文件的发文机关无法确定"
    if not mine & theirs:
        return f"发文机关不同（{'、'.join(sorted(mine))} ≠ {'、'.join(sorted(theirs))}）"
    return ""


def standing(
    documents: dict[str, tuple[DocumentFacts, Claims]],
    trusted: frozenset[str] = frozenset(),
    today: date | None = None,
    untrusted: frozenset[str] = frozenset(),
) -> list[Effect]:
    """Every standing effect across the documents, applied or pending, in a stable order. `documents`: name ->
    (facts, claims); `trusted`: documents an administrator allowed to change others' standing; `untrusted`:
    unconfirmed uploads, whose claims stay pending."""
    today_iso = (today or date.today()).isoformat()
    facts = {name: f for name, (f, _) in documents.items()}
    by_title = {_key(f.title.value): name for name, f in facts.items() if f.title is not None}
    by_number = {
        _key(f.number.value): name for name, f in facts.items() if f.number is not None and not f.number.masked
    }
    effects: dict[str, Effect] = {}  # target -> the applied effect (the first one wins)
    pending: list[Effect] = []

    def offer(effect: Effect) -> None:
        if not effect.applied:
            pending.append(effect)
        elif effect.target not in effects:
            effects[effect.target] = effect

    for name, (f, claims) in sorted(documents.items()):
        title = _title(f, name)
        for claim in claims.abolishes:
            named = [by_title.get(_key(t)) for t in claim.titles] + [by_number.get(_key(n)) for n in claim.numbers]
            for target in sorted({t for t in named if t and t != name}):
                why = trust(name, target, facts, trusted, untrusted)
                offer(Effect(target, "abolished", name, f"已由《{title}》废止：“{claim.sentence}”", not why, why))
    groups: dict[str, list[str]] = {}
    for name, f in facts.items():
        keys = {
            _key(f.title.value) if f.title is not None else "",
            _key(f.number.value) if f.number is not None and not f.number.masked else "",
        } - {""}
        for key in keys:
            groups.setdefault(key, []).append(name)
    for names in groups.values():
        dated = sorted((d, n) for n in set(names) if (d := _date_of(facts[n])))
        for i, (day, name) in enumerate(dated):
            for newer_day, newer in reversed([(d, n) for d, n in dated[i + 1 :] if d > day]):  # newest first
                why = trust(newer, name, facts, trusted, untrusted)
                offer(
                    Effect(
                        name,
                        "replaced",
                        newer,
                        f"已被较新版本《{_title(facts[newer], newer)}》（{newer_day}）替代",
                        not why,
                        why,
                    )
                )
                if not why:  # the newest trusted version decides; untrusted newer ones stay pending
                    break
    for name, (f, claims) in sorted(documents.items()):
        ends = expiry(f, claims)
        if ends and ends < today_iso:
            offer(Effect(name, "expired", "", f"已过有效期（至{ends}）"))
    unique_pending = {
        (e.target, e.kind, e.by): e for e in pending if effects.get(e.target) is None or effects[e.target].by != e.by
    }
    return sorted([*effects.values(), *unique_pending.values()], key=lambda e: (e.target, not e.applied, e.by, e.kind))


def superseded(effects: list[Effect]) -> dict[str, Fact]:
    """name -> the `superseded` fact of every document an applied effect takes out of force (`standing` applies at
    most one effect per document)."""
    return {effect.target: effect.fact() for effect in effects if effect.applied}


def _title(facts: DocumentFacts, name: str) -> str:
    return facts.title.value if facts.title is not None else name


def _date_of(facts: DocumentFacts) -> str | None:
    day = facts.issue_date()
    return fact_date(day.value) if day is not None and not day.masked else None
