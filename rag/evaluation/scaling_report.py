"""The scaling benchmark's figures as text, markdown and a plot (measured by rag/evaluation/scaling.py)."""

from __future__ import annotations

from ..errors import MissingExtra
from .scaling import POOL, RECALL_AT, ScalePoint, Timing


def plot(points: list[ScalePoint], path) -> None:
    try:
        import matplotlib
    except ImportError:
        raise MissingExtra("the scaling plot (bench --write)", "bench") from None

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ns = [p.clauses for p in points]
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    series = [
        ("flat", "o-", "dense, FAISS flat (exact)"),
        ("store", "s-", "dense, the FAISS store (IVF above 50k)"),
        ("hnsw", "D-", "dense, FAISS HNSW (rejected)"),
        ("bm25", "^-", "BM25 (bm25s)"),
        ("milvus", "v-", "Milvus Lite hybrid (dense + BM25, RRF)"),
    ]
    for key, style, label in series:
        got = [(p.clauses, getattr(p, key)) for p in points if getattr(p, key) is not None]
        if got:
            left.plot([n for n, _ in got], [t.p50_ms for _, t in got], style, label=label)
            right.plot([n for n, _ in got], [t.build_s for _, t in got], style, label=label)
    right.plot(ns, [p.embed_seconds_estimate for p in points], "x--", label="embedding (measured rate)")
    left.set(xscale="log", yscale="log", xlabel="clauses", ylabel="ms per query (p50)", title="Query latency")
    right.set(xscale="log", yscale="log", xlabel="clauses", ylabel="seconds", title="Index build")
    left.legend(fontsize=7)
    right.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def describe_point(p: ScalePoint) -> str:
    """One size's figures on a few lines."""

    def row(name: str, t: Timing | None) -> str:
        if t is None:
            return ""
        extra = "".join(
            [
                f", recall@10 {t.recall_at_10:.3f}" if t.recall_at_10 is not None else "",
                f", {t.mb:.0f} MB" if t.mb is not None else "",
                f", disk {t.disk_mb:.0f} MB" if t.disk_mb is not None else "",
                f" ({t.note})" if t.note else "",
            ]
        )
        return f"\n  {name:14} build {t.build_s:8.1f} s, query p50 {t.p50_ms:7.2f} ms, p95 {t.p95_ms:7.2f} ms{extra}"

    dense = f"\n  {'milvus dense':14} query p50 {p.milvus_dense_p50_ms:.2f} ms" if p.milvus_dense_p50_ms else ""
    return (
        f"scale {p.clauses:,} clauses (embedding them would take {p.embed_seconds_estimate / 3600:.2f} h):"
        + row("faiss flat", p.flat)
        + row("faiss store", p.store)
        + row("faiss hnsw", p.hnsw)
        + row("bm25s", p.bm25)
        + row("milvus lite", p.milvus)
        + dense
    )


def scaling_markdown(points: list[ScalePoint]) -> list[str]:
    """The scaling section of docs/benchmarks.md: how the corpora are made, a plot and one table."""
    lines = [
        "Synthetic corpora: vectors are perturbed copies of the real clause vectors, keyword texts recombine "
        "real clause tokens; the embedding column is what embedding that many real clauses would cost at the "
        f"measured rate. Dense queries ask for the top {POOL}, as retrieval does; recall@{RECALL_AT} is against "
        "flat. The FAISS store: flat up to 50,000 clauses, IVF above (nlist 4·√n, nprobe 128). HNSW: FAISS "
        "`IndexHNSWFlat` with Milvus's parameters. Milvus Lite: the Milvus store's collection (HNSW + BM25 over "
        "jieba), hybrid query with RRF; memory is the growth of this process's RSS.",
        "",
        "![scaling](scaling.png)",
        "",
        "| clauses | embedding (est.) | index | build | query p50 | query p95 | recall@10 | memory MB | disk MB |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for p in points:
        for name, t in [
            ("FAISS flat", p.flat),
            (f"FAISS store ({p.store.note})" if p.store else "", p.store),
            ("FAISS HNSW", p.hnsw),
            ("BM25 (bm25s)", p.bm25),
            ("Milvus Lite hybrid", p.milvus),
        ]:
            if t is None:
                continue
            fmt = lambda v, f: "–" if v is None else format(v, f)  # noqa: E731
            lines.append(
                f"| {p.clauses:,} | {p.embed_seconds_estimate / 3600:.1f} h | {name} | {t.build_s:.1f} s | "
                f"{t.p50_ms:.2f} ms | {t.p95_ms:.2f} ms | {fmt(t.recall_at_10, '.3f')} | {fmt(t.mb, '.0f')} | "
                f"{fmt(t.disk_mb, '.0f')} |"
            )
    return lines
