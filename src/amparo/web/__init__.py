"""The review console: server-rendered pages for people who review media, under ``/review``.

People log in with an account (:mod:`amparo.accounts`: password + TOTP); the app's gate
checks their session cookie before reading any body (:class:`ConsoleAuth`), and every form
carries a CSRF token. Media reaches the browser only as previews the server renders from
the evidence vault (:class:`amparo.review.MediaSource`): blurred and greyscale by default,
revealed one item at a time; exposure is capped per shift and breaks are enforced.
Keyboard-driven; its script and styles are served by Amparo (no CDN).

:func:`mount_console` adds it to an app, reading media from the runtime's evidence vault;
:func:`set_media_source` puts another source in its place (tests use an in-memory one).
"""

from amparo.web._auth import LOGIN_COOKIE, PREFIX, SESSION_COOKIE, ConsoleAuth, CsrfError
from amparo.web._console import Console
from amparo.web._mount import mount_console, set_media_source

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
