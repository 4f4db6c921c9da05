"""Request ids in logs: every request gets one, and every log line written while it is
served carries it.

An ``X-Request-ID`` header the client sends (1-128 characters of letters, digits and
``._:-``) is kept; anything else gets a fresh id. The id is echoed in the response's
``X-Request-ID`` header and put on every log record made during the request, by any logger
(the record attribute ``request_id``; ``AMPARO_LOG_FORMAT=json`` writes it as a field). One
line per request (method, path without its query, status, milliseconds) is logged at INFO
on ``amparo.api.requests``; queries are left out because they can hold URLs and hashes.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from contextvars import ContextVar
from typing import Any

from starlette.datastructures import Headers, MutableHeaders

__all__ = ["REQUEST_ID", "RequestLog"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

REQUEST_ID: ContextVar[str | None] = ContextVar("amparo_request_id", default=None)
"""The id of the request being served in this context (None outside requests)."""

_ACCEPTED = re.compile(r"[A-Za-z0-9._:-]{1,128}")  # no spaces or controls: it goes into logs
log = logging.getLogger("amparo.api.requests")


def _install_record_factory() -> None:
    """Make every new log record carry the current request id. A record factory, not a
    filter, because filters sit on handlers that uvicorn and the CLI configure; idempotent."""
    current = logging.getLogRecordFactory()
    if getattr(current, "amparo_request_id", False):
        return

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = current(*args, **kwargs)
        request_id = REQUEST_ID.get()
        if request_id is not None:
            record.request_id = request_id
        return record

    setattr(factory, "amparo_request_id", True)  # noqa: B010 - a marker on a function
    logging.setLogRecordFactory(factory)


class RequestLog:
    """ASGI middleware: give the request an id (see the module docstring), echo it, log the
    request. Register it outermost, so that refusals by the key gate carry an id too."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        _install_record_factory()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = Headers(scope=scope).get("x-request-id")
        request_id = given if given and _ACCEPTED.fullmatch(given) else uuid.uuid4().hex
        token = REQUEST_ID.set(request_id)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message)["X-Request-ID"] = request_id
            await send(message)

        method, path = scope.get("method", ""), scope.get("path", "")
        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            log.exception("%s %s failed", method, path)
            raise
        finally:
            elapsed = (time.perf_counter() - started) * 1000
            log.info("%s %s %d %.1f ms", method, path, status, elapsed)
            REQUEST_ID.reset(token)
