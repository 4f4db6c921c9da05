"""Who is using the console: the session cookie, checked by the app's gate before a body is
read, and the CSRF token every form carries.

The gate (``api/_gate.py``) hands every request under :data:`PREFIX` to
:class:`ConsoleAuth` instead of checking an API key: the console is for people, who log in
with an account; API keys are for machines and are not accepted here. A request without a
live session is redirected to the login page unread.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.requests import cookie_parser
from starlette.responses import RedirectResponse

from amparo import accounts
from amparo.auth import Principal
from amparo.errors import AuthenticationError, PermissionDeniedError
from amparo.runtime import Runtime

__all__ = [
    "LOGIN_COOKIE",
    "PREFIX",
    "SESSION_COOKIE",
    "ConsoleAuth",
    "CsrfError",
    "check_csrf",
    "cookie_value",
    "new_token",
]

PREFIX = "/review"
"""Where the console is mounted."""
SESSION_COOKIE = "__Host-amparo_session"
"""The session cookie (``__Host-``: Secure, path /, no domain — set only by this host)."""
LOGIN_COOKIE = "__Host-amparo_login"
"""The login form's CSRF cookie (double submit: the form carries the same token)."""
_PUBLIC = (f"{PREFIX}/login", f"{PREFIX}/static/")

Scope = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Any, Any], Awaitable[None]]


class CsrfError(PermissionDeniedError):
    """A form without the right CSRF token (HTTP 403)."""

    code = "csrf"


def new_token() -> str:
    """A random token for a cookie or form (256 bits)."""
    return secrets.token_urlsafe(32)


def check_csrf(expected: str | None, given: object) -> None:
    """Raise :class:`CsrfError` unless the form's ``csrf`` field equals ``expected``."""
    if not isinstance(given, str) or not given:
        raise CsrfError(
            "this form has no CSRF token", hint="reload the page and submit the form again"
        )
    if not expected or not hmac.compare_digest(expected.encode(), given.encode()):
        raise CsrfError(
            "this form's CSRF token is wrong or expired",
            hint="reload the page and submit the form again",
        )


def cookie_value(headers: Headers, name: str) -> str | None:
    """The value of cookie ``name`` in a request's headers, if any."""
    return cookie_parser(headers.get("cookie", "")).get(name)


class ConsoleAuth:
    """Authenticates console requests by their session cookie, for the app's gate.

    ``authenticate`` looks the session up (a database read on a worker thread), puts the
    :class:`amparo.accounts.SessionView` in ``request.state.console`` and returns the
    person's principal; ``refusal`` is the answer to a request without a live session.
    """

    prefix = PREFIX

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def public(self, path: str) -> bool:
        """The login page and the console's own scripts and styles need no session."""
        return any(path == p or (p.endswith("/") and path.startswith(p)) for p in _PUBLIC)

    def _view(self, token: str | None) -> accounts.SessionView:
        with self.runtime.sessions() as session:
            return accounts.session_view(session, token)

    async def authenticate(self, scope: Scope) -> Principal:
        token = cookie_value(Headers(scope=scope), SESSION_COOKIE)
        if not token:
            raise AuthenticationError("please log in", hint=f"log in at {PREFIX}/login")
        view = await run_in_threadpool(self._view, token)
        scope.setdefault("state", {})["console"] = view
        return view.user.principal()

    def refusal(self, exc: AuthenticationError) -> ASGIApp:
        response = RedirectResponse(f"{PREFIX}/login", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/", secure=True, httponly=True)
        return response
