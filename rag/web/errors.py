"""Errors of the HTTP API: always JSON `{"error": {"code", "message", "detail"}}` (the shape OpenAI clients read),
the message in Chinese for people, the code for programs, never a stack trace. Bodies are bounded before they are
parsed."""

from __future__ import annotations

import logging
import traceback
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..errors import RagError

log = logging.getLogger(__name__)

# The largest request body the API reads (a question, its history and options); larger ones get 413 unread.
MAX_BODY_BYTES = 64 * 1024
# Where the API lives on the server (the page is everything else).
API_PREFIXES = ("/api/", "/v1/")


class ApiError(Exception):
    """An error with its HTTP status, a code for programs and a Chinese message for people."""

    def __init__(self, status: int, code: str, message: str, detail: str = "", headers: dict | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.detail = status, code, message, detail
        self.headers = headers or {}


def error_body(code: str, message: str, detail: str = "") -> dict:
    return {"error": {"code": code, "message": message, "type": code, "detail": detail}}


def error_response(error: ApiError) -> JSONResponse:
    return JSONResponse(
        error_body(error.code, error.message, error.detail), status_code=error.status, headers=error.headers
    )


def _where(loc) -> str:
    return ".".join(str(p) for p in loc if p != "body") or "请求体"


async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = exc.errors()
    if any(e.get("type") == "json_invalid" for e in errors):
        return error_response(ApiError(400, "invalid_json", "请求体不是合法的 JSON。"))
    first = errors[0] if errors else {}
    detail = "; ".join(f"{_where(e.get('loc', ()))}: {e.get('msg', '')}" for e in errors[:5])
    return error_response(ApiError(422, "invalid_request", f"请求参数有误：{_where(first.get('loc', ()))}。", detail))


async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
    return error_response(exc)


async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    messages = {
        404: ("not_found", "没有这个接口。"),
        405: ("method_not_allowed", "接口不支持这种请求方法。"),
        413: ("body_too_large", f"请求体超过 {MAX_BODY_BYTES // 1024} KB 上限。"),
    }
    code, message = messages.get(exc.status_code, ("http_error", "请求无法处理。"))
    return JSONResponse(error_body(code, message, str(exc.detail)), status_code=exc.status_code)


async def _rag_error(request: Request, exc: RagError) -> JSONResponse:
    return error_response(ApiError(400, type(exc).__name__, exc.zh, str(exc)))


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.error("API request failed: %s", traceback.format_exc())
    return error_response(ApiError(500, "internal_error", "服务器内部出错，请稍后再试。", type(exc).__name__))


def add_error_handlers(app: FastAPI) -> None:
    handlers: dict[type[Exception], Any] = {
        RequestValidationError: _validation,
        ApiError: _api_error,
        StarletteHTTPException: _http_error,
        RagError: _rag_error,
        Exception: _unexpected,
    }
    for kind, handler in handlers.items():
        app.add_exception_handler(kind, handler)


class BodyLimit:
    """ASGI middleware: an API request whose body is over `limit` bytes gets 413 before anything parses it
    (by its Content-Length, or while a chunked body streams in)."""

    def __init__(self, app, limit: int = MAX_BODY_BYTES) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or not scope["path"].startswith(API_PREFIXES):
            return await self.app(scope, receive, send)
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.limit):
            too_large = ApiError(413, "body_too_large", f"请求体超过 {self.limit // 1024} KB 上限。")
            return await error_response(too_large)(scope, receive, send)
        seen = 0

        async def bounded_receive():  # a chunked body: stop reading once it passes the limit
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise StarletteHTTPException(413)  # FastAPI passes HTTP exceptions through to the handlers
            return message

        await self.app(scope, bounded_receive, send)


__all__ = [
    "API_PREFIXES",
    "ApiError",
    "BodyLimit",
    "MAX_BODY_BYTES",
    "add_error_handlers",
    "error_body",
    "error_response",
]
