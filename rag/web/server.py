"""The FastAPI application the page is mounted on: the REST API (/api), the OpenAI-compatible endpoint (/v1), their
OpenAPI docs (/docs), JSON errors and the body limit."""

from __future__ import annotations

from fastapi import FastAPI

from . import openai_compat, routes
from .errors import BodyLimit, add_error_handlers
from .service import Service

DESCRIPTION = """政策文件问答接口。每个回答只说文件里写了的，每句话标注出处条款〔n〕；文件没有写的，明确说不知道。

所有接口需要 `Authorization: Bearer <密钥>`（RAG_API_KEYS）；`/v1/chat/completions` 与 OpenAI 的对话接口兼容。"""


def make_app(service: Service) -> FastAPI:
    app = FastAPI(
        title="Policy RAG API",
        description=DESCRIPTION,
        version="1",
        docs_url="/docs",
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    add_error_handlers(app)
    app.add_middleware(BodyLimit)
    app.include_router(routes.router(service))
    app.include_router(openai_compat.router(service))
    app.state.service = service
    return app


__all__ = ["make_app"]
