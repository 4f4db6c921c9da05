"""The review console: server-rendered pages for people who review media, under ``/review``.

People log in with an account (:mod:`amparo.accounts`: password + TOTP); the app's gate
checks their session cookie before reading any body (:class:`ConsoleAuth`), and every form
carries a CSRF token. Media reaches the browser only as previews the server renders from
the evidence vault (:class:`amparo.review.MediaSource`): blurred and greyscale by default,
revealed one item at a time; exposure is capped per shift and breaks are enforced.
Keyboard-driven; its script and styles are served by Amparo (no CDN).

:func:`mount_console` adds it to an app; :func:`set_media_source` connects the vault.
"""

from fastapi import FastAPI

from amparo.review import MediaSource
from amparo.runtime import Runtime
from amparo.web._auth import LOGIN_COOKIE, PREFIX, SESSION_COOKIE, ConsoleAuth, CsrfError
from amparo.web._console import Console

__all__ = [
    "LOGIN_COOKIE",
    "PREFIX",
    "SESSION_COOKIE",
    "Console",
    "ConsoleAuth",
    "CsrfError",
    "mount_console",
    "set_media_source",
]


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
