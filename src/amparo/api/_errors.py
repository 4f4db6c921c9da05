"""The one place where errors become HTTP responses: ``{"error", "message", "hint"}``.

Amparo's own errors carry their status and code; the framework's (unknown route 404, wrong
method 405, request validation 422) get the same shape. The HMA routes answer validation
errors HMA's way themselves (see ``api/hma/_common.py``).
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from amparo.errors import AmparoError, AuthenticationError

__all__ = ["install_error_handlers"]

_CODES = {404: "not_found", 405: "method_not_allowed", 413: "media_too_large"}


def _where(loc: tuple[object, ...]) -> str:
    return ".".join(str(p) for p in loc if p != "body") or "body"


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(AmparoError)
    async def _amparo_error(request: Request, exc: AmparoError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if isinstance(exc, AuthenticationError) else None
        return JSONResponse(exc.to_dict(), status_code=exc.status_code, headers=headers)

    @app.exception_handler(HTTPException)
    async def _http_error(request: Request, exc: HTTPException) -> JSONResponse:
        code = _CODES.get(exc.status_code, "error")
        hint = (
            "see /docs for the routes and their methods" if exc.status_code in (404, 405) else None
        )
        body: dict[str, object] = {"error": code, "message": str(exc.detail)}
        if hint:
            body["hint"] = hint
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
                "hint": "see /docs for this route's parameters and body",
                "errors": problems,
            },
            status_code=422,
        )
