"""The prompt comparison's bookkeeping (`python -m rag bench --prompts`), on a scripted model: which answers
reached the model, their prompt lengths, and the quality figures of the same answers."""
from __future__ import annotations

from rag.evaluation.bench_prompts import CountingBackend, bench_prompt_mode, describe_prompts
from rag.evaluation.metrics import GoldItem
from rag.session import Session
from conftest import ScriptedLLM


class CountingScript(ScriptedLLM):
    def count_tokens(self, messages):
        return sum(len(m["content"]) for m in messages)


def test_each_prompt_mode_is_timed_counted_and_scored(settings, fake_embedder, tmp_path):
    items = [GoldItem("1", "静海区 有效发明专利 达到 多少件", ("有效发明专利达到350件",), "numeric"),
             GoldItem("2", "静海区 有效发明专利 达到 多少件", ("根本不存在的一句话",), "numeric"),
             GoldItem("3", "火星基地 的 建设目标 是什么", (), "unanswerable")]
    figures, rows = [], []
    for mode in ("clauses", "evidence"):
        session = Session(settings.with_(prompt_mode=mode), embedder=fake_embedder)
        session.build()
        llm = CountingBackend(CountingScript("静海区全区有效发明专利达到350件[1]。"))
        figures.append(bench_prompt_mode(session, items, llm, rows))
    clauses, evidence = figures
    assert clauses["mode"] == "clauses" and evidence["mode"] == "evidence"
    for m in figures:
        assert m["questions"] == 3 and m["model_calls"] == 2  # the unknown place is refused before the model
        assert m["first_token_s"]["n"] == 2 and m["first_verified_s"]["n"] == 2
        assert m["first_verified_s"]["p50"] <= m["answer_s"]["p50"]
        assert m["quality"]["citation_precision"] == 0.5  # one citation covers its gold quote, one does not
        assert m["quality"]["refusal_rate_unanswerable"] == 1.0
    assert evidence["prompt_tokens_mean"] < clauses["prompt_tokens_mean"]  # the evidence prompt is shorter
    assert [r["mode"] for r in rows] == ["clauses"] * 3 + ["evidence"] * 3 and rows[2]["prompt_tokens"] == 0
    text = "\n".join(describe_prompts({"cpu": {"model": "x", "cores": 2, "flags": ["avx2"]},
                                       "llama_features": "AVX2 = 1", "modes": figures}))
    assert "prompt clauses" in text and "prompt evidence" in text and "first verified text" in text
