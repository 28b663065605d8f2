"""`python -m rag bench` names the machine its figures come from: CPU model, flags, llama.cpp build, precision."""

from __future__ import annotations

from pathlib import Path

from rag.config import Settings
from rag.evaluation.bench_llm import describe_machine, machine


def test_the_machine_line_names_the_cpu_the_llama_build_and_the_precision():
    m = machine(Settings(precision="int8"))
    line = describe_machine(m)
    model = next(
        (
            x.split(":", 1)[1].strip()
            for x in Path("/proc/cpuinfo").read_text().splitlines()
            if x.startswith("model name")
        ),
        "unknown",
    )
    assert model in line and f"{m['cpu']['cores']} cores" in line
    assert "avx2" in m["cpu"]["flags"] or "avx2" not in Path("/proc/cpuinfo").read_text()
    assert f"llama.cpp build {m['llama_build']}" in line and "encoders int8" in line
