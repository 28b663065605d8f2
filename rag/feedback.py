"""Feedback on answers (👍/👎 and an optional comment), kept so that the questions real users ask become tests.

Answers given through the page or the HTTP API are remembered for a while under an id (`RecentAnswers`); feedback
names that id, so what is stored (question, answer, citations, backend, index generation) is what the server gave,
not what a client claims it gave. Records are lines of `<index folder>/feedback.jsonl` (builds never touch that
file), appended under a lock, each bounded in size. Nothing personal beyond the login or key name is kept.

Feedback is bounded three ways: a comment of at most MAX_COMMENT_CHARS, at most FEEDBACK_PER_MINUTE records a
minute from one login, key or (without either) client, and a file of at most MAX_FEEDBACK_FILE_BYTES: past it,
feedback is refused with a message saying so (nothing already stored is lost or rotated away) until a maintainer
exports and empties the file.

`exported_questions` turns the 👎 records into a question file `python -m rag eval` reads: a maintainer writes the
expected answer (or marks the question unanswerable) and keeps it as a test.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections import OrderedDict
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .errors import RagError
from .indexing.store import current_generation
from .types import Answer
from .rate_limit import SlidingWindow

FEEDBACK_FILE = "feedback.jsonl"
RATINGS = ("up", "down")
MAX_COMMENT_CHARS = 1000
MAX_USER_CHARS = 64
# Answers remembered for feedback (the oldest is forgotten first), and for how long.
RECENT_ANSWERS = 2000
RECENT_SECONDS = 24 * 3600.0
# What a record keeps of an answer: its text (body and sources) and each citation's place, not the clause texts.
MAX_ANSWER_CHARS = 8000
FEEDBACK_PER_MINUTE = 10  # records a minute from one login, key or anonymous client
MAX_FEEDBACK_FILE_BYTES = 20 * 1024 * 1024  # feedback.jsonl stops taking records at this size


class FeedbackError(RagError):
    """Feedback that cannot be stored. `kind`: "unknown_answer" (an id no recent answer has), "bad_rating" (not
    up or down), "too_long" (the comment), "rate_limited" (too many from one rater) or "full" (the file is at its
    size limit)."""

    def __init__(self, message: str, kind: str, zh: str) -> None:
        super().__init__(message, zh)
        self.kind = kind


@dataclass(frozen=True)
class FeedbackRecord:
    answer_id: str
    rating: str  # "up" | "down"
    comment: str
    user: str
    time: str  # ISO 8601, UTC
    question: str
    answer: str
    refused: bool
    backend: str
    citations: list[dict] = field(default_factory=list)  # number, doc, label, path, start, end
    generation: str = ""

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)


class RecentAnswers:
    """Answers given lately, by id: feedback may only be about one of them."""

    def __init__(self, size: int = RECENT_ANSWERS, seconds: float = RECENT_SECONDS) -> None:
        self.size, self.seconds = size, seconds
        self._answers: OrderedDict[str, tuple[float, Answer, str]] = OrderedDict()
        self._lock = threading.Lock()

    def remember(self, answer: Answer, generation: str = "") -> str:
        answer_id = uuid.uuid4().hex
        with self._lock:
            self._answers[answer_id] = (time.monotonic(), answer, generation)
            while len(self._answers) > self.size:
                self._answers.popitem(last=False)
        return answer_id

    def get(self, answer_id: str) -> tuple[Answer, str] | None:
        with self._lock:
            kept = self._answers.get(answer_id)
        if kept is None or time.monotonic() - kept[0] > self.seconds:
            return None
        return kept[1], kept[2]


def generation_name(index_dir: Path) -> str:
    gen = current_generation(index_dir)
    return gen.name if gen is not None else ""


class FeedbackStore:
    """Appends feedback records to `<index_dir>/feedback.jsonl` and reads them back."""

    def __init__(
        self,
        index_dir: Path,
        recent: RecentAnswers | None = None,
        per_minute: int = FEEDBACK_PER_MINUTE,
        max_bytes: int = MAX_FEEDBACK_FILE_BYTES,
    ) -> None:
        self.path = Path(index_dir) / FEEDBACK_FILE
        self.index_dir = Path(index_dir)
        self.recent = recent or RecentAnswers()
        self.raters = SlidingWindow(per_minute)
        self.max_bytes = max_bytes
        self._lock = threading.Lock()

    def remember(self, answer: Answer) -> str:
        """An id under which feedback on this answer can be given."""
        return self.recent.remember(answer, generation_name(self.index_dir))

    def add(self, answer_id: str, rating: str, comment: str = "", user: str = "", rater: str = "") -> FeedbackRecord:
        """Store one rating of a recent answer. `user`: the login or key name kept in the record; `rater`: whom the
        rate limit counts (default: the user; the page passes the client address when nobody is logged in)."""
        if rating not in RATINGS:
            raise FeedbackError(
                f"rating must be one of {', '.join(RATINGS)}, not {str(rating)[:20]!r}",
                "bad_rating",
                "评价只能是 up（有用）或 down（没用）。",
            )
        comment = comment.strip() if isinstance(comment, str) else comment
        if not isinstance(comment, str) or len(comment) > MAX_COMMENT_CHARS:
            raise FeedbackError(
                f"the comment is longer than {MAX_COMMENT_CHARS} characters",
                "too_long",
                f"说明不能超过 {MAX_COMMENT_CHARS} 个字。",
            )
        kept = self.recent.get(str(answer_id))
        if kept is None:
            raise FeedbackError(
                f"no recent answer has the id {str(answer_id)[:40]!r}",
                "unknown_answer",
                "找不到这条回答（编号有误，或回答已过期），无法记录评价。",
            )
        answer, generation = kept
        wait = self.raters.take(rater or user or "anonymous")
        if wait:
            raise FeedbackError(
                f"more than {self.raters.per_minute} ratings a minute",
                "rate_limited",
                f"评价过于频繁，请 {wait:.0f} 秒后再试。",
            )
        record = FeedbackRecord(
            answer_id=answer_id,
            rating=rating,
            comment=comment,
            user=(user or "")[:MAX_USER_CHARS],
            time=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            question=answer.question,
            answer=answer.text[:MAX_ANSWER_CHARS],
            refused=answer.refused,
            backend=answer.backend,
            citations=[
                {
                    "number": c.number,
                    "doc": c.clause.doc,
                    "label": c.clause.label,
                    "path": list(c.clause.path),
                    "start": c.clause.start,
                    "end": c.clause.end,
                }
                for c in answer.citations
            ],
            generation=generation,
        )
        line = (record.to_json() + "\n").encode("utf-8")
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            size = self.path.stat().st_size if self.path.is_file() else 0
            if size + len(line) > self.max_bytes:
                raise FeedbackError(
                    f"{self.path} has reached its limit of {self.max_bytes // (1024 * 1024)} MB",
                    "full",
                    "反馈记录已达上限，暂时无法记录评价（请管理员用 python -m rag eval feedback --export 导出后清空）。",
                )
            with open(self.path, "ab") as fh:
                fh.write(line)
        return record

    def records(self) -> list[FeedbackRecord]:
        """Every stored record, oldest first; a line that cannot be read (a torn write) is skipped."""
        if not self.path.is_file():
            return []
        out = []
        for line in self.path.read_text(encoding="utf-8").splitlines():
            try:
                out.append(FeedbackRecord(**json.loads(line)))
            except (ValueError, TypeError):
                continue
        return out


def exported_questions(records: list[FeedbackRecord]) -> list[dict]:
    """The 👎 records as items of a question file `rag eval` reads. `answer` and `quotes` (the verbatim words of
    the clause that answers) are left empty for a maintainer to fill in; an item left without quotes is an
    unanswerable question to `rag eval`. What the system said and the comment travel along."""
    out = []
    for n, r in enumerate((r for r in records if r.rating == "down"), 1):
        out.append(
            {
                "id": f"feedback-{r.answer_id[:12]}-{n}",
                "question": r.question,
                "answer": "",
                "quotes": [],
                "type": "factoid",
                "feedback": {
                    "system_refused": r.refused,
                    "comment": r.comment,
                    "system_answer": r.answer,
                    "citations": r.citations,
                    "user": r.user,
                    "time": r.time,
                    "generation": r.generation,
                },
            }
        )
    return out


__all__ = [
    "FEEDBACK_FILE",
    "FeedbackError",
    "FeedbackRecord",
    "FeedbackStore",
    "RATINGS",
    "RecentAnswers",
    "exported_questions",
]
