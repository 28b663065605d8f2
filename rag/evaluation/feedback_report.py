"""`python -m rag eval feedback [--export FILE]`: the feedback users gave on answers (page 👍/👎 and the API's
/api/feedback), and the 👎 ones written as a question file that `python -m rag eval` reads once a maintainer has
filled in the expected answer and its verbatim quotes."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from ..feedback import FeedbackRecord, FeedbackStore, exported_questions

# What `eval` takes as the word for the feedback of the configured index (not a file name).
FEEDBACK_WORD = "feedback"
SHOWN_CHARS = 60


def feedback_lines(records: list[FeedbackRecord]) -> list[str]:
    counts = Counter(r.rating for r in records)
    lines = [f"feedback: {len(records)} records, {counts['up']} up, {counts['down']} down"]
    for r in records:
        mark = "👍" if r.rating == "up" else "👎"
        comment = f"  — {r.comment[:SHOWN_CHARS]}" if r.comment else ""
        refused = " (refused)" if r.refused else ""
        lines.append(
            f"{r.time} {mark} {r.user or '-'} [{r.generation or '-'}] {r.question[:SHOWN_CHARS]}{refused}{comment}"
        )
    return lines


def run_feedback(index_dir: Path, export: Path | None = None, as_json: bool = False, log=print) -> int:
    records = FeedbackStore(index_dir).records()
    if as_json:
        log(json.dumps([r.__dict__ for r in records], ensure_ascii=False, indent=1))
    else:
        for line in feedback_lines(records):
            log(line)
    if export is not None:
        items = exported_questions(records)
        Path(export).write_text("".join(json.dumps(i, ensure_ascii=False) + "\n" for i in items), encoding="utf-8")
        log(
            f"wrote {len(items)} questions to {export}: fill in each one's answer and quotes (the clause's verbatim "
            f"words), then `python -m rag eval {export}`"
        )
    return 0


__all__ = ["FEEDBACK_WORD", "feedback_lines", "run_feedback"]
