"""The local model's speed on this machine: CPU, load (cold and warm), prompt tokens, time to first token,
decode rate, and memory, on real prompts built from retrieved clauses."""

from __future__ import annotations

import os
import re
import statistics
import tempfile
import time
from pathlib import Path

from ..config import Settings
from .memory import peak_rss_mb, rss_mb

# The budget timed beside whole clauses when none is configured.
TRIAL_BUDGET = 700
# CPU flags worth naming: what llama.cpp can use here, and the AMX it must not rely on.
_FLAGS = ("avx", "avx2", "fma", "f16c", "avx512f", "avx512_vnni", "avx512_bf16", "amx_tile", "amx_int8", "amx_bf16")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def cpu_description() -> dict:
    """CPU model, core count and the SIMD flags present, from /proc/cpuinfo."""
    from ..llm.cpu_build import cpu_flags

    try:
        info = Path("/proc/cpuinfo").read_text()
    except OSError:
        info = ""
    model = re.search(r"^model name\s*:\s*(.+)$", info, re.M)
    present = cpu_flags()
    return {
        "model": model.group(1).strip() if model else "unknown",
        "cores": os.cpu_count(),
        "flags": [f for f in _FLAGS if f in present],
    }


def machine(settings: Settings) -> dict:
    """What every benchmark figure was measured on: the CPU, the llama.cpp build installed for it (no model is
    loaded) and the encoders' precision."""
    from ..llm.cpu_build import recorded_build

    build, needs = recorded_build()
    return {
        "cpu": cpu_description(),
        "llama_build": build + (f" ({' '.join(needs)})" if needs else ""),
        "precision": settings.precision,
    }


def describe_machine(m: dict) -> str:
    cpu = m["cpu"]
    return (
        f"machine: {cpu['model']}, {cpu['cores']} cores, flags {' '.join(cpu['flags']) or 'unknown'}; "
        f"llama.cpp build {m['llama_build']}; encoders {m['precision']}"
    )


def bench_load(settings: Settings, cold: bool = True) -> tuple[object, dict]:
    """(loaded LocalLLM, figures): a cold start assembles and checks the parts into an empty cache first."""
    from ..llm.local import LocalLLM, cpu_features

    figures: dict = {}
    if cold:
        cache_dir = Path(settings.cache_dir)
        with tempfile.TemporaryDirectory(
            prefix="rag-cold-", dir=cache_dir.parent if cache_dir.parent.exists() else None
        ) as tmp:
            fresh = LocalLLM(Path(tmp))
            fresh.warm_up()
            figures["cold_load_s"] = fresh.load_seconds
            del fresh
    rss_before = rss_mb()
    llm = LocalLLM(Path(settings.cache_dir))
    llm.warm_up()
    figures.update(warm_load_s=llm.load_seconds, model_rss_mb=rss_mb() - rss_before, llama_features=cpu_features())
    return llm, figures


def bench_prompts(llm, settings: Settings, index: Path, questions: list[dict], budget_chars: int, n: int = 8) -> dict:
    """Time to first token, decode rate and whole generation over n answerable questions' real prompts."""
    from ..answering.context import prompt_messages, system_message
    from ..indexing.embedders import embedder_from
    from ..retrieval.retriever import Retriever

    retriever = Retriever.open(index, embedder_from(settings))
    prefix = llm.keep_prefix([system_message()])
    ttft, rates, totals, prompt_tokens = [], [], [], []
    for q in [q for q in questions if q.get("quotes")][:n]:
        hits = retriever.search(q["question"], settings.top_k)
        messages = prompt_messages(q["question"], hits, budget_chars)
        prompt_tokens.append(llm.count_tokens(messages))
        started = time.perf_counter()
        first, text = None, ""
        for piece in llm.stream(messages, settings.max_new_tokens):
            first = first or time.perf_counter() - started
            text += piece
        total = time.perf_counter() - started
        generated = len(llm.tokens(text)) if text else 0
        ttft.append(first or total)
        totals.append(total)
        rates.append(max(generated - 1, 0) / max(total - (first or total), 1e-6))
    return {
        "budget_chars": budget_chars,
        "questions": len(ttft),
        "prefix_tokens": prefix,
        "prompt_tokens_mean": statistics.mean(prompt_tokens) if prompt_tokens else 0,
        "ttft_p50_s": percentile(ttft, 0.5),
        "ttft_p95_s": percentile(ttft, 0.95),
        "decode_tokens_per_s": statistics.median(rates) if rates else 0,
        "generation_p50_s": percentile(totals, 0.5),
        "generation_p95_s": percentile(totals, 0.95),
    }


def bench_local_llm(settings: Settings, index: Path, questions: list[dict], cold: bool = True) -> dict:
    """Everything about the local model in one run: CPU, load, prompts with whole clauses and with the budget."""
    llm, figures = bench_load(settings, cold)
    figures["cpu"] = cpu_description()
    figures["whole_clauses"] = bench_prompts(llm, settings, index, questions, 0)
    figures["budget"] = bench_prompts(llm, settings, index, questions, settings.prompt_budget_chars or TRIAL_BUDGET)
    figures["peak_rss_mb"] = peak_rss_mb()
    return figures


def describe(m: dict) -> list[str]:
    """Printable lines for bench_local_llm's figures."""
    cpu = m["cpu"]
    lines = [
        f"CPU: {cpu['model']}, {cpu['cores']} cores, flags {' '.join(cpu['flags'])}",
        f"llama.cpp uses: {m['llama_features']}",
        (
            f"local model load: cold {m['cold_load_s']:.1f} s (assemble + sha256 + load), "
            if "cold_load_s" in m
            else "local model load: "
        )
        + f"warm {m['warm_load_s']:.1f} s, +{m['model_rss_mb']:.0f} MB RSS",
    ]
    for key, label in (("whole_clauses", "whole clauses"), ("budget", f"budget {m['budget']['budget_chars']} chars")):
        p = m[key]
        lines.append(
            f"  {label:22} prompt {p['prompt_tokens_mean']:.0f} tokens (prefix {p['prefix_tokens']} reused), "
            f"first token p50 {p['ttft_p50_s']:.1f} s / p95 {p['ttft_p95_s']:.1f} s, "
            f"decode {p['decode_tokens_per_s']:.1f} tokens/s, generation p50 {p['generation_p50_s']:.1f} s "
            f"/ p95 {p['generation_p95_s']:.1f} s ({p['questions']} questions)"
        )
    lines.append(f"  peak RSS of the bench process so far: {m['peak_rss_mb']:.0f} MB")
    return lines
