"""The one place where errors become HTTP responses: ``{"error", "message", "hint"}``.

Every error answer has the three keys, ``hint`` included (a default by status when the error
has none); some add detail (``errors`` for a 422, ``rows`` for an import). Amparo's own
errors carry their status and code; the framework's get the same shape — an unknown route
(404), a wrong method (405, with ``Allow``), a form Starlette cannot parse (400), request
validation (422) — and so does a failure nobody foresaw (500, without its details, which go
to the log). A database that went away or stayed locked past its timeout answers 503
(``database_unavailable``): the request may be tried again. The gate (``api/_gate.py``)
answers its refusals (401, 413, 400) with :func:`error_body` too. The HMA routes keep HMA's
shapes where HMA defines them (see ``api/hma/_common.py``): their own errors add ``error``
and ``hint`` to HMA's ``message``.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException

from amparo.errors import AmparoError, AuthenticationError

log = logging.getLogger(__name__)

__all__ = ["default_hint", "error_body", "install_error_handlers"]

_CODES = {
    400: "invalid_input",
    404: "not_found",
    405: "method_not_allowed",
    413: "media_too_large",
    415: "unsupported_format",
}
_HINTS = {
    400: "see /docs for what this route accepts",
    401: "send an API key: Authorization: Bearer KEY (keys come from `amparo keys create`)",
    403: "use a key whose role may do this (see /docs for the roles)",
    404: "check the name or id; the list routes (e.g. GET /v1/banks) show what exists",
    405: "see /docs for the routes and their methods",
    409: "choose another name, or change the one that exists",
    413: "send less, or raise AMPARO_MEDIA_MAX_BYTES",
    415: "see /docs for the content types this route accepts",
    422: "see /docs for this route's parameters and body",
    501: "ask the server's operator to configure this feature",
    502: "the remote server failed; check the URL, or try again later",
    503: "retry in a few seconds",
}


def default_hint(status: int) -> str:
    """What to do about an error of ``status`` when the error itself gives no hint."""
    return _HINTS.get(status, "see /docs, or the server's log if this persists")


def error_body(exc: AmparoError) -> dict[str, object]:
    """``exc`` in the one shape: its ``to_dict()``, with a hint always."""
    body = exc.to_dict()
    if not body.get("hint"):
        body["hint"] = default_hint(exc.status_code)
    return body


def _where(loc: tuple[object, ...]) -> str:
    return ".".join(str(p) for p in loc if p != "body") or "body"


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(AmparoError)
    async def _amparo_error(request: Request, exc: AmparoError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if isinstance(exc, AuthenticationError) else None
        return JSONResponse(error_body(exc), status_code=exc.status_code, headers=headers)

    @app.exception_handler(HTTPException)
    async def _http_error(request: Request, exc: HTTPException) -> JSONResponse:
        path = request.url.path
        if exc.status_code == 404:
            message = f"nothing at {path}"
        elif exc.status_code == 405:
            message = f"{request.method} is not allowed on {path}"
        else:
            message = str(exc.detail)
        body = {
            "error": _CODES.get(exc.status_code, "error"),
            "message": message,
            "hint": default_hint(exc.status_code),
        }
        return JSONResponse(body, status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [
            {"field": _where(tuple(e.get("loc", ()))), "message": str(e.get("msg", ""))}
            for e in exc.errors()
        ]
        summary = "; ".join(f"{p['field']}: {p['message']}" for p in problems[:5])
        return JSONResponse(
            {
                "error": "invalid_input",
                "message": f"the request is not valid: {summary}",
                "hint": default_hint(422),
                "errors": problems,
            },
            status_code=422,
        )

    @app.exception_handler(OperationalError)
    async def _database_unavailable(request: Request, exc: OperationalError) -> JSONResponse:
        # The driver's message says what went wrong (connection lost, database locked);
        # the statement's parameters are never in it (engines hide them).
        log.warning(
            "%s %s: the database is unavailable: %s", request.method, request.url.path, exc.orig
        )
        body = {
            "error": "database_unavailable",
            "message": "the database did not answer this request",
            "hint": default_hint(503),
        }
        return JSONResponse(body, status_code=503, headers={"Retry-After": "1"})

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        # Starlette logs the exception itself after this answer; the client learns nothing
        # of the server's insides.
        return JSONResponse(
            {
                "error": "internal_error",
                "message": "the server failed on this request",
                "hint": "this is a bug in Amparo: the server's log has the details; "
                "please report it",
            },
            status_code=500,
        )
