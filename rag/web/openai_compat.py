"""An OpenAI-compatible chat endpoint, so chat clients (Open WebUI, Chatbox, LobeChat, Cherry Studio) and any
OpenAI client library can ask: POST /v1/chat/completions and GET /v1/models.

The last user message is the question and the user/assistant pairs before it are the history; system messages and
sampling options are accepted and ignored (the answer is the verified one, whatever a client asks of it). The reply
text carries the 〔n〕 markers and the source list; the structured citations travel in the extra field
`citations` (and `refused`, `note`, `answer_id` for feedback). A refusal is an ordinary reply. `stream: true` sends
`chat.completion.chunk` events and `data: [DONE]`, as OpenAI clients expect: the verified text as it is ready,
then the rest of the final answer (its sources) in the last chunk."""

from __future__ import annotations

import json
import time
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from ..types import SOURCES_HEADER, Answer
from .errors import ApiError, error_body
from .routes import MAX_FIELD_CHARS, drained
from .service import MAX_HISTORY_TURNS, Service

# The model name that means "the server's default backend"; /v1/models lists it beside each offered backend.
DEFAULT_MODEL = "policy-rag"
MAX_MESSAGES = 2 * MAX_HISTORY_TURNS + 4


class Message(BaseModel):
    model_config = ConfigDict(extra="allow")
    role: Literal["system", "developer", "user", "assistant", "tool"]
    content: str | list[dict[str, Any]] | None = None


class ChatRequest(BaseModel):
    model_config = ConfigDict(extra="allow")  # temperature, top_p, max_tokens, user…: accepted, not used
    model: str = Field(DEFAULT_MODEL, max_length=100)
    messages: list[Message] = Field(min_length=1, max_length=MAX_MESSAGES)
    stream: bool = False


def text_of(message: Message) -> str:
    """A message's text: a string, or the text parts of a list of content parts."""
    content = message.content
    if isinstance(content, list):
        content = "".join(str(p.get("text", "")) for p in content if p.get("type") == "text")
    text = content or ""
    if len(text) > MAX_FIELD_CHARS:
        raise ApiError(422, "invalid_request", f"一条消息不能超过 {MAX_FIELD_CHARS} 个字。")
    return text


def without_sources(text: str) -> str:
    """An earlier reply without its source list (the history carries what was said, not the list)."""
    return text.split("\n\n" + SOURCES_HEADER, 1)[0]


def question_and_history(messages: list[Message]) -> tuple[str, list[tuple[str, str]]]:
    turns = [m for m in messages if m.role in ("user", "assistant")]
    if not turns or turns[-1].role != "user":
        raise ApiError(422, "invalid_request", "最后一条消息应当是用户的问题（role 为 user）。")
    history, pending = [], None
    for m in turns[:-1]:
        if m.role == "user":
            pending = text_of(m)
        elif pending is not None:
            history.append((pending, without_sources(text_of(m))))
            pending = None
    return text_of(turns[-1]), history


def extra_fields(answer: Answer, answer_id: str) -> dict:
    return {
        "answer_id": answer_id,
        "refused": answer.refused,
        "note": answer.note,
        "backend": answer.backend,
        "citations": [c.to_dict() for c in answer.citations],
    }


def completion(answer: Answer, answer_id: str, model: str) -> dict:
    return {
        "id": f"chatcmpl-{answer_id}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": answer.text},
                "finish_reason": "stop",
                "logprobs": None,
            }
        ],
        "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
        **extra_fields(answer, answer_id),
    }


def rest_of(answer_text: str, streamed: str) -> str:
    """What the last chunk adds: the final text past what was streamed, or, when the final answer does not
    continue the streamed text (a model's wording replaced after all), the final answer on its own lines."""
    if answer_text.startswith(streamed):
        return answer_text[len(streamed) :]
    return "\n\n——\n" + answer_text


class ChunkWriter:
    """Renders the answer records as OpenAI stream chunks."""

    def __init__(self, model: str) -> None:
        self.model, self.created, self.streamed, self.id = model, int(time.time()), "", "chatcmpl-pending"

    def chunk(self, delta: dict, finish: str | None = None, **extra) -> str:
        body = {
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}],
            **extra,
        }
        return f"data: {json.dumps(body, ensure_ascii=False)}\n\n"

    def render(self, record) -> list[str]:
        kind, value = record
        if kind == "retrieved":
            return [self.chunk({"role": "assistant", "content": ""})]
        if kind == "waiting":
            return [f": {value} question(s) ahead\n\n"]  # an SSE comment: keeps the connection, clients skip it
        if kind == "text":
            self.streamed += value
            return [self.chunk({"content": value})]
        if kind == "answer":
            answer, answer_id = value
            self.id = f"chatcmpl-{answer_id}"
            rest = rest_of(answer.text, self.streamed)
            return [
                self.chunk({"content": rest} if rest else {}, "stop", **extra_fields(answer, answer_id)),
                "data: [DONE]\n\n",
            ]
        return []  # the quote a model backend shows first: its wording follows as text


def stream_error(error: ApiError) -> str:
    """A failure after the stream started, as OpenAI's streams report one, then the end of the stream."""
    return f"data: {json.dumps(error_body(error.code, error.message, error.detail), ensure_ascii=False)}\n\ndata: [DONE]\n\n"


def router(service: Service) -> APIRouter:
    v1 = APIRouter(prefix="/v1", tags=["openai"])

    def backend_of(model: str) -> str:
        if model in ("", DEFAULT_MODEL):
            return service.backend(None)
        if model not in service.settings.offered_backends():
            names = "、".join([DEFAULT_MODEL, *service.settings.offered_backends()])
            raise ApiError(404, "model_not_found", f"没有这个模型：{model[:40]}（可选：{names}）。")
        return model

    @v1.get("/models", summary="可用的回答方式（OpenAI 格式）")
    def models(request: Request) -> JSONResponse:
        service.caller(request)
        names = [DEFAULT_MODEL, *service.settings.offered_backends()]
        return JSONResponse(
            {
                "object": "list",
                "data": [{"id": n, "object": "model", "created": 0, "owned_by": "policy-rag"} for n in names],
            }
        )

    @v1.post("/chat/completions", summary="对话（OpenAI 兼容）", response_model=None)
    def chat(body: ChatRequest, request: Request) -> JSONResponse | StreamingResponse:
        service.caller(request)
        question, history = question_and_history(body.messages)
        backend = backend_of(body.model)
        if not body.stream:
            answer, answer_id = service.answer(question, history, None, backend, None)
            return JSONResponse(completion(answer, answer_id, body.model))
        writer = ChunkWriter(body.model)
        records = service.stream(question, history, None, backend, None)
        return StreamingResponse(
            drained(records, writer.render, stream_error),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    return v1


__all__ = ["DEFAULT_MODEL", "router"]
