"""What the HMA-compatible routes share: HMA's error shapes, JSON bodies, signal types, roles.

HMA answers its own errors as ``{"message": ...}`` with a status code that sometimes differs
from Amparo's (403 for a duplicate bank where Amparo says 409, 400 for a failed fetch where
Amparo says 502). :class:`HmaError` carries HMA's code and message through Amparo's one error
handler, which adds ``error`` and ``hint``; HMA clients read ``message`` only. Request-model
failures are answered as HMA does: 422 with a bare JSON list of validation errors (FastAPI
wraps the list in ``{"detail": ...}``), see :class:`HmaRoute`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, Request, Response
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from amparo.api._deps import require_role
from amparo.api._gate import GuardedRoute
from amparo.auth import Principal
from amparo.banks import check_note as banks_check_note
from amparo.errors import AmparoError, InputError, InvalidSignalError
from amparo.signals import SIGNAL_TYPES, normalize_signal

__all__ = [
    "Curator",
    "HmaError",
    "HmaRoute",
    "Reader",
    "Scanner",
    "Shortcut",
    "check_note",
    "check_signal",
    "check_signal_type",
    "json_body",
    "not_found",
    "parse_banks",
    "read_json",
    "shortcut",
]

Curator = Annotated[Principal, Depends(require_role("curator"))]
Reader = Annotated[Principal, Depends(require_role("curator", "scanner", "reviewer", "auditor"))]
Scanner = Annotated[Principal, Depends(require_role("scanner"))]


class HmaError(AmparoError):
    """An error answered with HMA's status code and message (``message``), plus a hint."""

    def __init__(
        self,
        status_code: int,
        message: str,
        *,
        code: str = "invalid_input",
        hint: str | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.status_code = status_code
        self.code = code


def not_found(message: str) -> HmaError:
    return HmaError(404, message, code="not_found")


class HmaRoute(GuardedRoute):
    """A route that answers request-model failures as HMA does: 422 with a list of errors
    (forms are checked and closed as on every route: see :class:`GuardedRoute`)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def hma_handler(request: Request) -> Response:
            try:
                return await handler(request)
            except RequestValidationError as exc:
                return JSONResponse(jsonable_encoder(exc.errors()), status_code=422)

        return hma_handler


_JSON_TYPES = ("application/json",)


async def read_json(request: Request) -> Any:
    """The JSON body, or HMA's 415 when the request does not say it is JSON (400 if broken)."""
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype not in _JSON_TYPES and not ctype.endswith("+json"):
        raise HmaError(
            415,
            "Did not attempt to load JSON data because the request Content-Type was not "
            "'application/json'.",
            code="unsupported_media_type",
            hint="send the body as JSON with 'Content-Type: application/json'",
        )
    try:
        return json.loads(await request.body())
    except ValueError as exc:
        raise HmaError(400, f"Failed to decode JSON object: {exc}") from exc


def json_body(schema: dict[str, Any], example: object) -> dict[str, Any]:
    """OpenAPI ``openapi_extra`` for a route that reads its JSON body itself (for HMA's 415)."""
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": schema, "example": example}},
        }
    }


def check_signal_type(name: str, *, message: str) -> str:
    """``name`` if Amparo knows that signal type, else 400 with ``message`` (HMA's wording)."""
    if name not in SIGNAL_TYPES:
        raise HmaError(
            400,
            message,
            code="invalid_signal",
            hint=f"known signal types: {', '.join(SIGNAL_TYPES)}",
        )
    return name


def check_signal(signal_type: str, value: object, *, prefix: str) -> str:
    """The normalised hash, or 400 ``"{prefix}{reason}"``.

    As in HMA (and ThreatExchange's ``PdqSignal``), a PDQ hash must already be 64 lowercase
    hex characters; other types are stripped and lowercased.
    """
    if not isinstance(value, str):
        raise HmaError(
            400, f"{prefix}expected a string, got {type(value).__name__}", code="invalid_signal"
        )
    try:
        normal = normalize_signal(signal_type, value)
    except InvalidSignalError as exc:
        raise HmaError(400, f"{prefix}{exc.message}", code="invalid_signal", hint=exc.hint) from exc
    if signal_type == "pdq" and normal != value:
        raise HmaError(
            400,
            f"{prefix}invalid PDQ hash (it must be 64 lowercase hex characters)",
            code="invalid_signal",
            hint="lowercase the hash and remove any whitespace",
        )
    return normal


def check_note(note: object) -> str | None:
    """HMA's note rule: empty or missing means none; else a string of at most 255 characters."""
    if not note:
        return None
    if not isinstance(note, str):
        raise HmaError(400, "note should be a string")
    try:
        return banks_check_note(note)  # the length rule lives with the banks
    except InputError as exc:
        raise HmaError(400, exc.message, hint=exc.hint) from None


def parse_banks(banks: str | None) -> set[str] | None:
    """HMA's ``banks`` parameter: a comma-separated list of bank names, or everything."""
    if not banks:
        return None
    return {b.strip() for b in banks.split(",") if b.strip()}


Shortcut = Callable[[Request], Coroutine[Any, Any, Response | None]]


def shortcut(fast: Shortcut) -> type[HmaRoute]:
    """A route class that offers each request to ``fast`` first and hands it to the declared
    route only when ``fast`` answers None.

    For the hot path: FastAPI's solving of query parameters and dependencies costs more than
    a lookup in memory (see BENCHMARKS.md, "Serving over HTTP"). ``fast`` answers the common
    form of a request by hand and declines anything else, which the declared route answers
    exactly as before; the declared signature also still makes the OpenAPI description.
    """

    class ShortcutRoute(HmaRoute):
        def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
            handler = super().get_route_handler()

            async def first_fast(request: Request) -> Response:
                answer = await fast(request)
                return answer if answer is not None else await handler(request)

            return first_fast

    return ShortcutRoute
