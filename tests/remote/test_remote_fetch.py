"""URL fetching: only checked addresses, and the request goes to the address that was checked."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from amparo.errors import FetchError, MediaTooLargeError, UnsafeURLError
from amparo.remote import UrlFetcher, check_url

BODY = b"\x89PNG not really, but bytes are bytes"
seen_hosts: list[str] = []


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        seen_hosts.append(self.headers["Host"])
        if self.path == "/redirect":
            self.send_response(302)
            self.send_header("Location", "/body")
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(BODY)))
        self.end_headers()
        self.wfile.write(BODY)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[int]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield int(httpd.server_port)
    httpd.shutdown()
    httpd.server_close()


def _resolve_to(monkeypatch: pytest.MonkeyPatch, mapping: dict[str, str]) -> None:
    real = socket.getaddrinfo

    def fake(host: str, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host in mapping:
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (mapping[host], port or 80))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fake)


def test_request_goes_to_the_checked_address(
    server: int, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """'media.test' resolves only through the check: the fetch succeeds only if it connects
    to the checked address instead of resolving the name again (no DNS rebinding)."""
    _resolve_to(monkeypatch, {"media.test": "127.0.0.1"})
    fetcher = UrlFetcher(max_bytes=2**20, timeout=10, allow_private=True)
    seen_hosts.clear()
    assert fetcher.fetch(f"http://media.test:{server}/redirect") == BODY
    assert seen_hosts == [f"media.test:{server}", f"media.test:{server}"]


@pytest.mark.parametrize(
    "address", ["127.0.0.1", "10.1.2.3", "192.168.0.1", "169.254.169.254", "::1", "fc00::1"]
)
def test_names_resolving_to_private_addresses_are_refused(
    monkeypatch: pytest.MonkeyPatch, address: str
) -> None:
    _resolve_to(monkeypatch, {"innocent.test": address})
    with pytest.raises(UnsafeURLError, match="loopback, private or reserved"):
        check_url("https://innocent.test/a.jpg")


def test_unresolvable_name_is_a_fetch_error() -> None:
    with pytest.raises(FetchError, match="cannot resolve"):
        check_url("http://no-such-host.invalid/x.jpg")


def test_size_limit_applies_to_urls(server: int, tmp_path: Path) -> None:
    fetcher = UrlFetcher(max_bytes=10, timeout=10, allow_private=True)
    with pytest.raises(MediaTooLargeError, match="limit"):
        fetcher.fetch(f"http://127.0.0.1:{server}/body")
