"""Domain errors. Each carries its HTTP status and a stable `code`; the app factory renders them
once as RFC 9457 problem+json. Services raise these and know nothing of HTTP otherwise."""

from __future__ import annotations

from typing import Any, ClassVar


class DomainError(Exception):
    status: ClassVar[int] = 400
    title: ClassVar[str] = "Bad request"

    def __init__(self, code: str, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail
        # Extra members of the problem document, e.g. the blocking sampling of a lock.
        self.extra = extra


class InvalidInput(DomainError):
    status = 422
    title = "Unprocessable content"


class NotAuthenticated(DomainError):
    status = 401
    title = "Not authenticated"


class Forbidden(DomainError):
    status = 403
    title = "Forbidden"


class NotFound(DomainError):
    status = 404
    title = "Not found"


class Conflict(DomainError):
    status = 409
    title = "Conflict"


class Gone(DomainError):
    status = 410
    title = "Gone"


class PayloadTooLarge(DomainError):
    status = 413
    title = "Content too large"


class UnsupportedMediaType(DomainError):
    status = 415
    title = "Unsupported media type"


class Unavailable(DomainError):
    status = 503
    title = "Service unavailable"
