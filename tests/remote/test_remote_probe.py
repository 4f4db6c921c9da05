"""``UrlFetcher.probe`` (any status is an answer; bodies cut at the limit) and
``UrlFetcher.post`` (checked, pinned, no redirects followed), on a server on 127.0.0.1."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from amparo.errors import UnsafeURLError
from amparo.remote import UrlFetcher

received: list[tuple[str, str, bytes]] = []


class _Handler(BaseHTTPRequestHandler):
    def _answer(self, status: int, body: bytes, **headers: str) -> None:
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k.replace("_", "-"), v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        if self.path == "/gone":
            self._answer(410, b"gone", Content_Type="text/plain")
        elif self.path == "/moved":
            self._answer(301, b"", Location="/removed-page")
        elif self.path == "/removed-page":
            self._answer(200, b"<html>removed</html>", Content_Type="text/html")
        elif self.path == "/slow-down":
            self._answer(429, b"", Retry_After="120")
        else:
            self._answer(200, b"x" * 1000, Content_Type="image/jpeg")

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        received.append((self.path, self.headers["Content-Type"], body))
        if self.path == "/redirect":
            self._answer(303, b"", Location="/elsewhere")
        else:
            self._answer(202, b'{"ticket": 1}', Content_Type="application/json")

    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture(scope="module")
def base() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


FETCHER = UrlFetcher(max_bytes=100, timeout=5, allow_private=True)


def test_probe_answers_any_status(base: str) -> None:
    gone = FETCHER.probe(base + "/gone")
    assert (gone.status, gone.body, gone.redirects) == (410, b"gone", ())
    moved = FETCHER.probe(base + "/moved")
    assert moved.status == 200 and moved.redirects == (base + "/removed-page",)
    assert moved.url == base + "/removed-page" and moved.content_type == "text/html"
    assert FETCHER.probe(base + "/slow-down").retry_after == "120"
    big = FETCHER.probe(base + "/big")
    assert big.truncated and len(big.body) == 100


def test_post_is_checked_and_not_redirected(base: str) -> None:
    answer = FETCHER.post(base + "/dsa", b'{"a": 1}', "application/json")
    assert answer.status == 202 and answer.body == b'{"ticket": 1}'
    assert received[-1] == ("/dsa", "application/json", b'{"a": 1}')
    redirected = FETCHER.post(base + "/redirect", b"{}", "application/json")
    assert redirected.status == 303 and [r[0] for r in received].count("/elsewhere") == 0
    strict = UrlFetcher(max_bytes=100, timeout=5)
    with pytest.raises(UnsafeURLError):
        strict.post(base + "/dsa", b"{}", "application/json")
    with pytest.raises(UnsafeURLError):
        strict.probe(base + "/gone")
