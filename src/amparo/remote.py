"""Fetching media from a URL, safely.

Only public http(s) addresses are fetched: every address the host name resolves to must be
global (no loopback, private, link-local, multicast or reserved ranges) unless
``unsafe_allow_private_urls`` is set. The request then goes to the checked address itself
(the host name travels in the Host header and as the TLS server name, which the certificate
is verified against), so a second DNS answer cannot point it elsewhere (DNS rebinding).
Redirects are followed by hand and each target is checked the same way; size and time are
limited.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit, urlunsplit

import httpx

from amparo.errors import FetchError, MediaTooLargeError, UnsafeURLError

__all__ = ["UrlFetcher", "check_url"]

_MAX_REDIRECTS = 5


def check_url(url: str, *, allow_private: bool = False) -> list[str]:
    """The IP addresses ``url`` may be fetched from, or :class:`UnsafeURLError`."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UnsafeURLError(
            f"Invalid or unsafe URL provided: {url!r}", hint="give an http:// or https:// URL"
        )
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or None, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise FetchError(f"Failed to fetch URL: cannot resolve {parts.hostname!r}") from exc
    addresses = sorted({str(info[4][0]) for info in infos})
    for addr in addresses:
        ip = ipaddress.ip_address(addr.split("%")[0])
        if not allow_private and not ip.is_global:
            raise UnsafeURLError(
                f"Invalid or unsafe URL provided: {parts.hostname} resolves to {ip}, "
                "a loopback, private or reserved address",
                hint="only public addresses are fetched; for a lab, set "
                "AMPARO_UNSAFE_ALLOW_PRIVATE_URLS=1",
            )
    return addresses


def _pinned(url: str, address: str) -> tuple[str, dict[str, str], dict[str, str]]:
    """``url`` with its host replaced by the checked ``address``, plus the Host header and
    TLS server name that keep the request (and certificate check) about the original host."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    literal = f"[{address}]" if ":" in address else address
    netloc = literal if parts.port is None else f"{literal}:{parts.port}"
    host_header = host if parts.port is None else f"{host}:{parts.port}"
    target = urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))
    extensions = {"sni_hostname": host} if parts.scheme == "https" else {}
    return target, {"Host": host_header}, extensions


@dataclass(frozen=True)
class UrlFetcher:
    """Fetches media by URL within ``max_bytes`` and ``timeout`` seconds. ``allow_private``
    (the ``unsafe_allow_private_urls`` setting) lets loopback and private addresses through."""

    max_bytes: int
    timeout: float
    allow_private: bool = False

    def fetch(self, url: str) -> bytes:
        """The body at ``url``, at most ``max_bytes`` long."""
        limit = self.max_bytes
        with httpx.Client(timeout=self.timeout, follow_redirects=False) as client:
            for _ in range(_MAX_REDIRECTS + 1):
                addresses = check_url(url, allow_private=self.allow_private)
                target, headers, extensions = _pinned(url, addresses[0])
                try:
                    with client.stream(
                        "GET", target, headers=headers, extensions=extensions
                    ) as response:
                        if response.is_redirect:
                            url = urljoin(url, response.headers.get("location", ""))
                            continue
                        if response.status_code != 200:
                            raise FetchError(f"Failed to fetch URL: HTTP {response.status_code}")
                        declared = int(response.headers.get("content-length") or 0)
                        if declared > limit:
                            raise MediaTooLargeError(
                                f"the URL's content is {declared} bytes; the limit is {limit}",
                                hint="raise AMPARO_MEDIA_MAX_BYTES if this is expected",
                            )
                        body = bytearray()
                        for chunk in response.iter_bytes():
                            body.extend(chunk)
                            if len(body) > limit:
                                raise MediaTooLargeError(
                                    f"the URL's content is over the {limit}-byte limit",
                                    hint="raise AMPARO_MEDIA_MAX_BYTES if this is expected",
                                )
                        return bytes(body)
                except httpx.HTTPError as exc:
                    raise FetchError(f"Failed to fetch URL: {exc}") from exc
        raise FetchError(f"Failed to fetch URL: more than {_MAX_REDIRECTS} redirects")
