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


