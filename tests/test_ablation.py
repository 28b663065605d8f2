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


def in_a_child(code: str) -> subprocess.CompletedProcess:
    """Run `code` in a fresh Python with switch_off and answerability (as a) imported: switching a rule off patches
    the running process, so each check gets its own."""
    head = "from rag.evaluation.ablation import switch_off\nfrom rag.answering import answerability as a\n"
    return subprocess.run([sys.executable, "-c", head + code], capture_output=True, text=True, timeout=60)


def test_switching_the_year_rule_off_lets_a_figure_of_another_year_answer():
    """Run in a child process: switching a rule off patches the running process."""
    done = in_a_child(
        "before = a.mentions_year('2025年达到100家', '2030')\n"
        "switch_off('years')\n"
        "after = a.mentions_year('2025年达到100家', '2030')\n"
        "print(before, after)\n"
    )
    assert done.stdout.split() == ["False", "True"], done.stderr


def test_every_rule_can_be_switched_off_in_a_fresh_process():
    for rule in RULES:
        done = in_a_child(f"switch_off({rule!r})")
        assert done.returncode == 0, (rule, done.stderr)


def test_the_new_switches_change_what_they_decide_in_a_fresh_process():
    """label-line: a label line is no longer one; stated-figures: the question's own figure is no longer asked for;
    other-figure-noun: a noun another figure sentence names no longer goes elsewhere."""
    done = in_a_child(
        "label = '举报电话：86222616、12345。'\n"
        "args = ('科技型中小企业', '对新认定的高新技术企业给予50万元奖励', '对新认定的高新技术企业给予50万元奖励',"
        " ['对科技型中小企业给予2000元奖励', '对新认定的高新技术企业给予50万元奖励'])\n"
        "before = (a.is_label_line(label), a.read_ask('哪个指标提到了3.2%？').figures, a._goes_elsewhere(*args))\n"
        "for rule in ('label-line', 'stated-figures', 'other-figure-noun'):\n"
        "    switch_off(rule)\n"
        "after = (a.is_label_line(label), a.read_ask('哪个指标提到了3.2%？').figures, a._goes_elsewhere(*args))\n"
        "print(before)\nprint(after)\n"
    )
    assert done.stdout.splitlines() == ["(True, ('3.2%',), True)", "(False, (), False)"], done.stderr
