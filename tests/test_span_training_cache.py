"""The span reader's trainer keeps the frozen layers' states on disk: a resumed run reads them back instead of
recomputing them, and a different set of examples recomputes (never reads another run's states)."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from rag.evaluation.train_span_reader import Example, _cached_states  # noqa: E402

HIDDEN = 4


class Lower:
    """Stands in for the frozen layers: each token's state is its id repeated, so rows can be checked."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, ids: np.ndarray, mask: torch.Tensor) -> torch.Tensor:
        self.calls += 1
        return torch.from_numpy(np.repeat(ids[..., None], HIDDEN, axis=-1).astype(np.float32))


def examples(*ids: tuple[int, ...]) -> list[Example]:
    return [Example(i, 1, len(i) - 2, -1, -1, "t") for i in ids]


def test_states_are_computed_once_and_read_back(tmp_path):
    ex = examples((0, 5, 6, 2), (0, 7, 2), (0, 8, 9, 10, 2))
    offsets = np.concatenate([[0], np.cumsum([len(e.ids) for e in ex])])
    first = Lower()
    cache = _cached_states(tmp_path, ex, offsets, first, HIDDEN, 6, 0.0)
    assert first.calls > 0
    for i, e in enumerate(ex):
        assert np.array_equal(cache[offsets[i] : offsets[i + 1], 0], np.array(e.ids, dtype=np.float16))
    again = Lower()
    reread = _cached_states(tmp_path, ex, offsets, again, HIDDEN, 6, 0.0)
    assert again.calls == 0 and np.array_equal(np.asarray(reread), np.asarray(cache))


THREE_EACH = np.array([0, 3, 6])  # offsets of two examples of 3 tokens


def test_other_examples_or_layers_recompute(tmp_path):
    ex = examples((0, 5, 2), (0, 6, 2))
    _cached_states(tmp_path, ex, THREE_EACH, Lower(), HIDDEN, 6, 0.0)
    other = Lower()
    cache = _cached_states(tmp_path, examples((0, 9, 2), (0, 6, 2)), THREE_EACH, other, HIDDEN, 6, 0.0)
    assert other.calls > 0 and cache[1, 0] == 9
    layers = Lower()
    _cached_states(tmp_path, examples((0, 9, 2), (0, 6, 2)), THREE_EACH, layers, HIDDEN, 4, 0.0)
    assert layers.calls > 0
    assert len(list(tmp_path.glob("states-*.f16"))) == 1  # a stale run's states are removed
