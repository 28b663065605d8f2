"""Text normalisation shared by indexing, querying and evaluation."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Pinyin with tone marks inserted by some sites after a character: "關(guān)於" -> "關於".
_TONED = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜńňǹḿ"
PINYIN_AFTER_HAN = re.compile(
    rf"(?<=[\u3400-\u9fff])\([a-zA-Zü{_TONED}ê]{{1,8}}\)"  # after a Chinese character
    rf"|\([a-zü]{{0,6}}[{_TONED}][a-zü{_TONED}]{{0,6}}\)"  # toned pinyin anywhere (after mojibake too)
)
_DROP_FOR_MATCH = re.compile(r"[\s\W_]+", re.UNICODE)
# Spaces between two Chinese characters (or a Chinese character and Chinese punctuation) carry no meaning in
# Chinese text; users type them as word breaks ("火星基地 的 建设目标 是什么").
HAN_SPACES = re.compile(
    r"(?<=[\u3400-\u9fff\u3000-\u303f\uff01-\uff0f\uff1a-\uff1f])[ \t\u3000]+"
    r"(?=[\u3400-\u9fff\u3000-\u303f\uff01-\uff0f\uff1a-\uff1f])"
)
# Lone surrogates (a browser or JSON client can send them) cannot be encoded; they carry no text.
_SURROGATE = re.compile(r"[\ud800-\udfff]")


@lru_cache(maxsize=1)
def _t2s():
    import opencc  # lazy: keeps `import rag` cheap

    return opencc.OpenCC("t2s")


def without_surrogates(text: str) -> str:
    """The text without lone surrogate code points."""
    return _SURROGATE.sub("", text)


def join_han(text: str) -> str:
    """The text without spaces between Chinese characters (spaces beside Latin letters or digits stay)."""
    return HAN_SPACES.sub("", text)


def strip_pinyin(text: str) -> str:
    """Remove pinyin artefacts that follow Chinese characters."""
    return PINYIN_AFTER_HAN.sub("", text)


def to_simplified(text: str) -> str:
    """Convert traditional Chinese to simplified (OpenCC t2s)."""
    return _t2s().convert(text) if text else text


def simplified_in_place(text: str) -> str:
    """The text in simplified characters, each character where it was (for reading a span by offset): OpenCC t2s
    when it keeps the length, else character by character, keeping a character whose conversion is not one
    character."""
    converted = to_simplified(text)
    if len(converted) == len(text):
        return converted
    return "".join(c if len(s := to_simplified(c)) != 1 else s for c in text)


def for_search(text: str) -> str:
    """Text as it is embedded and keyword-indexed: pinyin removed, simplified, NFKC width-folded."""
    return to_simplified(unicodedata.normalize("NFKC", strip_pinyin(text)))


def for_match(text: str) -> str:
    """Text reduced for containment checks: ``for_search`` minus punctuation and spaces, lower-cased."""
    return _DROP_FOR_MATCH.sub("", for_search(text)).lower()


def covers(passage: str, quote: str) -> bool:
    """True when the passage contains the quote after normalisation (the evaluation's notion of a hit)."""
    q = for_match(quote)
    return bool(q) and q in for_match(passage)
