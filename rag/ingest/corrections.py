"""documents.toml: an administrator's corrections of document facts, and which documents may change others'
standing. One table per document file name:

    ["000_e4c543bcaf73ff4c.txt"]
    number = "津政发〔2024〕12号"
    date = "2024年9月30日"          # or a TOML date: 2024-09-30
    may_supersede = true             # its 废止 statements and newer versions apply whoever the issuers are

The file is bounded before it is parsed: its size, how many tables and keys it has, how deeply anything nests and
how many parts a dotted key has (a TOML parser's cost grows with each, and a 100 KB dotted key once took 9.6 GB).
Values are typed: facts are text (dates may be TOML dates), `may_supersede` is true or false. Every fault is a
DocumentError naming the line or the table; the build stops before anything is written.
"""

from __future__ import annotations

import datetime
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import DocumentError
from ..types import FACT_FIELDS
from .documents import FACTS_FILE

MAX_FACTS_FILE_BYTES = 1 << 20  # documents.toml is read only below this size
MAX_ENTRIES = 50_000  # tables plus keys (a folder of 10,000 documents with a few corrections each)
MAX_KEY_PARTS = 3  # dotted key parts on a line: ["name.txt"] and number = "…" need at most 2
MAX_VALUE_CHARS = 200  # of a corrected fact
TRUST_FIELD = "may_supersede"  # a document trusted to change others' standing
# What the structure scan stops at: string openers (multi-line first), comments, line ends, brackets, dots, '='.
_TOKEN = re.compile(r'"""|\'\'\'|"|\'|#|\n|\[|\{|\.|=')
_BASIC_STRING = re.compile(r'"(?:[^"\\\n]|\\.)*"')
_BASIC_MULTILINE = re.compile(r'"""(?:[^"\\]|\\.|"(?!""))*"""', re.S)


@dataclass(frozen=True)
class Corrections:
    """What documents.toml says: corrected facts per document, the documents trusted to change others' standing,
    and the file's sha256 ("" when there is none)."""

    facts: dict[str, dict[str, str]] = field(default_factory=dict)
    trusted: frozenset[str] = frozenset()
    sha256: str = ""

    def names(self) -> set[str]:
        return set(self.facts) | set(self.trusted)

    def unknown(self, documents: set[str]) -> list[str]:
        """Warnings for tables that name no document of the folder (a typo, or a document removed)."""
        return [
            f"{FACTS_FILE}: [{name}] names no document in the folder; its corrections are not used"
            for name in sorted(self.names() - documents)
        ]


def _fault(line: int, what: str) -> DocumentError:
    return DocumentError(FACTS_FILE, f"line {line}: {what}")


def check_structure(text: str) -> None:  # noqa: C901 (known debt, issue 30)
    """Reject, in one linear pass and before any parser sees it, what the file's schema never needs and what
    makes a TOML parser slow or deep: arrays, inline tables, keys of many dotted parts, too many entries."""
    line, parts, entries, pos, blank = 1, 1, 0, 0, True  # blank: nothing but spaces so far on this line
    while True:
        m = _TOKEN.search(text, pos)
        if m is None:
            return
        token, at = m.group(0), m.start()
        start_of_line = blank and not text[pos:at].strip()  # each stretch between tokens is read once
        blank = False
        if token in ('"""', "'''"):
            closing = (
                multiline.end()
                if token == '"""' and (multiline := _BASIC_MULTILINE.match(text, at))
                else (text.find(token, at + 3) + 3 if token == "'''" and text.find(token, at + 3) >= 0 else -1)
            )
            if closing < 0:
                raise _fault(line, "a multi-line string is not closed")
            line += text.count("\n", at, closing)
            pos = closing
        elif token == '"':
            s = _BASIC_STRING.match(text, at)
            if s is None:
                raise _fault(line, "a string is not closed on its line")
            pos = s.end()
        elif token == "'":
            end = text.find("'", at + 1)
            if end < 0 or "\n" in text[at:end]:
                raise _fault(line, "a string is not closed on its line")
            pos = end + 1
        elif token == "#":
            end = text.find("\n", at)
            pos = len(text) if end < 0 else end
        elif token == "\n":
            line, parts, blank, pos = line + 1, 1, True, at + 1
        elif token == "[":
            if not start_of_line or text.startswith("[[", at):
                raise _fault(line, 'arrays are not used in this file (one value per key; a table is ["file name"])')
            entries += 1
            pos = at + 1
        elif token == "{":
            raise _fault(line, "inline tables {…} are not used in this file (one table per document)")
        elif token == ".":
            parts += 1
            if parts > MAX_KEY_PARTS:
                raise _fault(line, f'a key of more than {MAX_KEY_PARTS} dotted parts (quote file names: ["a.txt"])')
            pos = at + 1
        else:  # "="
            entries += 1
            pos = at + 1
        if entries > MAX_ENTRIES:
            raise _fault(line, f"more than {MAX_ENTRIES:,} tables and keys")


