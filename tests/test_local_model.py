"""Assembling the local model from its parts: size and sha256 are checked."""
from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from rag.errors import LocalModelError
from rag.llm.model_files import assemble_gguf


def test_assembly_checks_size_and_hash(tmp_path: Path):
    parts = []
    for i, data in enumerate([b"abc", b"def"]):
        parts.append(tmp_path / f"p{i}")
        parts[-1].write_bytes(data)
    good = hashlib.sha256(b"abcdef").hexdigest()
    out = assemble_gguf(tmp_path / "cache", parts, expected_size=6, expected_sha256=good, name="m.gguf")
    assert out.read_bytes() == b"abcdef"
    with pytest.raises(LocalModelError, match="sha256"):
        assemble_gguf(tmp_path / "cache2", parts, expected_size=6, expected_sha256="0" * 64, name="m.gguf")
    assert not (tmp_path / "cache2" / "m.gguf").exists()




def test_missing_or_corrupt_model_is_a_clear_error_and_answers_fall_back(tmp_path: Path, fake_session):
    from rag.answering.answerer import Answerer
    from rag.errors import LLMError
    from rag.llm.local import LocalLLM

    missing = LocalLLM(tmp_path, model_path=tmp_path / "absent.gguf")
    with pytest.raises(LocalModelError, match="missing"):
        missing.warm_up()
    corrupt_file = tmp_path / "corrupt.gguf"
    corrupt_file.write_bytes(b"GGUF" + bytes(range(256)) * 64)
    corrupt = LocalLLM(tmp_path, model_path=corrupt_file)
    with pytest.raises(LocalModelError, match="cannot load") as err:
        corrupt.warm_up()
    assert isinstance(err.value, LLMError)
    final = list(Answerer(fake_session, "local", llm=corrupt).stream("静海区 有效发明专利 达到 多少件"))[-1]
    assert final.backend == "extractive" and "不可用" in final.note and final.citations
    assert "350件" in final.citations[0].text


@pytest.mark.llm
@pytest.mark.slow
def test_the_real_model_is_read_into_memory_not_mapped(tmp_path: Path):
    """MAP_WEIGHTS=False reaches llama.cpp: the repacked weights are then the only copy the process holds."""
    from rag.config import Settings
    from rag.llm.local import MAP_WEIGHTS, LocalLLM

    from rag.llm.cpu_build import import_llama

    llm = LocalLLM(Path(Settings().cache_dir))
    llm.warm_up()
    try:
        assert MAP_WEIGHTS is False
        assert llm._llama.model_params.load_mode == import_llama().LLAMA_LOAD_MODE_NONE
    finally:
        llm.close()


def test_llama_threads_spin_briefly_unless_the_environment_says_otherwise(tmp_path: Path):
    """GOMP_SPINCOUNT is in the environment before llama_cpp (and its libgomp) loads, in a fresh process."""
    import os
    import subprocess
    import sys

    from rag.llm.cpu_build import OPENMP_SPINCOUNT

    pytest.importorskip("llama_cpp")
    probe = ("import os, sys; from rag.llm.cpu_build import import_llama; assert 'llama_cpp' not in sys.modules; "
             "import_llama(); print(os.environ['GOMP_SPINCOUNT'])")
    env = {k: v for k, v in os.environ.items() if k != "GOMP_SPINCOUNT"}
    out = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == OPENMP_SPINCOUNT
    mine = subprocess.run([sys.executable, "-c", probe], env={**env, "GOMP_SPINCOUNT": "7"}, capture_output=True,
                          text=True, check=True)
    assert mine.stdout.strip() == "7"
