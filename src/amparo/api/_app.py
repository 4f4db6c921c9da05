"""``create_app(settings)``: the FastAPI application over a :class:`~amparo.runtime.Runtime`."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from starlette.datastructures import Headers

from amparo import __version__
from amparo.api import _banks, _exchanges, _ledger, _ops, _provenance, _scan, hma
from amparo.api._errors import install_error_handlers
from amparo.api._metrics import Metrics
from amparo.config import Settings, load_settings
from amparo.errors import AmparoError, AuthenticationError, MediaTooLargeError
from amparo.runtime import Runtime

__all__ = ["JSON_BODY_LIMIT", "app_from_environment", "create_app"]

log = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

JSON_BODY_LIMIT = 4 * 1024 * 1024
"""Largest body that is not a multipart upload: 10,000 hashes to /v1/match fit in ~1 MB."""

# Served without a key: health, HMA's status, the public log (commitments only), the docs.
_PUBLIC = ("/healthz", "/readyz", "/status", "/ledger/", "/docs", "/redoc", "/openapi.json")

DESCRIPTION = """\
Amparo hashes media (PDQ with its 8 rotations and flips, MD5, SHA-256), matches it against
banks of hashes of known child sexual abuse material, reads AI provenance (C2PA, IPTC,
generator metadata, watermarks), and records what it found in a tamper-evident log.

Every route needs an API key (`Authorization: Bearer KEY` or `X-API-Key: KEY`) except
`/healthz`, `/readyz`, `/status`, `/status/live` and the public tamper-evident log under
`/ledger/` (salted commitments only). The key is checked before the request body is read.
Roles: `admin` (everything), `curator` (banks and exchanges), `scanner` (hash, scan,
match), `reviewer`, `auditor`.

The `/h`, `/m`, `/c` and `/status` routes speak the API of Meta's Hasher-Matcher-Actioner
(HMA), so an HMA client switches by changing its base URL and adding a key header.
"""


def _public(path: str) -> bool:
    return any(path == p or path.startswith(p if p.endswith("/") else p + "/") for p in _PUBLIC)


async def _send_error(send: Send, exc: AmparoError, headers: list[tuple[bytes, bytes]]) -> None:
    body = json.dumps(exc.to_dict()).encode()
    await send(
        {
            "type": "http.response.start",
            "status": exc.status_code,
            "headers": [(b"content-type", b"application/json"), *headers],
        }
    )
    await send({"type": "http.response.body", "body": body})


class Gate:
    """Before anything reads the body: authenticate the key (from memory), then bound the
    body (multipart uploads by the media limit, anything else by :data:`JSON_BODY_LIMIT`).

    A request without a valid key gets 401 without a byte of its body being read; an
    oversized one gets 413 from its declared length, or as soon as it passes the limit.
    The principal goes to ``request.state.principal`` for the routes' role checks.
    """

    def __init__(self, app: ASGIApp, runtime: Runtime, upload_limit: int) -> None:
        self.app = app
        self.runtime = runtime
        self.upload_limit = upload_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        if not _public(scope["path"]):
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
        multipart = headers.get("content-type", "").startswith("multipart/")
        limit = self.upload_limit if multipart else JSON_BODY_LIMIT
        declared = headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _send_error(send, _too_large(limit), [])
            return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > limit:
                raise _BodyTooLarge
            return message

        try:
            await self.app(scope, limited, send)
        except _BodyTooLarge:
            await _send_error(send, _too_large(limit), [])


class _BodyTooLarge(Exception):
    pass


def _too_large(limit: int) -> MediaTooLargeError:
    return MediaTooLargeError(
        f"request body is over the {limit}-byte limit",
        hint="send smaller files, or raise AMPARO_MEDIA_MAX_BYTES",
    )


def app_from_environment() -> FastAPI:
    """The app of one ``amparo serve`` worker: settings from the environment; the schema
    was migrated by ``amparo serve`` before the workers started."""
    settings = load_settings()
    return create_app(settings, amparo=Runtime.open(settings, run_migrations=False), owned=True)


def create_app(
    settings: Settings, *, amparo: Runtime | None = None, owned: bool = False
) -> FastAPI:
    """The HTTP API over a runtime (opened from ``settings`` if not given), started with
    the app; closed with it when the app opened it (or ``owned``), else only stopped."""
    runtime = amparo or Runtime.open(settings)
    _ = runtime.ledger  # built now: a bad ledger key or origin stops the server at start
    owned = owned or amparo is None

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime.start()
        try:
            yield
        finally:
            if owned:
                runtime.close()
            else:
                runtime.stop()

    app = FastAPI(
        title="Amparo",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    app.state.amparo = runtime
    app.state.metrics = Metrics(runtime)
    install_error_handlers(app)
    for router in (
        _ops.router,
        _scan.router,
        _banks.router,
        hma.router,
        _exchanges.router,
        _ledger.router,
        _provenance.router,
    ):
        app.include_router(router)
    # Multipart batch bodies carry up to 16 files of the per-file limit.
    app.add_middleware(Gate, runtime=runtime, upload_limit=settings.media.max_bytes * 16 + 2**20)
    return app