def _value(name: str, key: str, value: object) -> str | bool:
    if key == TRUST_FIELD:
        if not isinstance(value, bool):
            raise DocumentError(FACTS_FILE, f"[{name}] {key} must be true or false")
        return value
    if isinstance(value, datetime.datetime):
        value = value.date()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if not isinstance(value, str):
        raise DocumentError(FACTS_FILE, f"[{name}] {key} must be text in quotes (it is {type(value).__name__})")
    if not value.strip():
        raise DocumentError(FACTS_FILE, f"[{name}] {key} is empty")
    return value.strip()[:MAX_VALUE_CHARS]


def _table_name(name: str) -> str:
    if not name or "/" in name or "\\" in name or name.startswith(".") or "\x00" in name:
        raise DocumentError(
            FACTS_FILE,
            f"[{name[:80]}] is not a file name in the document folder "
            "(a table names one file of the folder, without a path)",
        )
    return name


def read_corrections(docs_dir: Path) -> Corrections:
    """The corrections in <docs_dir>/documents.toml (empty when there is none); DocumentError names a fault."""
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib

    path = Path(docs_dir) / FACTS_FILE
    if path.is_symlink() or (path.exists() and not path.is_file()):
        raise DocumentError(FACTS_FILE, "not a regular file (links are not followed)")
    if not path.is_file():
        return Corrections()
    if path.stat().st_size > MAX_FACTS_FILE_BYTES:
        raise DocumentError(FACTS_FILE, f"larger than {MAX_FACTS_FILE_BYTES // 1024} KB")
    raw = path.read_bytes()[: MAX_FACTS_FILE_BYTES + 1]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DocumentError(FACTS_FILE, f"not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    check_structure(text)
    try:
        data = tomllib.loads(text)
    except (tomllib.TOMLDecodeError, RecursionError) as exc:
        raise DocumentError(FACTS_FILE, f"not valid TOML ({str(exc)[:200]})") from exc
    facts: dict[str, dict[str, str]] = {}
    trusted: set[str] = set()
    for name, table in data.items():
        name = _table_name(name)
        if not isinstance(table, dict):
            raise DocumentError(FACTS_FILE, f'[{name}] must be a table of fields, e.g. number = "…"')
        unknown = sorted(set(table) - set(FACT_FIELDS) - {TRUST_FIELD})
        if unknown:
            raise DocumentError(
                FACTS_FILE, f"[{name}] has unknown fields {unknown}; allowed: {', '.join(FACT_FIELDS)}, {TRUST_FIELD}"
            )
        values = {k: _value(name, k, v) for k, v in table.items()}
        if values.pop(TRUST_FIELD, False):
            trusted.add(name)
        if values:
            facts[name] = values  # type: ignore[assignment]
    return Corrections(facts, frozenset(trusted), hashlib.sha256(raw).hexdigest())
