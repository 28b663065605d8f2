"""The real local model answers from the short evidence prompt with a verified citation (issue: a verified answer
on screen in a second): the prompt carries the chosen sentences, not five whole clauses."""
from __future__ import annotations

import pytest

from conftest import SEEDS
from rag.evaluation.bench_prompts import CountingBackend

pytestmark = [pytest.mark.llm, pytest.mark.slow]


def test_the_local_model_answers_from_the_evidence_prompt_with_a_verified_citation(real_index):
    from rag.config import Settings
    from rag.indexing.embedders import make_embedder
    from rag.session import Session

    settings = Settings.from_env(docs_dir=SEEDS, index_dir=real_index, llm="local", prompt_mode="evidence")
    session = Session(settings, embedder=make_embedder("e5"))
    llm = CountingBackend(session.llm("local"))
    whole = PromptOnly(session.llm("local"))
    question = "唐山对从省外引进的高新技术企业一次性奖励多少？"
    final = list(session.answerer("local", llm=llm).stream(question))[-1]
    assert final.backend == "local" and not final.refused, final.note  # the model's wording verified
    assert "50万元" in final.body and any("50万元" in c.text for c in final.citations)
    # the same question with whole clauses: the evidence prompt is a fraction of it (counted by the model's own
    # tokenizer; that prompt is not run, its reply would not be looked at)
    clauses = Session(settings.with_(prompt_mode="clauses"), embedder=make_embedder("e5"))
    list(clauses.answerer("local", llm=whole).stream(question))
    assert llm.prompt_tokens[-1] * 2 < whole.prompt_tokens[-1]


class PromptOnly(CountingBackend):
    """Counts the prompt's tokens with the real model's tokenizer and replies with nothing."""

    def stream(self, messages, max_new_tokens):
        super().stream(messages, max_new_tokens)  # counts; its generator is never started, so the model never runs
        return iter(())


def test_a_process_that_used_the_model_exits_without_a_traceback():
    """The model is freed before the interpreter tears its modules down (llama-cpp-python's own finaliser
    printed a TypeError traceback at every exit of `python -m rag ask --llm local`)."""
    import subprocess
    import sys

    from conftest import ROOT

    code = ("from pathlib import Path; from rag.config import Settings; from rag.llm.local import LocalLLM; "
            "m = LocalLLM(Path(Settings.from_env().cache_dir)); m.warm_up(); print(len(m.tokens('你好')))")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 and done.stdout.strip().isdigit(), done.stderr[-2000:]
    assert "Traceback" not in done.stderr and "TypeError" not in done.stderr, done.stderr[-2000:]
