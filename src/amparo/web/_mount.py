"""Adding the console to an app, and connecting it to the evidence vault."""

from __future__ import annotations

from fastapi import FastAPI

from amparo.review import MediaSource
from amparo.runtime import Runtime
from amparo.web._auth import PREFIX, ConsoleAuth
from amparo.web._console import Console

__all__ = ["mount_console", "set_media_source"]


def mount_console(app: FastAPI, runtime: Runtime, media: MediaSource | None = None) -> ConsoleAuth:
    """Mount the console at :data:`PREFIX` of ``app``; return the authenticator the app's
    gate must be given (``Gate(..., console=...)``)."""
    console = Console(runtime, media)
    app.state.review_console = console
    app.mount(PREFIX, console.app, name="review-console")
    return ConsoleAuth(runtime)


def set_media_source(app: FastAPI, media: MediaSource | None) -> None:
    """Connect the console of ``app`` to where item media comes from (the evidence vault)."""
    console: Console = app.state.review_console
    console.media = media
