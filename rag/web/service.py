"""What the HTTP routes share: the session, who may call (keys, rate limit), remembered answers for feedback, the
page's rebuilder (one build at a time for page and API alike), and the answer stream as plain records."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generator

from fastapi import Request

from ..config import Settings
from ..feedback import FeedbackStore
from ..ingest.versions import audit
from ..query.questions import check_question
from ..session import Session
from ..types import Answer, Quoted, Retrieved, SearchFilter, Waiting
from ..rebuilds import Rebuilder
from .errors import ApiError
from .keys import ApiKeys, AuthFailures, Caller, RateLimiter

# Earlier turns a request may carry (the answerer itself uses the last settings.history_turns of them).
MAX_HISTORY_TURNS = 20


@dataclass
class Service:
    session: Session
    keys: ApiKeys
    limiter: RateLimiter
    feedback: FeedbackStore
    rebuilder: Rebuilder
    failures: AuthFailures

    @classmethod
    def create(
        cls, session: Session, rebuilder: Rebuilder | None = None, feedback: FeedbackStore | None = None
    ) -> "Service":
        s = session.settings
        return cls(
            session,
            ApiKeys(s.api_keys.get_secret_value(), s.api_open, s.host),
            RateLimiter(s.api_requests_per_minute),
            feedback or FeedbackStore(s.index_dir),
            rebuilder or Rebuilder(session),
            AuthFailures(),
        )

    @property
    def settings(self) -> Settings:
        return self.session.settings

    # -- who is calling ------------------------------------------------------------------------------------
    def caller(self, request: Request) -> Caller:
        """The authorised caller of a request, counted against its rate limit; ApiError otherwise. An address
        (or the server as a whole) past its failed authentications is refused before its key is looked at. The
        open API's anonymous callers share one quota, whatever address they come from."""
        if not self.keys.enabled:
            raise ApiError(403, "api_disabled", "接口未开启：请在设置中配置 RAG_API_KEYS。")
        address = request.client.host if request.client else "unknown"
        blocked = self.failures.wait(address)
        if blocked:
            if self.failures.newly_blocked(address):
                audit(self.settings.docs_dir, "api authentication blocked", "", address, retry_after=round(blocked))
            raise _too_many(blocked, "密钥验证失败次数过多")
        caller = self.keys.caller(request.headers.get("authorization"))
        if caller is None:
            self.failures.failed(address)
            raise ApiError(
                401,
                "invalid_api_key",
                "缺少或无效的 API 密钥（Authorization: Bearer <密钥>）。",
                headers={"WWW-Authenticate": "Bearer"},
            )
        wait = self.limiter.take(caller.name)
        if wait:
            raise _too_many(wait, "请求过于频繁")
        return caller

    # -- what is asked -------------------------------------------------------------------------------------
    def backend(self, name: str | None) -> str:
        offered = self.settings.offered_backends()
        if name is None or name == "":
            return offered[0]
        if name not in offered:
            raise ApiError(400, "unknown_backend", f"没有这个回答方式：{name[:40]}（可选：{'、'.join(offered)}）。")
        return name

    def stream(
        self, question: str, history: list[tuple[str, str]], k: int | None, backend: str, filters: SearchFilter | None
    ) -> Generator[tuple[str, object], None, None]:
        """The answer as (kind, value) records: ("retrieved", hits), ("waiting", ahead), ("quote", text),
        ("text", piece), then ("answer", (Answer, id for feedback)). Closing it frees the model. The question is
        checked now (QuestionError), before a streamed response has started."""
        check_question(question, self.settings.max_question_chars)
        return self._records(question, history, k, backend, filters)

    def _records(self, question, history, k, backend, filters) -> Generator[tuple[str, object], None, None]:
        stream = self.session.answerer(backend).stream(
            question, history=history[-MAX_HISTORY_TURNS:], k=k, filters=filters
        )
        try:
            for piece in stream:
                if isinstance(piece, Answer):
                    yield "answer", (piece, self.feedback.remember(piece))
                    return
                if isinstance(piece, Retrieved):
                    yield "retrieved", piece.hits
                elif isinstance(piece, Waiting):
                    yield "waiting", piece.ahead
                elif isinstance(piece, Quoted):
                    yield "quote", piece.text
                elif isinstance(piece, str) and piece:
                    yield "text", piece
        finally:
            stream.close()

    def answer(
        self, question: str, history: list[tuple[str, str]], k: int | None, backend: str, filters: SearchFilter | None
    ) -> tuple[Answer, str]:
        for kind, value in self.stream(question, history, k, backend, filters):
            if kind == "answer":
                return value  # type: ignore[return-value]
        raise RuntimeError("the answer stream ended without an answer")


def _too_many(wait: float, why: str) -> ApiError:
    return ApiError(
        429, "rate_limited", f"{why}，请 {wait:.0f} 秒后再试。", headers={"Retry-After": str(max(1, round(wait)))}
    )


def answer_json(answer: Answer, answer_id: str) -> dict:
    """An answer as the API returns it: the id feedback names, the text, the citations (document, clause path,
    span, document facts, supported sentences), refusal, note and timings; retrieved clauses without their text."""
    data = answer.to_dict()
    data["hits"] = [
        {k: h[k] for k in ("id", "doc", "title", "label", "path", "score", "dense", "keyword")} for h in data["hits"]
    ]
    return {"id": answer_id, **data}


__all__ = ["MAX_HISTORY_TURNS", "Service", "answer_json"]
