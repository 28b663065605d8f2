"""The local model through the answerer, per prompt (`python -m rag bench --prompts`): prompt tokens, first
verified text on screen, time to first token, the model's generation and the whole answer (p50 / p95), and the
quality of the same answers (citation precision, answered with a valid citation, refused), so a faster prompt
is only kept when it answers as well."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any, Iterator

from ..config import PROMPT_MODES, Settings
from ..llm.base import ChatBackend, Message
from .bench_llm import cpu_description, percentile
from .memory import peak_rss_mb
from .metrics import AnswerOutcome, GoldItem, answer_metrics


class CountingBackend(ChatBackend):
    """A chat backend that records each prompt's length in tokens and passes everything else through."""

    def __init__(self, inner: ChatBackend) -> None:
        self.inner = inner
        self.name = inner.name
        self.queue = inner.queue
        self.prompt_tokens: list[int] = []

    def warm_up(self) -> None:
        self.inner.warm_up()

    def keep_prefix(self, messages: list[Message]) -> int:
        return self.inner.keep_prefix(messages)

    def stream(self, messages: list[Message], max_new_tokens: int) -> Iterator[str]:
        self.prompt_tokens.append(self.inner.count_tokens(messages))
        return self.inner.stream(messages, max_new_tokens)


def _spread(values: list[float]) -> dict:
    return {"p50": percentile(values, 0.5), "p95": percentile(values, 0.95), "n": len(values)}


def bench_prompt_mode(session, items: list[GoldItem], llm: CountingBackend, rows: list[dict] | None = None) -> dict:
    """Every question through `Answerer.stream` with the model and the session's prompt mode."""
    mode = session.settings.prompt_mode
    answerer = session.answerer(llm.name, llm=llm)
    llm.prompt_tokens.clear()
    verified, first, generation, total, outcomes = [], [], [], [], []  # total: answers the model worded
    for item in items:
        started = time.perf_counter()
        calls = len(llm.prompt_tokens)
        final = list(answerer.stream(item.question))[-1]
        elapsed = time.perf_counter() - started
        t = final.timings
        if t.first_verified is not None:
            verified.append(t.first_verified)
        if len(llm.prompt_tokens) > calls:  # the model ran (the checks did not refuse first)
            first.append(t.first_token or 0.0)
            generation.append(t.generation or 0.0)
            total.append(elapsed)
        outcome = AnswerOutcome(item, final.refused, [c.text for c in final.citations], final.body)
        outcomes.append(outcome)
        if rows is not None:
            rows.append(
                {
                    "mode": mode,
                    "id": item.id,
                    "question": item.question,
                    "refused": final.refused,
                    "backend": final.backend,
                    "body": final.body,
                    "timings": t.to_dict(),
                    "cited": [c.label for c in final.citations],
                    "good_citations": outcome.good_citations,
                    "prompt_tokens": llm.prompt_tokens[-1] if len(llm.prompt_tokens) > calls else 0,
                }
            )
    tokens = llm.prompt_tokens
    return {
        "mode": mode,
        "questions": len(items),
        "model_calls": len(tokens),
        "prompt_tokens_mean": sum(tokens) / len(tokens) if tokens else 0.0,
        "first_verified_s": _spread(verified),
        "first_token_s": _spread(first),
        "generation_s": _spread(generation),
        "answer_s": _spread(total),
        "quality": answer_metrics(outcomes),
    }


def bench_prompts(
    settings: Settings, index: Path, items: list[GoldItem], modes=PROMPT_MODES, rows_path: Path | None = None
) -> dict:
    """Each prompt mode over the same questions with one loaded model (its load is not counted)."""
    from ..answering.context import system_message
    from ..llm.factory import make_llm
    from ..llm.local import cpu_features
    from ..session import Session

    local = make_llm("local", settings)
    assert local is not None  # only the extractive backend has no model
    llm = CountingBackend(local)
    sessions = [Session(settings.with_(index_dir=index, prompt_mode=mode, llm="local")) for mode in modes]
    # One answer first and the rules' state kept, as the page's warm-up does: the model's, the encoders' and the
    # retriever's load stay out of the figures.
    list(sessions[0].answerer("local", llm=llm).stream(items[0].question))
    llm.keep_prefix([system_message()])
    rows: list[dict] = []
    figures: dict[str, Any] = {
        "cpu": cpu_description(),
        "llama_features": cpu_features(),
        "modes": [bench_prompt_mode(session, items, llm, rows) for session in sessions],
    }
    figures["peak_rss_mb"] = peak_rss_mb()
    if rows_path:
        rows_path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return figures


def describe_prompts(figures: dict) -> list[str]:
    cpu = figures["cpu"]
    lines = [
        f"CPU: {cpu['model']}, {cpu['cores']} cores, flags {' '.join(cpu['flags'])}",
        f"llama.cpp uses: {figures['llama_features']}",
    ]
    for m in figures["modes"]:
        q = m["quality"]
        s = lambda key: f"{m[key]['p50']:.2f} / {m[key]['p95']:.2f} s"  # noqa: E731
        lines.append(
            f"  prompt {m['mode']:9} {m['questions']} questions, {m['model_calls']} model calls, "
            f"prompt {m['prompt_tokens_mean']:.0f} tokens; p50 / p95: first verified text {s('first_verified_s')}, "
            f"first token {s('first_token_s')}, generation {s('generation_s')}, whole model answer {s('answer_s')}"
        )
        lines.append(
            f"  {'':16} citation precision {q['citation_precision']:.3f}, answered with a valid citation "
            f"{q['answered_with_valid_citation']:.3f}, refused {q['refusal_rate_unanswerable']:.3f}, "
            f"false refusals {q['false_refusal_rate']:.3f}"
        )
    if "peak_rss_mb" in figures:
        lines.append(f"  peak RSS of the bench process: {figures['peak_rss_mb']:.0f} MB")
    return lines
