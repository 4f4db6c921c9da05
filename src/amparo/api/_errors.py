"""The one place where errors become HTTP responses."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from amparo.errors import AmparoError, AuthenticationError

__all__ = ["install_error_handlers"]


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(AmparoError)
    async def _amparo_error(request: Request, exc: AmparoError) -> JSONResponse:
        body = exc.to_dict()
        # HMA clients read "message"; Amparo clients also get "error" and "hint".
        headers = {"WWW-Authenticate": "Bearer"} if isinstance(exc, AuthenticationError) else None
        return JSONResponse(body, status_code=exc.status_code, headers=headers)
