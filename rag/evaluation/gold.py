"""Gold sets in the dev.jsonl format (question, quotes, type); third-party folders are read by external.py."""

from __future__ import annotations

import json
from pathlib import Path

from .metrics import GoldItem


def load_gold(path: Path) -> list[GoldItem]:
    items = []
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            items.append(
                GoldItem(
                    str(row.get("id", n)), row["question"], tuple(row.get("quotes") or ()), row.get("type", "factoid")
                )
            )
        except (json.JSONDecodeError, KeyError) as exc:
            raise ValueError(f"{path}:{n}: not a gold item ({exc})") from exc
    return items


# The project's question files: its own sets (tests/), the dev set beside the clone (../shared, may be absent), and
# the set-aside questions (tests/check_ids.txt: the ids of tests/questions_heldout.jsonl): a check set, reported apart.
ROOT = Path(__file__).resolve().parents[2]
OWN_QUESTIONS = ROOT / "tests" / "questions.jsonl"
USERS_QUESTIONS = ROOT / "tests" / "questions_users.jsonl"
DEV_SET = ROOT.parent / "shared" / "eval" / "dev.jsonl"
CHECK_IDS = ROOT / "tests" / "check_ids.txt"
# The ids the shipped learned reader and chooser were fitted without (their rows are still built without them).
FIT_EXCLUDED_IDS = ROOT / "tests" / "fit_excluded_ids.txt"


def read_ids(path: Path) -> frozenset[str]:
    """The ids a list file names, one per line ("#" lines are comments); empty when the file is absent."""
    if not Path(path).is_file():
        return frozenset()
    return frozenset(
        line.strip()
        for line in Path(path).read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    )
