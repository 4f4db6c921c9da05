"""The gate every request passes before any route: who is asking, how much they send, and
whether what they send is text and numbers Amparo can hold.

In this order, each step before the next reads anything more:

1. **The key**, checked against the in-memory keyring before a byte of the body is read: a
   request without a valid one gets 401 (a 157 MB upload included, left unread). Requests
   under the review console's prefix are people's, not machines': there the console's
   session cookie is checked instead (:class:`CookieAuth`, a database read), equally before
   the body, and a request without a live session gets the console's refusal (a redirect
   to its login page). API keys are not accepted there, and cookies nowhere else.
2. **The size and the pace**: multipart uploads are bounded by the media limit (times the
   files a batch may carry), anything else by :data:`JSON_BODY_LIMIT`; 413 from the declared
   length, or as soon as the body passes the limit, whatever the route was doing with it.
   A body must keep coming (:class:`_Pace`): 408 when it stops.
3. **The input** (:mod:`amparo.inputs`' rules): the path and the query string (each
   parameter given once), and the whole of any body that is not multipart — JSON (or no
   content type, which FastAPI reads as JSON) and URL-encoded forms — are read (within the
   limit) and checked before the route sees them. A body that is not JSON at all is passed
   on for the route to answer in its own shape (HMA's routes answer differently). Multipart
   bodies stream past it into Starlette's form parser (spooled to temporary files, never
   held whole).
4. **The form**: once that parser is done, and before the route or FastAPI's parameter
   parsing sees it, :class:`GuardedRoute` — the route class of every router — checks every
   field name, text value and file name of a multipart form, and closes the form (its
   spooled files) after the route, whether the route read it or not.
5. **Each file**, when a route reads it: :func:`read_upload` never holds more than the media
   limit of it.

Refusals are answered in the one error shape, ``{"error", "message", "hint"}``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Awaitable, Callable, Coroutine, MutableMapping
from typing import Any, Protocol
from urllib.parse import parse_qsl, unquote_to_bytes

from fastapi import Request, Response
from fastapi.routing import APIRoute
from starlette.datastructures import FormData, Headers, UploadFile

from amparo import inputs
from amparo.api._errors import error_body
from amparo.auth import Principal
from amparo.errors import (
    AmparoError,
    AuthenticationError,
    BodyTooSlowError,
    InputError,
    InvalidJSONError,
    MediaTooLargeError,
)
from amparo.runtime import Runtime

__all__ = [
    "JSON_BODY_LIMIT",
    "MAX_FORM_PARTS",
    "PUBLIC_PATHS",
    "CookieAuth",
    "Gate",
    "GuardedRoute",
    "check_form",
    "check_query",
    "read_upload",
]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

JSON_BODY_LIMIT = 4 * 1024 * 1024
"""Largest body that is not a multipart upload: 10,000 hashes to /v1/match fit in ~1 MB."""

BODY_GRACE_SECONDS = 10.0
BODY_MIN_RATE = 1024
"""A body must keep coming: by ``BODY_GRACE_SECONDS`` plus a second per ``BODY_MIN_RATE``
bytes received so far, the next part must be in (see :class:`_Pace`)."""

MAX_FORM_PARTS = 16
"""Most files, and most other fields, one form may carry (a batch scan's 16 files)."""

PUBLIC_PATHS = ("/healthz", "/readyz", "/status", "/ledger/", "/docs", "/redoc", "/openapi.json")
"""Served without a key: health, HMA's status, the public log (commitments only), the docs
(and the assets they load)."""


class CookieAuth(Protocol):
    """How the gate authenticates the paths of a cookie-session front end (the console):
    every path at or under ``prefix`` (then no API key is asked for)."""

    prefix: str

    def public(self, path: str) -> bool:
        """Whether ``path`` needs no session (its login page, its static files)."""
        ...

    async def authenticate(self, scope: Scope) -> Principal:
        """The person's principal, from the headers only; :class:`AuthenticationError`."""
        ...

    def refusal(self, exc: AuthenticationError) -> ASGIApp:
        """The answer to a request without a live session."""
        ...


def _public(path: str) -> bool:
    return any(
        path == p or path.startswith(p if p.endswith("/") else p + "/") for p in PUBLIC_PATHS
    )


async def _send_error(send: Send, exc: AmparoError, headers: list[tuple[bytes, bytes]]) -> None:
    body = json.dumps(error_body(exc)).encode()
    await send(
        {
            "type": "http.response.start",
            "status": exc.status_code,
            "headers": [(b"content-type", b"application/json"), *headers],
        }
    )
    await send({"type": "http.response.body", "body": body})


def check_query(raw: bytes, *, what: str) -> list[tuple[str, str]]:
    """A query string or URL-encoded form: UTF-8 once decoded, and every name and value
    storable text (:func:`amparo.inputs.check_text`). Returns its (name, value) pairs."""
    try:
        pairs = parse_qsl(raw.decode("latin-1"), keep_blank_values=True, errors="strict")
    except UnicodeDecodeError:
        raise InputError(
            f"{what} is not UTF-8 once percent-decoded", hint="percent-encode UTF-8 text"
        ) from None
    for name, value in pairs:
        inputs.check_text(name, what=f"a parameter name in {what}")
        inputs.check_text(value, what=f"parameter {name!r}")
    return pairs


def _check_query_string(scope: Scope) -> None:
    """The query string (:func:`check_query`), each parameter given once: no route takes a
    repeated one, and of ``?signal=A&signal=B`` the routes would read B where HMA (Flask)
    reads A, or a proxy in front may have checked A (parameter pollution)."""
    seen: set[str] = set()
    for name, _ in check_query(scope.get("query_string", b""), what="the query string"):
        if name in seen:
            raise InputError(
                f"parameter {name!r} is given more than once",
                hint="give each query parameter once; a list of banks goes in one, comma-separated",
            )
        seen.add(name)


def _check_path(scope: Scope) -> None:
    raw = scope.get("raw_path") or scope["path"].encode()
    try:
        path = unquote_to_bytes(raw).decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(
            "the path is not UTF-8 once percent-decoded", hint="percent-encode UTF-8 text"
        ) from None
    inputs.check_text(path, what="the path")
    # Routing reads scope["path"], which a server (or a test client that decodes twice)
    # may have decoded differently from raw_path: check what the routes will see too.
    inputs.check_text(scope["path"], what="the path")


def _is_json(content_type: str) -> bool:
    """What FastAPI reads as JSON: no content type, or application/json or */*+json."""
    kind = content_type.split(";", 1)[0].strip().lower()
    return not kind or kind == "application/json" or kind.endswith("+json")


def _check_body(content_type: str, body: bytes) -> None:
    if not body:
        return
    if _is_json(content_type):
        try:
            inputs.load_json(body, what="body")
        except InvalidJSONError:
            return  # not JSON at all: the route answers that in its own shape
    elif content_type.startswith("application/x-www-form-urlencoded"):
        check_query(body, what="the form")


class _BodyCut(Exception):
    """Raised into the route when the gate ends a multipart body (too large, too slow)."""


def _too_large(limit: int, *, upload: bool) -> MediaTooLargeError:
    return MediaTooLargeError(
        f"request body is over the {limit}-byte limit",
        hint="send smaller files, or raise AMPARO_MEDIA_MAX_BYTES"
        if upload
        else "split the request: a body other than an upload is at most 4 MiB",
    )


class Gate:
    """The ASGI middleware described in the module docstring. The principal goes to
    ``request.state.principal`` for the routes' role checks."""

    def __init__(
        self,
        app: ASGIApp,
        runtime: Runtime,
        upload_limit: int,
        console: CookieAuth | None = None,
    ) -> None:
        self.app = app
        self.runtime = runtime
        self.upload_limit = upload_limit
        self.console = console
        self._console_paths = (console.prefix, console.prefix + "/") if console else ("", "")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        console = self.console
        exact, under = self._console_paths
        if console is not None and (scope["path"] == exact or scope["path"].startswith(under)):
            if not console.public(scope["path"]):
                try:
                    principal = await console.authenticate(scope)
                except AuthenticationError as exc:
                    await console.refusal(exc)(scope, receive, send)
                    return
                scope.setdefault("state", {})["principal"] = principal
        elif not _public(scope["path"]):
            presented = headers.get("x-api-key")
            scheme, _, token = (headers.get("authorization") or "").partition(" ")
            if presented is None and scheme.lower() == "bearer":
                presented = token
            try:
                principal = self.runtime.keyring.authenticate(presented)
            except AuthenticationError as exc:
                await _send_error(send, exc, [(b"www-authenticate", b"Bearer")])
                return
            scope.setdefault("state", {})["principal"] = principal
        content_type = headers.get("content-type", "")
        multipart = content_type.startswith("multipart/")
        limit = self.upload_limit if multipart else JSON_BODY_LIMIT
        declared = headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _send_error(send, _too_large(limit, upload=multipart), [])
            return
        try:
            _check_path(scope)
            _check_query_string(scope)
        except InputError as exc:
            await _send_error(send, exc, [])
            return
        if _has_body(headers):
            receive = _Pace(receive)
        if multipart:
            await self._stream(scope, receive, send, limit)
            return
        body = bytearray()
        while True:
            try:
                message = await receive()
            except BodyTooSlowError as exc:
                await _send_error(send, exc, [(b"connection", b"close")])
                return
            if message["type"] == "http.disconnect":
                return  # the client is gone: nobody to answer
            body.extend(message.get("body", b""))
            if len(body) > limit:
                await _send_error(send, _too_large(limit, upload=False), [])
                return
            if not message.get("more_body", False):
                break
        try:
            _check_body(content_type, bytes(body))
        except InputError as exc:
            await _send_error(send, exc, [])
            return
        await self.app(scope, _replay(bytes(body), receive), send)

    async def _stream(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        """Pass a multipart body through, counting; past ``limit`` the answer is 413, and
        to a body that stopped coming 408, whatever the route makes of the interruption
        (FastAPI's body parser would call it a 400)."""
        seen = 0
        cut: AmparoError | None = None
        answered = False

        async def limited() -> Message:
            nonlocal seen, cut
            try:
                message = await receive()
            except BodyTooSlowError as exc:
                cut = exc
                raise _BodyCut from None
            seen += len(message.get("body", b""))
            if seen > limit:
                cut = _too_large(limit, upload=True)
                raise _BodyCut
            return message

        async def unless_cut(message: Message) -> None:
            nonlocal answered
            if cut is not None:
                return  # the route's answer to a body cut short gives way to ours
            answered = True
            await send(message)

        with contextlib.suppress(_BodyCut):  # answered below, once
            await self.app(scope, limited, unless_cut)
        if cut is not None and not answered:
            close = [(b"connection", b"close")] if isinstance(cut, BodyTooSlowError) else []
            await _send_error(send, cut, close)


class _Pace:
    """Receives a body that must keep coming, or raises :class:`BodyTooSlowError`.

    Neither uvicorn nor Starlette bounds how long a body may take: a client that trickles a
    byte at a time holds its connection (and, for an upload, a spooled file) for as long as
    it likes, and enough of them take every connection a server has. Slow links still pass:
    a 50 MB upload at 10 KB/s keeps well ahead of the pace. Once the body is complete,
    later receives (a wait for the client to disconnect) are not timed.
    """

    def __init__(self, receive: Receive) -> None:
        self._receive = receive
        self._started = asyncio.get_running_loop().time()
        self._seen = 0
        self._done = False

    async def __call__(self) -> Message:
        if self._done:
            return await self._receive()
        deadline = self._started + BODY_GRACE_SECONDS + self._seen / BODY_MIN_RATE
        try:
            async with asyncio.timeout_at(deadline):
                message = await self._receive()
        except TimeoutError:
            raise BodyTooSlowError(
                f"the request body stopped coming: {self._seen} bytes in "
                f"{asyncio.get_running_loop().time() - self._started:.1f} s",
                hint=f"send the body at {BODY_MIN_RATE} bytes a second or faster",
            ) from None
        self._seen += len(message.get("body", b""))
        self._done = message["type"] != "http.request" or not message.get("more_body", False)
        return message


def _has_body(headers: Headers) -> bool:
    """A declared length above 0, or a chunked body (GET lookups have neither)."""
    declared = headers.get("content-length")
    return (declared is not None and declared != "0") or (
        "chunked" in headers.get("transfer-encoding", "").lower()
    )


def _replay(body: bytes, receive: Receive) -> Receive:
    """A receive that hands over ``body`` whole, then whatever the client sends next."""
    pending = True

    async def replay() -> Message:
        nonlocal pending
        if pending:
            pending = False
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


def check_form(form: FormData) -> None:
    """Every field name, text value and file name of ``form`` is storable text."""
    for name, value in form.multi_items():
        inputs.check_text(name, what="a form field name")
        if isinstance(value, UploadFile):
            if value.filename is not None:
                inputs.check_text(value.filename, what=f"the file name in field {name!r}")
        else:
            inputs.check_text(value, what=f"form field {name!r}")


class GuardedRoute(APIRoute):
    """An ``APIRoute`` whose multipart forms are checked before, and closed after, the route
    (step 4 of the module docstring). Every router sets ``route_class=GuardedRoute`` (or a
    subclass, like HMA's); a test holds every route of the app to it."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            try:
                if request.headers.get("content-type", "").startswith("multipart/form-data"):
                    # Parsed once here; FastAPI and the route get this same form back.
                    form = await request.form(max_files=MAX_FORM_PARTS, max_fields=MAX_FORM_PARTS)
                    check_form(form)
                return await handler(request)
            finally:
                await request.close()

        return guarded


async def read_upload(upload: UploadFile, limit: int) -> bytes:
    """The upload's bytes, or :class:`MediaTooLargeError` past ``limit``.

    Never holds more than ``limit`` bytes of it: Starlette's form parser has already spooled
    the upload to a temporary file (on disk past 1 MiB) and counted its size, so one over the
    limit is refused without reading a byte; one of unknown size is read to one byte past
    the limit at most, which is how it is told apart from one exactly at the limit.
    """
    if upload.size is not None and upload.size > limit:
        raise _file_too_large(upload, limit)
    data = await upload.read(limit + 1)
    if len(data) > limit:
        raise _file_too_large(upload, limit)
    return data


def _file_too_large(upload: UploadFile, limit: int) -> MediaTooLargeError:
    return MediaTooLargeError(
        f"{upload.filename or 'the file'} is over the {limit}-byte limit",
        hint="send a smaller file, or raise AMPARO_MEDIA_MAX_BYTES",
    )
