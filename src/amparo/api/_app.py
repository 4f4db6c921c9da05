"""``create_app(settings)``: the FastAPI application."""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from amparo import __version__, ledger
from amparo.api import _banks, _exchanges, _hma, _ledger, _ops, _provenance, _scan
from amparo.api._errors import install_error_handlers
from amparo.api._metrics import Metrics
from amparo.config import Settings
from amparo.runtime import Amparo

__all__ = ["create_app"]

log = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

DESCRIPTION = """\
Amparo hashes media (PDQ with its 8 rotations and flips, MD5, SHA-256), matches it against
banks of hashes of known child sexual abuse material, reads AI provenance (C2PA, IPTC,
generator metadata, watermarks), and records what it found in a tamper-evident log.

Every route needs an API key (`Authorization: Bearer KEY` or `X-API-Key: KEY`) except
`/healthz`, `/status`, `/status/live` and the public tamper-evident log under `/ledger/`
(salted commitments only). Roles: `admin` (everything), `curator` (banks and
exchanges), `scanner` (hash, scan, match), `reviewer`, `auditor`.

The `/h`, `/m`, `/c` and `/status` routes speak the API of Meta's Hasher-Matcher-Actioner
(HMA), so an HMA client switches by changing its base URL and adding a key header.
"""


class BodyLimit:
    """Refuse request bodies over ``limit`` bytes with 413, before reading them whole."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await _too_large(send, self.limit)
            return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.limit:
                raise _BodyTooLarge
            return message

        try:
            await self.app(scope, limited, send)
        except _BodyTooLarge:
            await _too_large(send, self.limit)


class _BodyTooLarge(Exception):
    pass


async def _too_large(send: Send, limit: int) -> None:
    body = (
        b'{"error":"media_too_large","message":"request body is over the '
        + str(limit).encode()
        + b'-byte limit","hint":"send smaller files, or raise AMPARO_MEDIA_MAX_BYTES"}'
    )
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [(b"content-type", b"application/json")],
        }
    )
    await send({"type": "http.response.body", "body": body})


def _follow(amparo: Amparo, stop: threading.Event) -> None:
    """Load the index, then keep it in step with the database until stopped."""
    while not stop.is_set():
        try:
            amparo.matcher.pdq.sync()
        except Exception:  # keep following; the next round retries
            log.exception("index sync failed")
        stop.wait(amparo.settings.index_refresh_seconds)


def create_app(settings: Settings, *, amparo: Amparo | None = None) -> FastAPI:
    """The HTTP API over an :class:`Amparo` runtime (opened from ``settings`` if not given)."""
    runtime = amparo or Amparo.open(settings)
    # Built now so that a bad ledger key or origin stops the server at start.
    log = ledger.ledger_from_settings(settings, runtime.engine)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        stop = threading.Event()
        thread = threading.Thread(target=_follow, args=(runtime, stop), daemon=True)
        thread.start()
        worker = app.state.ledger.start_worker(settings.ledger_checkpoint_seconds)
        yield
        worker.stop()
        stop.set()
        thread.join(timeout=10)

    app = FastAPI(
        title="Amparo",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    app.state.amparo = runtime
    app.state.ledger = log
    app.state.metrics = Metrics(runtime)
    install_error_handlers(app)
    for module in (_ops, _scan, _banks, _hma, _exchanges, _ledger, _provenance):
        app.include_router(module.router)
    # Multipart and batch bodies carry up to 16 files of the per-file limit.
    app.add_middleware(BodyLimit, limit=settings.media.max_bytes * 16 + 1024 * 1024)
    return app
