"""Fetching media from a URL, safely.

Only public http(s) addresses are fetched (unless ``unsafe_allow_private_urls`` is set): every
address the host name resolves to must be public (see :func:`is_public`). The request then
goes to the checked address itself (the host name travels in the Host header and as the TLS
server name, which the certificate is verified against), so a second DNS answer cannot point
it elsewhere (DNS rebinding). Redirects are followed by hand and each target is checked the
same way.

Limits: ``max_bytes`` for the body, and ``timeout`` seconds for the whole fetch — resolving,
connecting, TLS, every redirect and the whole body. Each socket operation gets at most the
time left, so a server that trickles a byte a second is cut off at the deadline instead of
being kept alive by every byte. Name resolution uses the system resolver, in a small pool of
threads, and is cut at the deadline too: a resolver that never answers costs a fetch its
deadline, not the resolver's own timeouts and retries (a resolution that was cut goes on in
its thread, which the next one may have to wait for: at most 8 hang at once).

Errors say nothing about the inside of the network: a host that does not resolve and one
that resolves to an address that is refused get one and the same message, which names
neither the addresses nor whether anything answers there.
"""

from __future__ import annotations

import ipaddress
import os
import socket
import ssl
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Protocol, TypeVar
from urllib.parse import urljoin, urlsplit, urlunsplit

import httpcore
import httpx

from amparo.errors import FetchError, MediaTooLargeError, UnsafeURLError

__all__ = [
    "DeadlineBackend",
    "DeadlinePassed",
    "Probe",
    "TimeLeft",
    "UrlFetcher",
    "check_url",
    "embedded_ipv4",
    "is_public",
    "pinned",
    "resolve",
    "tls_context",
]

_MAX_REDIRECTS = 5
_REDIRECTS = (301, 302, 303, 307, 308)

# RFC 6052 well-known NAT64 prefix: the IPv4 address is the last 32 bits.
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
# RFC 8215 local-use NAT64 prefix: translation by the local network's own policy, never global.
_NAT64_LOCAL = ipaddress.IPv6Network("64:ff9b:1::/48")
# RFC 4291 IPv4-compatible (deprecated; ::/96) and RFC 2765 IPv4-translated (::ffff:0:0:0/96).
_COMPATIBLE = ipaddress.IPv6Network("::/96")
_TRANSLATED = ipaddress.IPv6Network("::ffff:0:0:0/96")

_UNSAFE_HINT = (
    "only public http(s) addresses are fetched; for a lab, set AMPARO_UNSAFE_ALLOW_PRIVATE_URLS=1"
)

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def embedded_ipv4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address carries, in every form a network may route to them:
    IPv4-mapped, IPv4-compatible, IPv4-translated, NAT64 (64:ff9b::/96), 6to4 (the 2002::/16
    gateway) and Teredo (its server and its client)."""
    found: list[ipaddress.IPv4Address] = []
    if ip.ipv4_mapped is not None:
        found.append(ip.ipv4_mapped)
    if ip in _COMPATIBLE or ip in _TRANSLATED or ip in _NAT64:
        found.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    if ip.sixtofour is not None:
        found.append(ip.sixtofour)
    if ip.teredo is not None:
        found.extend(ip.teredo)
    return found


def is_public(ip: Address) -> bool:
    """Whether ``ip`` may be fetched from: globally reachable by IANA's special-purpose
    registries, not multicast, not in the local-use NAT64 prefix, and every IPv4 address it
    embeds (:func:`embedded_ipv4`) public too.

    ``ipaddress``'s ``is_global`` alone is not enough: Python 3.11 calls ``::127.0.0.1``,
    ``64:ff9b::7f00:1`` and ``2002:7f00:1::1`` global, and each of them reaches loopback.
    """
    if not ip.is_global or ip.is_multicast:
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        if ip in _NAT64_LOCAL:
            return False
        return all(is_public(v4) for v4 in embedded_ipv4(ip))
    return True


def _unsafe(url: str) -> UnsafeURLError:
    return UnsafeURLError(
        f"Invalid or unsafe URL provided: {url!r} does not resolve to public addresses only",
        hint=_UNSAFE_HINT,
    )


@cache
def _resolvers() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(8, thread_name_prefix="amparo-resolve")


# A forked child has none of its parent's threads: it makes its own pool.
os.register_at_fork(after_in_child=_resolvers.cache_clear)


def resolve(host: str, port: int | None, deadline: TimeLeft | None = None) -> list[str]:
    """The addresses ``host`` resolves to (for TCP), sorted; ``OSError`` and the like as
    ``socket.getaddrinfo`` raises them. With ``deadline``, ends by it
    (:class:`DeadlinePassed`) whatever the resolver does."""
    if deadline is None:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    else:
        asked = _resolvers().submit(socket.getaddrinfo, host, port, type=socket.SOCK_STREAM)
        try:
            infos = asked.result(timeout=deadline.left())
        except FutureTimeout:
            raise DeadlinePassed from None
    return sorted({str(info[4][0]) for info in infos})


def check_url(
    url: str, *, allow_private: bool = False, deadline: TimeLeft | None = None
) -> list[str]:
    """The IP addresses ``url`` may be fetched from, or :class:`UnsafeURLError`.

    With ``deadline``, resolving the host name ends by it (:class:`DeadlinePassed`).

    A URL that is not http(s), has no host, does not parse, does not resolve, or resolves to
    any address that is not public (:func:`is_public`) is refused; the last three with one
    message, so that the answer tells nothing about which internal names exist.
    """
    try:
        parts = urlsplit(url)
        scheme, host, port = parts.scheme, parts.hostname, parts.port  # .port may raise too
    except ValueError:  # e.g. an unclosed "[" or a port over 65535
        scheme, host, port = "", None, None
    if scheme not in ("http", "https") or not host or "\x00" in url:
        raise UnsafeURLError(
            f"Invalid or unsafe URL provided: {url!r}", hint="give an http:// or https:// URL"
        )
    try:
        addresses = resolve(host, port, deadline)
    except (OSError, UnicodeError, ValueError):
        raise _unsafe(url) from None
    if not addresses:
        raise _unsafe(url)
    if not allow_private:
        for addr in addresses:
            if not is_public(ipaddress.ip_address(addr.split("%")[0])):
                raise _unsafe(url)
    return addresses


def pinned(url: str, address: str) -> tuple[str, str, dict[str, Any]]:
    """``url`` with its host replaced by the checked ``address``, plus the Host header and
    the httpcore extensions (TLS server name) that keep the request, and its certificate
    check, about the original host: a second DNS answer cannot redirect it."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    literal = f"[{address}]" if ":" in address else address
    netloc = literal if parts.port is None else f"{literal}:{parts.port}"
    host_header = host if parts.port is None else f"{host}:{parts.port}"
    if ":" in host:  # an IPv6 literal keeps its brackets in the Host header
        host_header = f"[{host}]" if parts.port is None else f"[{host}]:{parts.port}"
    target = urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))
    extensions: dict[str, Any] = {"sni_hostname": host} if parts.scheme == "https" else {}
    return target, host_header, extensions


