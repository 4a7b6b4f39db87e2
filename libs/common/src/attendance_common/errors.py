"""Typed application errors rendered as RFC 9457 problem details."""

from __future__ import annotations

from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.utils import is_body_allowed_for_status_code
from starlette.exceptions import HTTPException as StarletteHTTPException

PROBLEM_MEDIA_TYPE = "application/problem+json"

# Starlette raises HTTPException for routing failures; these get readable codes.
_HTTP_CODES = {400: "bad_request", 404: "not_found", 405: "method_not_allowed", 413: "request_too_large"}


def _phrase(status: int) -> str:
    """Return the standard reason phrase for a status, or a generic one."""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


class AppError(Exception):
    """An error the API reports to its caller with a stable code."""

    status: int = 500

    def __init__(
        self,
        code: str,
        detail: str,
        *,
        status: int | None = None,
        title: str | None = None,
        headers: Mapping[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail)
        if status is not None:
            self.status = status
        self.code = code
        self.detail = detail
        self.title = title or _phrase(self.status)
        self.headers: dict[str, str] = dict(headers or {})
        self.extra: dict[str, Any] = extra

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.code!r}, {self.detail!r})"


class BadRequest(AppError):
    """400: the request is malformed."""

    status = 400


class Unauthorized(AppError):
    """401: no credentials or credentials that do not verify."""

    status = 401

    def __init__(self, code: str, detail: str, **extra: Any) -> None:
        super().__init__(code, detail, **extra)
        # RFC 6750 section 3: a 401 must tell the client which scheme to use.
        self.headers.setdefault("WWW-Authenticate", "Bearer")


class Forbidden(AppError):
    """403: authenticated, but outside the caller's scope."""

    status = 403


class NotFound(AppError):
    """404: no such resource (or the caller may not know it exists)."""

    status = 404


class Conflict(AppError):
    """409: the request conflicts with the resource's current state."""

    status = 409


class PayloadTooLarge(AppError):
    """413: the request carries more than the endpoint accepts."""

    status = 413


class Unprocessable(AppError):
    """422: well-formed, but semantically invalid."""

    status = 422


class TooManyRequests(AppError):
    """429: rate limited; optionally says when to retry."""

    status = 429

    def __init__(self, code: str, detail: str, *, retry_after: int | None = None, **extra: Any) -> None:
        super().__init__(code, detail, **extra)
        self.retry_after = retry_after
        if retry_after is not None:
            self.headers["Retry-After"] = str(max(0, int(retry_after)))


class ServiceUnavailable(AppError):
    """503: something the service needs is down for now; `Retry-After` says when to try again."""

    status = 503

    def __init__(self, code: str, detail: str, *, retry_after: int, **extra: Any) -> None:
        super().__init__(code, detail, **extra)
        self.headers["Retry-After"] = str(max(0, int(retry_after)))


def problem_response(
    status: int,
    code: str,
    title: str,
    detail: str,
    instance: str | None = None,
    headers: Mapping[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    """Build an application/problem+json response."""
    body: dict[str, Any] = {
        # A relative type URI: RFC 9457 allows it and it names the problem by code.
        "type": f"/problems/{code}",
        "title": title,
        "status": status,
        "detail": detail,
    }
    if instance is not None:
        body["instance"] = instance
    body["code"] = code
    # Extensions never overwrite the standard members.
    for key, value in jsonable_encoder(extra).items():
        body.setdefault(key, value)
    return JSONResponse(body, status_code=status, headers=dict(headers or {}), media_type=PROBLEM_MEDIA_TYPE)


def _validation_errors(errors: Any) -> list[dict[str, Any]]:
    """Reduce pydantic errors to JSON-safe loc/msg/type, dropping input and ctx."""
    result = []
    for error in errors:
        loc = [part if isinstance(part, int) else str(part) for part in error.get("loc", ())]
        result.append({"loc": loc, "msg": str(error.get("msg", "")), "type": str(error.get("type", ""))})
    return result


async def _app_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, AppError)
    return error_response(request, exc)


def error_response(request: Request, exc: AppError) -> JSONResponse:
    """The problem details of a typed error, as the answer to `request`."""
    return problem_response(
        exc.status,
        exc.code,
        exc.title,
        exc.detail,
        instance=request.url.path,
        headers=exc.headers,
        **exc.extra,
    )


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = _validation_errors(exc.errors())
    noun = "error" if len(errors) == 1 else "errors"
    return problem_response(
        422,
        "validation_error",
        "Validation failed",
        f"The request has {len(errors)} validation {noun}; see errors.",
        instance=request.url.path,
        errors=errors,
    )


class CodedHTTPException(StarletteHTTPException):
    """An HTTPException (what middleware may raise from reading a body) with the problem code to answer."""

    def __init__(self, status_code: int, code: str, detail: str) -> None:
        super().__init__(status_code, detail)
        self.code = code


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    status = exc.status_code
    headers = dict(exc.headers or {})
    if not is_body_allowed_for_status_code(status):
        return Response(status_code=status, headers=headers)
    phrase = _phrase(status)
    detail = exc.detail if isinstance(exc.detail, str) and exc.detail else phrase
    # Starlette's routing errors carry only the phrase; say what was asked for.
    if status == 404 and detail == phrase:
        detail = f"No resource at {request.url.path}"
    elif status == 405 and detail == phrase:
        detail = f"{request.method} is not allowed on {request.url.path}"
    return problem_response(
        status,
        exc.code if isinstance(exc, CodedHTTPException) else _HTTP_CODES.get(status, f"http_{status}"),
        phrase,
        detail,
        instance=request.url.path,
        headers=headers,
    )


async def _unhandled_error(request: Request, exc: Exception) -> Response:
    # Starlette re-raises after this response, so servers log it too; this log
    # line carries the request context. The body never includes the traceback.
    structlog.get_logger().error(
        "unhandled_exception", method=request.method, path=request.url.path, exc_info=exc
    )
    return problem_response(
        500,
        "internal_error",
        _phrase(500),
        "An unexpected error occurred. It has been logged.",
        instance=request.url.path,
    )


def install_error_handlers(app: FastAPI) -> None:
    """Render every error the app can raise as a problem details response."""
    app.add_exception_handler(AppError, _app_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unhandled_error)
