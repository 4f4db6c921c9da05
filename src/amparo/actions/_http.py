"""Sending one signed webhook within a total deadline.

Like :mod:`amparo.remote`, every socket operation gets at most the time left to one
deadline, so a receiver that trickles its answer a byte at a time is cut off at
``timeout`` seconds all told (resolving, connecting, TLS, sending, the answer). The request
goes to the address that :class:`~amparo.actions._targets.TargetPolicy` checked, with the
host name in the Host header and as the TLS server name (certificates are verified).
Redirects are not followed: a 3xx is a failed try.

Connections are kept per endpoint origin and reused across deliveries; the deadline lives
with the sending thread, so a kept connection obeys the deadline of whoever uses it now.

Built on httpcore, httpx's own transport layer, with httpx's TLS context, as
:mod:`amparo.remote` is: ``httpx.Client`` has no seam for a network backend, and a total
deadline needs one (httpx's timeouts bound each socket operation, not the whole request).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpcore

from amparo import __version__
from amparo.actions._targets import TargetPolicy
from amparo.errors import UnsafeURLError
from amparo.remote import DeadlineBackend, DeadlinePassed, pinned, tls_context

__all__ = ["Attempt", "WebhookSender"]

_ANSWER_LIMIT = 64 * 1024  # what is read of an answer: nothing in it is used
_USER_AGENT = f"Amparo-Webhooks/{__version__}"


@dataclass(frozen=True)
class Attempt:
    """How one try went: ``ok`` on a 2xx answer; ``status`` the answer's code, if any;
    ``error`` why it failed, in words."""

    ok: bool
    status: int | None = None
    error: str | None = None


class _Clocked:
    """The sending thread's deadline on ``clock``."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self.clock = clock
        self._local = threading.local()

    def set(self, seconds: float) -> None:
        self._local.at = self.clock() + seconds

    def left(self, timeout: float | None = None) -> float:
        left = getattr(self._local, "at", 0.0) - self.clock()
        if left <= 0:
            raise DeadlinePassed
        return left if timeout is None else min(timeout, left)


class WebhookSender:
    """POSTs signed bodies to endpoints within ``timeout`` seconds each, to addresses that
    ``policy`` allows. Thread-safe; :meth:`close` drops the kept connections."""

    def __init__(
        self,
        policy: TargetPolicy,
        timeout: float,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.policy = policy
        self.timeout = timeout
        self._deadline = _Clocked(clock)
        self._pools: dict[tuple[str, str, int | None], httpcore.ConnectionPool] = {}
        self._lock = threading.Lock()

    def _pool(self, url: str) -> httpcore.ConnectionPool:
        parts = urlsplit(url)
        key = (parts.scheme, parts.hostname or "", parts.port)
        with self._lock:
            pool = self._pools.get(key)
            if pool is None:  # one per origin: a TLS session never serves another host name
                pool = httpcore.ConnectionPool(
                    ssl_context=tls_context(),
                    network_backend=DeadlineBackend(self._deadline),
                    max_connections=64,
                )
                self._pools[key] = pool
            return pool

    def send(self, url: str, headers: dict[str, str], body: bytes) -> Attempt:
        """One try: POST ``body`` with ``headers`` to ``url``."""
        self._deadline.set(self.timeout)
        try:
            address = self.policy.addresses(url, self._deadline)[0]
            target, host, extensions = pinned(url, address)
            sent = [
                ("Host", host),
                ("User-Agent", _USER_AGENT),
                ("Content-Type", "application/json"),
                *headers.items(),
            ]
            with self._pool(url).stream(
                "POST", target, headers=sent, content=body, extensions=extensions
            ) as response:
                read = 0
                for chunk in response.iter_stream():
                    read += len(chunk)
                    if read > _ANSWER_LIMIT:
                        break
                status = response.status
        except (DeadlinePassed, httpcore.TimeoutException):
            return Attempt(False, error=f"no answer within {self.timeout:g} s")
        except UnsafeURLError as exc:
            return Attempt(False, error=exc.message)
        except (httpcore.NetworkError, httpcore.ProtocolError, httpcore.UnsupportedProtocol):
            return Attempt(False, error="the connection failed or the answer was not HTTP")
        if 200 <= status < 300:
            return Attempt(True, status)
        return Attempt(False, status, f"HTTP {status}")

    def close(self) -> None:
        with self._lock:
            pools, self._pools = list(self._pools.values()), {}
        for pool in pools:
            pool.close()
