"""The llama.cpp build recorded at install is checked against the CPU before llama.cpp loads: an AVX-512 build
on a CPU without AVX-512 is a clear error, not an illegal instruction."""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from rag.errors import LocalModelError
from rag.llm.cpu_build import BUILD_RECORD, PORTABLE, check_build, cpu_flags, recorded_build

NEEDS = "avx2 fma avx512f avx512bw avx512_vnni"
ROOT = Path(__file__).resolve().parents[1]


def test_nothing_recorded_is_the_portable_build(tmp_path):
    assert recorded_build(tmp_path) == (PORTABLE, ())
    assert check_build(tmp_path, flags={"avx2"}) == PORTABLE


def test_an_avx512_build_runs_where_the_cpu_has_its_flags(tmp_path):
    (tmp_path / BUILD_RECORD).write_text(f"avx512 {NEEDS}\n")
    assert check_build(tmp_path, flags=set(NEEDS.split()) | {"sse4_2"}) == "avx512"


def test_an_avx512_build_on_an_avx2_cpu_is_a_clear_error(tmp_path):
    (tmp_path / BUILD_RECORD).write_text(f"avx512 {NEEDS}\n")
    with pytest.raises(LocalModelError, match=r"lacks avx512f, avx512bw, avx512_vnni.*make install"):
        check_build(tmp_path, flags={"avx2", "fma"})


def test_cpu_flags_are_read_from_cpuinfo(tmp_path):
    info = tmp_path / "cpuinfo"
    info.write_text("processor\t: 0\nmodel name\t: AMD EPYC\nflags\t\t: fpu avx2 avx512f\n")
    assert cpu_flags(info) == {"fpu", "avx2", "avx512f"}
    assert cpu_flags(tmp_path / "missing") == set()


def test_this_environment_can_run_its_build():
    assert check_build() in (PORTABLE, "avx512")


def test_the_makefile_picks_the_build_from_the_cpu_flags(tmp_path):
    """`make` chooses avx512 only when every flag is present (a fake /proc/cpuinfo is not possible, so the same
    shell test runs over a flags line the test writes)."""
    text = (ROOT / "Makefile").read_text()
    flags = next(line.split(":=", 1)[1].split() for line in text.splitlines() if line.startswith("AVX512_FLAGS"))
    assert {"avx512f", "avx512_vnni", "avx512_bf16"} <= set(flags) and not any(f.startswith("amx") for f in flags)
    script = ROOT / "Makefile"
    probe = tmp_path / "probe.mk"
    probe.write_text(f"include {script}\nshow:\n\t@echo $(LLAMA_CPU)\n")
    forced = subprocess.run(["make", "-s", "-f", str(probe), "show", "LLAMA_CPU=portable"], capture_output=True,
                            text=True, cwd=ROOT)
    assert forced.stdout.strip() == "portable"
    chosen = subprocess.run(["make", "-s", "-f", str(probe), "show"], capture_output=True, text=True, cwd=ROOT)
    assert chosen.stdout.strip() == ("avx512" if set(flags) <= cpu_flags() else "portable")