@cache
def tls_context() -> ssl.SSLContext:
    """httpx's context (certifi's roots, certificates and host names verified), made once."""
    return httpx.create_ssl_context()


class DeadlinePassed(Exception):
    """A deadline's time ran out (raised by :meth:`TimeLeft.left`)."""


class TimeLeft(Protocol):
    """A deadline every socket operation must end by (one per fetch, or per thread)."""

    def left(self, timeout: float | None = None) -> float:
        """Seconds left, at most ``timeout``; :class:`DeadlinePassed` if none are."""
        ...


class _Deadline:
    """A point in time on ``clock`` that every socket operation must end by."""

    def __init__(self, seconds: float, clock: Callable[[], float]) -> None:
        self.clock = clock
        self.at = clock() + seconds

    def left(self, timeout: float | None = None) -> float:
        """Seconds left, at most ``timeout``; :class:`DeadlinePassed` if none are."""
        left = self.at - self.clock()
        if left <= 0:
            raise DeadlinePassed
        return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream, deadline: TimeLeft) -> None:
        self._inner = inner
        self._deadline = deadline

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, self._deadline.left(timeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, self._deadline.left(timeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        inner = self._inner.start_tls(ssl_context, server_hostname, self._deadline.left(timeout))
        return _DeadlineStream(inner, self._deadline)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class DeadlineBackend(httpcore.NetworkBackend):
    """httpcore's sockets (TCP only), each operation bounded by the time left to
    ``deadline``: what makes a deadline total (httpx's timeouts bound each operation
    alone, so a server trickling a byte at a time never hits them)."""

    def __init__(self, deadline: TimeLeft) -> None:
        self._inner = httpcore.SyncBackend()
        self._deadline = deadline

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        stream = self._inner.connect_tcp(
            host, port, self._deadline.left(timeout), local_address, socket_options
        )
        return _DeadlineStream(stream, self._deadline)

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        raise httpcore.UnsupportedProtocol("only TCP")

    def sleep(self, seconds: float) -> None:
        time.sleep(self._deadline.left(seconds))


def _header(headers: list[tuple[bytes, bytes]], name: bytes) -> str | None:
    for key, value in headers:
        if key.lower() == name:
            return value.decode("latin-1")
    return None


def _too_large(what: str, limit: int) -> MediaTooLargeError:
    return MediaTooLargeError(
        f"the URL's content is {what}; the limit is {limit} bytes",
        hint="raise AMPARO_MEDIA_MAX_BYTES if this is expected",
    )


_T = TypeVar("_T")


@dataclass(frozen=True)
class Probe:
    """What a URL answered (:meth:`UrlFetcher.probe`): the final status and URL, the
    redirects followed, two headers, and the body (cut at ``max_bytes``: ``truncated``)."""

    status: int
    url: str
    redirects: tuple[str, ...]
    content_type: str | None
    retry_after: str | None
    body: bytes
    truncated: bool


@dataclass(frozen=True)
class UrlFetcher:
    """Fetches media by URL within ``max_bytes`` and a total of ``timeout`` seconds (see the
    module docstring). ``allow_private`` (the ``unsafe_allow_private_urls`` setting) lets
    loopback and private addresses through. ``clock`` is what the deadline is measured on
    (a test gives one it controls)."""

    max_bytes: int
    timeout: float
    allow_private: bool = False
    clock: Callable[[], float] = field(default=time.monotonic, repr=False, compare=False)

    def fetch(self, url: str) -> bytes:
        """The body at ``url``, at most ``max_bytes`` long, fetched within ``timeout`` seconds
        all told; :class:`UnsafeURLError`, :class:`MediaTooLargeError` or :class:`FetchError`.
        """

        def body(url: str, response: httpcore.Response, deadline: _Deadline) -> bytes:
            if response.status != 200:
                raise FetchError(f"Failed to fetch URL: HTTP {response.status}")
            return self._body(response, deadline)

        return self._open(url, body, [])

    def probe(self, url: str) -> Probe:
        """What ``url`` answers now, whatever its status (for takedown checks): like
        :meth:`fetch` (same address checks, redirects, total deadline), but a non-200 status
        is an answer, not an error, and a body over ``max_bytes`` is cut there
        (``truncated``) instead of refused."""
        redirects: list[str] = []
        return self._open(url, self._answer(redirects), redirects)

    def post(self, url: str, body: bytes, content_type: str) -> Probe:
        """POST ``body`` to ``url`` (e.g. a notice to a platform's webhook) with the same
        address checks, pinning and total deadline as :meth:`fetch`; redirects are not
        followed (a redirect is the answer). Any status is an answer, as in :meth:`probe`."""
        return self._open(url, self._answer([]), [], post=(body, content_type))

    def _answer(self, redirects: list[str]) -> Callable[[str, httpcore.Response, _Deadline], Probe]:
        def answer(url: str, response: httpcore.Response, deadline: _Deadline) -> Probe:
            body = bytearray()
            truncated = False
            for chunk in response.iter_stream():
                deadline.left()
                body.extend(chunk)
                if len(body) > self.max_bytes:
                    del body[self.max_bytes :]
                    truncated = True
                    break
            return Probe(
                status=response.status,
                url=url,
                redirects=tuple(redirects),
                content_type=_header(response.headers, b"content-type"),
                retry_after=_header(response.headers, b"retry-after"),
                body=bytes(body),
                truncated=truncated,
            )

        return answer

    def _open(
        self,
        url: str,
        handle: Callable[[str, httpcore.Response, _Deadline], _T],
        redirects: list[str],
        *,
        post: tuple[bytes, str] | None = None,
    ) -> _T:
        """GET ``url`` (or POST ``post``'s body of its content type), following redirects
        of a GET (each checked; appended to ``redirects``), and give the final response to
        ``handle``, all within the deadline."""
        deadline = _Deadline(self.timeout, self.clock)
        backend = DeadlineBackend(deadline)
        method = "GET" if post is None else "POST"
        try:
            with httpcore.ConnectionPool(
                ssl_context=tls_context(), network_backend=backend
            ) as pool:
                for _ in range(_MAX_REDIRECTS + 1):
                    addresses = check_url(url, allow_private=self.allow_private, deadline=deadline)
                    target, host, extensions = pinned(url, addresses[0])
                    headers = [("Host", host), ("Accept", "*/*")]
                    if post is not None:
                        headers.append(("Content-Type", post[1]))
                    with pool.stream(
                        method,
                        target,
                        headers=headers,
                        content=None if post is None else post[0],
                        extensions=extensions,
                    ) as response:
                        location = _header(response.headers, b"location")
                        if post is None and response.status in _REDIRECTS and location is not None:
                            url = urljoin(url, location)
                            redirects.append(url)
                            continue
                        return handle(url, response, deadline)
        except DeadlinePassed:
            raise self._timed_out() from None
        except httpcore.TimeoutException:
            raise self._timed_out() from None
        except (httpcore.NetworkError, httpcore.ProtocolError, httpcore.UnsupportedProtocol):
            raise FetchError(
                "Failed to fetch URL: the connection failed or the answer was not valid HTTP",
                hint="check that the URL opens from the public internet",
            ) from None
        raise FetchError(f"Failed to fetch URL: more than {_MAX_REDIRECTS} redirects")

    def _body(self, response: httpcore.Response, deadline: _Deadline) -> bytes:
        limit = self.max_bytes
        declared = _header(response.headers, b"content-length")
        if declared is not None and declared.strip().isdigit() and int(declared) > limit:
            raise _too_large(f"{int(declared)} bytes", limit)
        body = bytearray()
        for chunk in response.iter_stream():
            deadline.left()  # a chunk may come from what an earlier read buffered
            body.extend(chunk)
            if len(body) > limit:
                raise _too_large(f"over {limit} bytes", limit)
        return bytes(body)

    def _timed_out(self) -> FetchError:
        return FetchError(
            f"Failed to fetch URL: it did not arrive within {self.timeout:g} s",
            hint="serve it faster, or raise AMPARO_URL_FETCH_TIMEOUT",
        )
