"""``create_app(settings)``: the FastAPI application over a :class:`~amparo.runtime.Runtime`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from amparo import __version__, web
from amparo.api import (
    _actions,
    _banks,
    _cases,
    _dsa,
    _evidence,
    _exchanges,
    _ledger,
    _ops,
    _policy,
    _provenance,
    _reports,
    _review,
    _scan,
    _scans,
    hma,
)
from amparo.api._accountability import router as accountability_router
from amparo.api._docs import install_docs
from amparo.api._errors import install_error_handlers
from amparo.api._gate import MAX_FORM_PARTS, Gate
from amparo.api._group import WorkerGroup
from amparo.api._logging import RequestLog
from amparo.api._metrics import Metrics
from amparo.config import Settings, load_settings
from amparo.runtime import Runtime

__all__ = ["app_from_environment", "create_app"]

DESCRIPTION = """\
Amparo hashes media (PDQ with its 8 rotations and flips, MD5, SHA-256), matches it against
banks of hashes of known child sexual abuse material, reads AI provenance (C2PA, IPTC,
generator metadata, watermarks), and records what it found in a tamper-evident log.

Every route needs an API key (`Authorization: Bearer KEY` or `X-API-Key: KEY`) except
`/healthz`, `/readyz`, `/status`, `/status/live` and the public tamper-evident log under
`/ledger/` (salted commitments only). The key is checked before the request body is read.
Roles: `admin` (everything), `curator` (banks and exchanges), `scanner` (hash, scan,
match), `reviewer`, `auditor`, `investigator` (sightings, notices, conduct reports).

Input is checked before a route runs: text must be valid Unicode without NUL characters,
integers must fit in 64 bits, JSON must be strict (each name once in an object) and at most
32 levels deep, and each query parameter is given once; anything else answers 400 in the
one error shape (`{"error", "message", "hint"}`). A request body must keep coming (within
10 s, then at 1 KiB a second on average), else 408 `body_too_slow`.

The `/h`, `/m`, `/c` and `/status` routes speak the API of Meta's Hasher-Matcher-Actioner
(HMA), so an HMA client switches by changing its base URL and adding a key header.
"""


def app_from_environment() -> FastAPI:
    """The app of one ``amparo serve`` worker: settings from the environment; the schema
    was migrated by ``amparo serve`` before the workers started."""
    settings = load_settings()
    runtime = Runtime.open(settings, run_migrations=False)
    runtime.follower.freeze_when_loaded = True  # a long-lived process: see the follower
    return create_app(settings, amparo=runtime, owned=True)


def create_app(
    settings: Settings, *, amparo: Runtime | None = None, owned: bool = False
) -> FastAPI:
    """The HTTP API over a runtime (opened from ``settings`` if not given), started with
    the app; closed with it when the app opened it (or ``owned``), else only stopped."""
    runtime = amparo or Runtime.open(settings)
    _ = runtime.ledger  # built now: a bad ledger key or origin stops the server at start
    owned = owned or amparo is None

    group = WorkerGroup.from_environment()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime.start()
        if group is not None:
            group.announce_when(runtime.follower.ready)
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
        docs_url=None,  # served from the package by install_docs: no CDN
        redoc_url=None,
    )
    app.state.amparo = runtime
    app.state.group = group
    app.state.metrics = Metrics(runtime)
    install_error_handlers(app)
    install_docs(app)
    # The HMA lookups first, at the top level rather than in an included router: FastAPI
    # matches included routers through a tree of wrappers, which costs more per request
    # than a lookup in memory (BENCHMARKS.md, "Serving over HTTP").
    app.router.routes[:0] = hma.lookup_router.routes
    for router in (
        hma.router,
        _ops.router,
        _scan.router,
        _banks.router,
        _exchanges.router,
        _ledger.router,
        _provenance.router,
        _scans.router,
        _reports.router,
        _policy.router,
        _evidence.router,
        _review.router,
        _dsa.router,
        _cases.router,
        accountability_router,
        _actions.router,
    ):
        app.include_router(router)
    # Multipart batch bodies carry up to 16 files of the per-file limit.
    upload_limit = settings.media.max_bytes * MAX_FORM_PARTS + 2**20
    console = web.mount_console(app, runtime)  # /review: people's console (session cookies)
    app.add_middleware(Gate, runtime=runtime, upload_limit=upload_limit, console=console)
    app.add_middleware(RequestLog)  # outermost: refusals by the gate carry a request id too
    return app
