"""Site furniture and known OCR misreadings, read from the data file site_noise.toml beside this module (its
comments say how to extend it). The file is bounded and checked when it is read: a bad pattern is a SettingsError
naming its table, key and position, so an edit that breaks it stops the build instead of cleaning wrongly."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ..errors import SettingsError
from ..text.names import alternation

NOISE_FILE = Path(__file__).with_name("site_noise.toml")
MAX_NOISE_FILE_BYTES = 64 * 1024
MAX_PATTERN_CHARS = 200
MAX_PATTERNS = 500
PATTERN_KEYS = ("lines", "footer_starts", "sharing_site")


@dataclass(frozen=True)
class SiteNoise:
    lines: tuple[str, ...]  # whole lines of site furniture
    footer_starts: tuple[str, ...]  # a line after which the rest of the file is furniture
    sharing_site: tuple[str, ...]  # marks of a document-sharing site's copy
    ocr: tuple[tuple[str, str], ...]  # (misreading, the word it stands for)

    def misreadings(self, word: str) -> tuple[str, ...]:
        return tuple(wrong for wrong, right in self.ocr if right == word)


def _bad(what: str) -> SettingsError:
    return SettingsError(f"{NOISE_FILE.name}: {what}")


def _patterns(table: dict, key: str) -> tuple[str, ...]:
    values = table.get(key, [])
    if not isinstance(values, list):
        raise _bad(f"[boilerplate] {key} must be a list of patterns")
    for n, value in enumerate(values, 1):
        if not isinstance(value, str) or not value.strip():
            raise _bad(f"[boilerplate] {key} entry {n} is not a pattern in quotes")
        if len(value) > MAX_PATTERN_CHARS:
            raise _bad(f"[boilerplate] {key} entry {n} is longer than {MAX_PATTERN_CHARS} characters")
        try:
            re.compile(value)
        except re.error as exc:
            raise _bad(f"[boilerplate] {key} entry {n} is not a regular expression ({exc})") from exc
    return tuple(values)


def parse_noise(text: str) -> SiteNoise:
    """The file's contents, checked (see the module's doc)."""
    if len(text.encode()) > MAX_NOISE_FILE_BYTES:
        raise _bad(f"larger than {MAX_NOISE_FILE_BYTES} bytes")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _bad(f"not valid TOML ({exc})") from exc
    unknown = set(data) - {"boilerplate", "ocr"}
    if unknown:
        raise _bad(f"unknown table [{sorted(unknown)[0]}] (only [boilerplate] and [ocr])")
    table = data.get("boilerplate", {})
    unknown = set(table) - set(PATTERN_KEYS)
    if unknown:
        raise _bad(f"[boilerplate] has an unknown key {sorted(unknown)[0]!r} (only {', '.join(PATTERN_KEYS)})")
    patterns = {key: _patterns(table, key) for key in PATTERN_KEYS}
    if sum(map(len, patterns.values())) > MAX_PATTERNS:
        raise _bad(f"more than {MAX_PATTERNS} patterns")
    ocr = data.get("ocr", {})
    for wrong, right in ocr.items():
        if not isinstance(right, str) or not right.strip() or len(wrong) != len(right):
            raise _bad(f"[ocr] {wrong!r} must name the word it stands for, of the same length, in quotes")
    return SiteNoise(ocr=tuple(ocr.items()), **patterns)


@lru_cache(maxsize=1)
def site_noise() -> SiteNoise:
    """The shipped file's furniture and misreadings (read once per process)."""
    return parse_noise(NOISE_FILE.read_text(encoding="utf-8"))


def with_misreadings(word: str) -> str:
    """A regex alternation of the word and every known misreading of it (「责任」 → 责任|贵任)."""
    return alternation((word, *site_noise().misreadings(word)))


__all__ = ["NOISE_FILE", "SiteNoise", "parse_noise", "site_noise", "with_misreadings"]
