"""Adding the console to an app, and connecting it to the evidence vault."""

from __future__ import annotations

from fastapi import FastAPI

from amparo.auth import Principal
from amparo.review import MediaSource
from amparo.runtime import Runtime
from amparo.store import UnitOfWork
from amparo.web._auth import PREFIX, ConsoleAuth
from amparo.web._console import Console

__all__ = ["mount_console", "set_media_source"]


class _VaultMedia:
    """The runtime's evidence vault as the console's media source, built on first use (a
    server whose reviewers never open media needs no vault key)."""

    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime

    def read(
        self, uow: UnitOfWork, evidence_id: str, *, principal: Principal, reason: str
    ) -> bytes:
        return self._runtime.vault.read(uow, evidence_id, principal=principal, reason=reason)


def mount_console(app: FastAPI, runtime: Runtime, media: MediaSource | None = None) -> ConsoleAuth:
    """Mount the console at :data:`PREFIX` of ``app``; return the authenticator the app's
    gate must be given (``Gate(..., console=...)``). Media comes from ``media``, by
    default the runtime's evidence vault."""
    console = Console(runtime, media if media is not None else _VaultMedia(runtime))
    app.state.review_console = console
    app.mount(PREFIX, console.app, name="review-console")
    return ConsoleAuth(runtime)


def set_media_source(app: FastAPI, media: MediaSource | None) -> None:
    """Read the console's media from ``media`` instead of the evidence vault (None: none)."""
    console: Console = app.state.review_console
    console.media = media
