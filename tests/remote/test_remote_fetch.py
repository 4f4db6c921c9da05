"""URL fetching: only checked addresses, the request goes to the address that was checked,
and one deadline bounds the whole fetch."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from amparo.errors import FetchError, MediaTooLargeError, UnsafeURLError
from amparo.remote import UrlFetcher, check_url

BODY = b"\x89PNG not really, but bytes are bytes"
TRICKLE_BYTES = 200
seen_hosts: list[str] = []


class FakeClock:
    """A monotonic clock that only moves when the server says so: the tests below measure
    the deadline in the server's steps, never in wall time."""

    def __init__(self) -> None:
        self.now = 1000.0
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self.now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self.now += seconds


clock = FakeClock()


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        seen_hosts.append(self.headers["Host"])
        if self.path == "/redirect":
            self.send_response(302)
            self.send_header("Location", "/body")
            self.end_headers()
            return
        if self.path.startswith("/hop/"):  # each hop "takes" 2 s on the fake clock
            clock.advance(2)
            self.send_response(302)
            self.send_header("Location", f"/hop/{int(self.path.rsplit('/', 1)[1]) + 1}")
            self.end_headers()
            return
        if self.path == "/trickle":  # a byte every "2 s", far more than the deadline allows
            self.send_response(200)
            self.send_header("Content-Length", str(TRICKLE_BYTES))
            self.end_headers()
            self.wfile.flush()
            for _ in range(TRICKLE_BYTES):
                clock.advance(2)
                try:
                    self.wfile.write(b"x")
                    self.wfile.flush()
                except OSError:  # the client gave up, as it should
                    return
            return
        if self.path == "/slow-headers":  # even the status line trickles
            for byte in b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx":
                clock.advance(2)
                try:
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
                except OSError:
                    return
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
        if host.endswith(".invalid"):  # answered here: tests never ask a real resolver
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        if host in mapping:
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (mapping[host], port or 80))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fake)


def test_request_goes_to_the_checked_address(server: int, monkeypatch: pytest.MonkeyPatch) -> None:
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
    with pytest.raises(UnsafeURLError, match="does not resolve to public addresses") as refused:
        check_url("https://innocent.test/a.jpg")
    assert address not in refused.value.message


def test_unresolvable_and_internal_names_get_one_message(monkeypatch: pytest.MonkeyPatch) -> None:
    """Whether an internal name exists is not told: 'does not resolve' and 'resolves to a
    private address' read the same."""
    _resolve_to(monkeypatch, {"db.internal.test": "10.0.0.5"})
    with pytest.raises(UnsafeURLError) as internal:
        check_url("http://db.internal.test/x.jpg")
    with pytest.raises(UnsafeURLError) as missing:
        check_url("http://nothing.internal.invalid/x.jpg")
    texts = [
        e.value.message.replace(url, "URL")
        for e, url in (
            (internal, "http://db.internal.test/x.jpg"),
            (missing, "http://nothing.internal.invalid/x.jpg"),
        )
    ]
    assert texts[0] == texts[1]
    assert internal.value.hint == missing.value.hint and internal.value.status_code == 400


@pytest.mark.parametrize(
    "url",
    [
        "http://[::1/x",  # unclosed bracket
        "http://example.org:99999/x",  # port out of range
        "http://example.org:port/x",
        "http://exa\x00mple.org/x",
        "http:///x",
        "javascript:alert(1)",
        "",
    ],
)
def test_malformed_urls_are_refused_not_crashed_on(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _resolve_to(monkeypatch, {})
    with pytest.raises(UnsafeURLError, match="Invalid or unsafe URL provided"):
        check_url(url)


def test_size_limit_applies_to_urls(server: int) -> None:
    fetcher = UrlFetcher(max_bytes=10, timeout=10, allow_private=True)
    with pytest.raises(MediaTooLargeError, match="limit"):
        fetcher.fetch(f"http://127.0.0.1:{server}/body")


def test_the_deadline_is_total_not_per_read(server: int) -> None:
    """A byte every 2 s never lets a single read time out; the fetch still ends at 3 s."""
    fetcher = UrlFetcher(max_bytes=2**20, timeout=3, allow_private=True, clock=clock)
    with pytest.raises(FetchError, match=r"did not arrive within 3 s"):
        fetcher.fetch(f"http://127.0.0.1:{server}/trickle")


def test_the_deadline_covers_the_headers(server: int) -> None:
    fetcher = UrlFetcher(max_bytes=2**20, timeout=3, allow_private=True, clock=clock)
    with pytest.raises(FetchError, match=r"did not arrive within 3 s"):
        fetcher.fetch(f"http://127.0.0.1:{server}/slow-headers")


def test_the_deadline_covers_every_redirect(server: int) -> None:
    """Each hop is quick on its own; together they pass the deadline."""
    fetcher = UrlFetcher(max_bytes=2**20, timeout=3, allow_private=True, clock=clock)
    with pytest.raises(FetchError, match=r"did not arrive within 3 s"):
        fetcher.fetch(f"http://127.0.0.1:{server}/hop/0")


def test_the_deadline_covers_name_resolution(monkeypatch: pytest.MonkeyPatch) -> None:
    """A resolver that never answers costs the fetch its deadline (here 0.2 s of real
    time), not the resolver's own timeouts; the stuck resolution is let go afterwards."""
    answer = threading.Event()
    real = socket.getaddrinfo

    def hanging(host: str, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host == "slow-dns.test":
            answer.wait(30)  # without the deadline, the fetch would wait with it
            raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", hanging)
    fetcher = UrlFetcher(max_bytes=2**20, timeout=0.2, allow_private=True)
    try:
        with pytest.raises(FetchError, match=r"did not arrive within 0.2 s"):
            fetcher.fetch("http://slow-dns.test/media.jpg")
    finally:
        answer.set()


def test_a_fetch_within_the_deadline_succeeds(server: int) -> None:
    fetcher = UrlFetcher(max_bytes=2**20, timeout=3, allow_private=True, clock=clock)
    assert fetcher.fetch(f"http://127.0.0.1:{server}/redirect") == BODY


def test_a_refused_connection_says_nothing_of_the_socket_error() -> None:
    with socket.socket() as probe:  # a port that was free a moment ago: nothing listens
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    fetcher = UrlFetcher(max_bytes=2**20, timeout=10, allow_private=True)
    with pytest.raises(FetchError) as failed:
        fetcher.fetch(f"http://127.0.0.1:{port}/x")
    assert "Errno" not in failed.value.message and "refused" not in failed.value.message
