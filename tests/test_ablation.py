"""`eval --without RULE` (evaluation/ablation.py): each rule switched off changes what it decides, in this process
only; unknown rules and check sets are refused."""

import subprocess
import sys

import pytest

from rag.evaluation.ablation import RULES, switch_off


def test_an_unknown_rule_is_refused_naming_the_known_ones():
    with pytest.raises(ValueError) as caught:
        switch_off("no-such-rule")
    assert "years" in str(caught.value) and "other-place" in str(caught.value)


def test_a_check_set_is_never_measured_without_a_rule(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "rag", "eval", "tests/questions_heldout.jsonl", "--check", "--without", "years"],
        capture_output=True, text=True, timeout=120,
    )
    assert done.returncode != 0 and "tuning sets only" in done.stderr


def test_switching_the_year_rule_off_lets_a_figure_of_another_year_answer():
    """Run in a child process: switching a rule off patches the running process."""
    code = (
        "from rag.evaluation.ablation import switch_off\n"
        "from rag.answering import answerability as a\n"
        "before = a.mentions_year('2025年达到100家', '2030')\n"
        "switch_off('years')\n"
        "after = a.mentions_year('2025年达到100家', '2030')\n"
        "print(before, after)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stdout.split() == ["False", "True"], done.stderr


def test_every_rule_can_be_switched_off_in_a_fresh_process():
    for rule in RULES:
        code = f"from rag.evaluation.ablation import switch_off; switch_off({rule!r})"
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, (rule, done.stderr)
