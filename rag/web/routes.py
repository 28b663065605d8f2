"""The REST API under /api: ask (JSON, or Server-Sent Events), retrieve, status, documents, build (keys allowed to
build only), feedback. Every route needs a key (`Authorization: Bearer …`) and counts against its rate limit."""

from __future__ import annotations

import json
import logging
import threading
import traceback
from typing import AsyncIterator, Generator

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from ..config import MAX_TOP_K
from ..errors import RagError
from ..feedback import MAX_COMMENT_CHARS, FeedbackError
from ..rebuilds import RebuildProgress
from ..types import SearchFilter
from .errors import ApiError, error_body
from .service import MAX_HISTORY_TURNS, Service, answer_json

log = logging.getLogger(__name__)
# The HTTP status of each kind of FeedbackError (any other kind: 422).
FEEDBACK_STATUS = {"unknown_answer": 404, "rate_limited": 429, "full": 507}
# Longest text any one field may carry (the body as a whole is bounded by errors.MAX_BODY_BYTES).
MAX_FIELD_CHARS = 8000


class Filters(BaseModel):
    model_config = ConfigDict(extra="forbid")
    region: str = Field(default="", max_length=100)
    issuer: str = Field(default="", max_length=100)
    doc_type: str = Field(default="", max_length=100)
    since: str = Field(default="", max_length=10, description="YYYY-MM-DD")
    until: str = Field(default="", max_length=10, description="YYYY-MM-DD")

    def parsed(self) -> SearchFilter:
        try:
            return SearchFilter.parse(self.region, self.issuer, self.doc_type, self.since, self.until)
        except ValueError as exc:
            raise ApiError(422, "invalid_filter", f"筛选条件有误：{exc}") from exc


class Turn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    question: str = Field(max_length=MAX_FIELD_CHARS)
    answer: str = Field(max_length=MAX_FIELD_CHARS)


class AskRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    question: str = Field(max_length=MAX_FIELD_CHARS, description="问题（中文）")
    history: list[Turn] = Field(default_factory=list, max_length=MAX_HISTORY_TURNS)
    k: int | None = Field(None, ge=1, le=MAX_TOP_K, description="检索条款数")
    llm: str | None = Field(None, max_length=40, description="回答方式：extractive、local 或 openai")
    filters: Filters = Field(default_factory=lambda: Filters())


class RetrieveRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    question: str = Field(max_length=MAX_FIELD_CHARS)
    k: int | None = Field(None, ge=1, le=MAX_TOP_K)
    filters: Filters = Field(default_factory=lambda: Filters())


class BuildRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    full: bool = False


class FeedbackRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    answer_id: str = Field(max_length=64, description="回答里的 id")
    rating: str = Field(description="up 或 down")
    comment: str = Field("", max_length=MAX_COMMENT_CHARS)


def sse(event: str, data) -> str:
    """One Server-Sent Event (JSON data on one line)."""
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


async def drained(records: Generator, render, failed) -> AsyncIterator[str]:
    """Pull a blocking generator on the thread pool and render each record; when the client goes away, the
    generator is closed (which frees the model for the next question). A failure after the response started is
    sent as the stream's last event (`failed(ApiError)`), never as a broken connection."""
    try:
        while True:
            try:
                record = await run_in_threadpool(next, records, None)
            except Exception as exc:  # noqa: BLE001 - reported to the client in the stream's own format
                log.error("streamed answer failed: %s", traceback.format_exc())
                zh = exc.zh if isinstance(exc, RagError) else "回答时出错，请稍后再试。"
                yield failed(ApiError(500, "internal_error", zh, type(exc).__name__))
                return
            if record is None:
                return
            for chunk in render(record):
                yield chunk
    finally:
        await run_in_threadpool(records.close)


def sse_error(error: ApiError) -> str:
    return sse("error", error_body(error.code, error.message, error.detail))


def _ask_events(record) -> list[str]:
    kind, value = record
    if kind == "answer":
        answer, answer_id = value
        return [sse("answer", answer_json(answer, answer_id))]
    if kind == "retrieved":
        return [
            sse(
                "retrieved",
                [
                    {"id": h.clause.id, "doc": h.clause.doc, "label": h.clause.label, "score": round(h.score, 6)}
                    for h in value
                ],
            )
        ]
    if kind == "waiting":
        return [sse("waiting", {"ahead": value})]
    return [sse(kind, {"text": value})]


def router(service: Service) -> APIRouter:
    api = APIRouter(prefix="/api", tags=["api"])

    def asked(body: AskRequest):  # k is within 1..MAX_TOP_K already: the model's Field bounds it
        history = [(t.question, t.answer) for t in body.history]
        return body.question, history, body.k, service.backend(body.llm), body.filters.parsed()

    @api.post("/ask", summary="回答一个问题（JSON）")
    def ask(body: AskRequest, request: Request) -> JSONResponse:
        service.caller(request)
        answer, answer_id = service.answer(*asked(body))
        return JSONResponse(answer_json(answer, answer_id))

    @api.post("/ask/stream", summary="回答一个问题（Server-Sent Events）")
    def ask_stream(body: AskRequest, request: Request) -> StreamingResponse:
        service.caller(request)
        records = service.stream(*asked(body))
        return StreamingResponse(
            drained(records, _ask_events, sse_error),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    @api.post("/retrieve", summary="检索相关条款")
    def retrieve(body: RetrieveRequest, request: Request) -> JSONResponse:
        service.caller(request)
        hits = service.session.retrieve(body.question, body.k, body.filters.parsed())
        return JSONResponse({"hits": [h.to_dict() for h in hits]})

    @api.get("/status", summary="索引状态与重建进度")
    def status(request: Request) -> JSONResponse:
        service.caller(request)
        data = service.session.status().to_dict()
        data.pop("per_document", None)
        return JSONResponse(
            {
                **data,
                "build": service.rebuilder.state().to_dict(),
                "backends": list(service.settings.offered_backends()),
            }
        )

    @api.get("/documents", summary="已索引的文件")
    def documents(request: Request) -> JSONResponse:
        service.caller(request)
        per_document = service.session.status().per_document
        return JSONResponse({"documents": [{"name": name, **info} for name, info in sorted(per_document.items())]})

    @api.post("/build", status_code=202, summary="重建索引（需要有重建权限的密钥）")
    def build(body: BuildRequest, request: Request) -> JSONResponse:
        caller = service.caller(request)
        if not caller.can_build:
            raise ApiError(403, "not_authorised", "这个密钥没有重建索引的权限。")
        progress = service.rebuilder.run(full=body.full)
        first = next(progress)  # counts the request in and starts (or joins) the build
        threading.Thread(target=lambda: [None for _ in progress], name="api-build", daemon=True).start()
        message = first.text if isinstance(first, RebuildProgress) else ""
        return JSONResponse(
            {"accepted": True, "message": message, "build": service.rebuilder.state().to_dict()}, status_code=202
        )

    @api.post("/feedback", summary="对一条回答的评价（👍 up / 👎 down）")
    def feedback(body: FeedbackRequest, request: Request) -> JSONResponse:
        caller = service.caller(request)
        try:
            record = service.feedback.add(body.answer_id, body.rating, body.comment, caller.name)
        except FeedbackError as exc:
            raise ApiError(FEEDBACK_STATUS.get(exc.kind, 422), exc.kind, exc.zh) from exc
        return JSONResponse({"stored": True, "answer_id": record.answer_id, "rating": record.rating})

    return api


__all__ = ["AskRequest", "MAX_FIELD_CHARS", "drained", "router", "sse"]
