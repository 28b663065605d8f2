"""Builds on Ray (rag/indexing/distributed.py), on a real local Ray instance with 2 workers: the same clauses and
vectors as the single-process build; a worker killed mid-build fails the build cleanly and the previous generation
stays live; without --ray nothing imports Ray."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from rag.errors import BuildFailed
from rag.indexing.build import build_index
from rag.indexing.store import current_generation, load_index
from conftest import ROOT

ray = pytest.importorskip("ray", reason="Ray is a test dependency (pip install -e '.[test]')")


def _shipped_by_value():
    import ray_faults
    from ray import cloudpickle

    cloudpickle.register_pickle_by_value(ray_faults)
    return ray_faults


def _vectors(index: Path) -> tuple[bytes, np.ndarray]:
    data = load_index(index)
    clauses = (current_generation(index) / "clauses.jsonl").read_bytes()
    return clauses, data.engine.vectors([sc.vid for sc in data.clauses])


def test_without_ray_nothing_imports_it():
    code = ("import sys, rag.cli, rag.session, rag.indexing.build, rag.indexing.distributed, rag.api; "
            "print('ray' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.stdout.strip() == "False", out.stderr


@pytest.mark.slow
def test_a_ray_build_on_two_workers_equals_the_single_process_build(settings, real_index: Path):
    from rag.config import default_cache_dir
    from rag.session import Session

    # the default cache, where real_index's embedder keeps the converted checkpoint
    session = Session(settings.with_(ray_address="local", ray_workers=2, cache_dir=default_cache_dir()))
    report = session.build()
    assert report.embedded == report.clauses == 144
    assert not ray.is_initialized()  # the local instance it started is shut down
    clauses, vectors = _vectors(settings.index_dir)
    expected_clauses, expected = _vectors(real_index)
    assert clauses == expected_clauses
    assert np.abs(vectors - expected).max() < 1e-5


@pytest.mark.slow
def test_a_worker_killed_mid_build_fails_cleanly_and_the_previous_index_stays_live(docs_dir: Path, tmp_path: Path):
    from rag.indexing.distributed import RayEmbedding

    faults = _shipped_by_value()
    index = tmp_path / "index"
    first = build_index(docs_dir, index, embedder=faults.HashEmbedder(), full=True)
    live = current_generation(index)
    for n, path in enumerate(sorted(docs_dir.iterdir())):  # new clauses in every document; one kills its worker
        path.write_text(path.read_text(encoding="utf-8") + f"\n{faults.MARK if n == 0 else '补充说明'}：第{n}条。",
                        encoding="utf-8")
    runner = RayEmbedding("local", workers=2, factory=faults.DyingEmbedder)
    try:
        with pytest.raises(BuildFailed, match="previous index generation is still live"):
            build_index(docs_dir, index, embedder=faults.HashEmbedder(), runner=runner)
    finally:
        runner.close()
    assert current_generation(index) == live
    assert len(load_index(index).clauses) == first.clauses
    again = build_index(docs_dir, index, embedder=faults.HashEmbedder())  # the build lock was released
    assert again.changed and current_generation(index) != live
