"""Chinese word segmentation for keyword search (jieba over normalised text)."""

from __future__ import annotations

import logging
import re
from functools import lru_cache

from .masks import only_masks
from .normalize import for_search

_WORD = re.compile(r"[\w%]", re.UNICODE)
STOP_WORDS = frozenset(
    "的 了 和 与 及 或 是 在 对 等 为 由 将 把 被 从 以 于 中 上 下 有 也 都 而 并 之 其 这 那 哪 个 些 "
    "什么 哪些 哪个 多少 如何 怎么 怎样 是否 会不会 能不能 吗 呢 吧 啊 要 会 能 可以 进行 "
    "一 二 三".split()
)


@lru_cache(maxsize=1)
def _jieba():
    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    return jieba


# Bump when `tokens` changes: an index built with another version gets its keyword index rebuilt at load.
TOKENIZER_VERSION = 2


def tokens(text: str) -> list[str]:
    """Search tokens: jieba's search-mode words of the normalised text, minus punctuation and stop words. A word
    jieba guessed (not in its dictionary) adds its character pairs too, so "买算力" and "算力券" both meet "算力"."""
    jieba = _jieba()
    out = []
    for word in jieba.cut_for_search(for_search(text).lower()):
        word = word.strip()
        if word and _WORD.search(word) and word not in STOP_WORDS and not only_masks(word):
            out.append(word)
            if len(word) >= 3 and not jieba.dt.FREQ.get(word) and not word.isascii():
                out.extend(word[i : i + 2] for i in range(len(word) - 1))
    return out


PROPER_NOUN_FLAGS = frozenset({"ns", "nr", "nt", "nz", "nrt", "nrfg"})
# Places, organisations and other proper nouns, without jieba's person-name tags: those also tag everyday words
# ("太贵" in "买算力太贵"), so a question is never refused for one.
PLACE_ORG_FLAGS = frozenset({"ns", "nt", "nz"})


def tagged(text: str) -> list[tuple[str, str]]:
    """(word, jieba POS tag) pairs of the normalised text."""
    import jieba.posseg

    _jieba()
    return [(w.word, w.flag) for w in jieba.posseg.cut(for_search(text))]


def named_entities(text: str, flags: frozenset[str] = PROPER_NOUN_FLAGS) -> list[str]:
    """Place, person, organisation and other proper-noun words (jieba POS tags), two characters or more."""
    return [word for word, flag in tagged(text) if flag in flags and len(word) >= 2]
