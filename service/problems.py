"""RFC 9457 problem+json for every error: our domain errors, FastAPI's own (401/403/404/405/422),
oversized bodies, integrity races and — as a last resort that tests make sure is never reached —
anything unexpected."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.errors import DomainError

log = logging.getLogger(__name__)

PROBLEM_MEDIA_TYPE = "application/problem+json"
_TYPE_BASE = "https://qcs.samr.invalid/problems/"

_HTTP_CODES = {
    400: ("http.bad_request", "Bad request"),
    401: ("auth.missing", "Not authenticated"),
    403: ("auth.forbidden", "Forbidden"),
    404: ("http.not_found", "Not found"),
    405: ("http.method_not_allowed", "Method not allowed"),
    406: ("http.not_acceptable", "Not acceptable"),
    413: ("request.too_large", "Content too large"),
    415: ("http.unsupported_media_type", "Unsupported media type"),
}


class ProblemResponse(JSONResponse):
    media_type = PROBLEM_MEDIA_TYPE


def problem(
    status: int,
    code: str,
    title: str,
    detail: str,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> ProblemResponse:
    body = {
        "type": _TYPE_BASE + code,
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
        **extra,
    }
    return ProblemResponse(body, status_code=status, headers=headers)


async def _domain_error(request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, DomainError)  # noqa: S101 - registered for DomainError only
    headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
    return problem(exc.status, exc.code, exc.title, exc.detail, headers, **exc.extra)


async def _validation_error(request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, RequestValidationError)  # noqa: S101
    errors = [
        {"loc": list(e.get("loc", ())), "msg": str(e.get("msg", "")), "type": str(e.get("type"))}
        for e in exc.errors()
    ]
    return problem(
        422,
        "request.invalid",
        "Unprocessable content",
        "the request does not match the schema; see `errors`",
        errors=errors,
    )


async def _http_error(request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, StarletteHTTPException)  # noqa: S101
    code, title = _HTTP_CODES.get(exc.status_code, (f"http.{exc.status_code}", "Error"))
    detail = exc.detail if isinstance(exc.detail, str) else title
    return problem(exc.status_code, code, title, detail, dict(exc.headers or {}) or None)


async def _integrity_error(request: Request, exc: Exception) -> ProblemResponse:
    # A concurrent writer won a uniqueness race that the service had pre-checked.
    log.info("integrity conflict: %s", exc)
    return problem(
        409,
        "conflict.concurrent_write",
        "Conflict",
        "a concurrent change conflicts with this one; read again and retry",
    )


async def _data_error(request: Request, exc: Exception) -> ProblemResponse:
    # Input the database refused as data (out of range, malformed for its type): a validation
    # gap worth logging, but the client's request, not an outage.
    log.warning("data refused by the database: %s", exc)
    return problem(
        422,
        "request.invalid_data",
        "Unprocessable content",
        "a value in the request cannot be stored",
    )


async def _database_error(request: Request, exc: Exception) -> ProblemResponse:
    log.exception("database error", exc_info=exc)
    return problem(
        503,
        "database.unavailable",
        "Service unavailable",
        "the database could not complete the request; retry later",
    )


async def _unexpected(request: Request, exc: Exception) -> ProblemResponse:
    log.exception("unhandled error", exc_info=exc)
    return problem(500, "internal", "Internal server error", "an unexpected error occurred")


class RewritePlainTooLarge:
    """ASGI wrapper around the whole app. Starlette's body-limit guard sits outside every
    exception handler and answers a declared oversized Content-Length with a plain-text 413;
    this turns that answer into the same problem+json as every other error."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        replacing = False

        async def send_problem_instead(message: Message) -> None:
            nonlocal replacing
            if message["type"] == "http.response.start" and message["status"] == 413:
                content_type = dict(message.get("headers", [])).get(b"content-type", b"")
                replacing = not content_type.startswith(PROBLEM_MEDIA_TYPE.encode())
                if replacing:
                    response = problem(
                        413,
                        "request.too_large",
                        "Content too large",
                        "the request body is larger than this endpoint accepts",
                    )
                    await response(scope, receive, send)
                    return
            if replacing:
                return
            await send(message)

        await self.app(scope, receive, send_problem_instead)


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(IntegrityError, _integrity_error)
    app.add_exception_handler(DataError, _data_error)
    app.add_exception_handler(DBAPIError, _database_error)
    app.add_exception_handler(Exception, _unexpected)
