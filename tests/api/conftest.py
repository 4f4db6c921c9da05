"""Fixtures for the API tests: a client, keys, images and a media server.

Built on tests/conftest.py (``settings``, ``amparo``, ``headers``), so every test here runs on
SQLite and on PostgreSQL.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from fastapi.testclient import TestClient

from amparo.media import synthetic
from amparo.runtime import Amparo


@pytest.fixture
def hma(client: TestClient) -> TestClient:
    """A client of the app, for the HMA-compatible routes."""
    return client


@pytest.fixture
def curator(headers: Callable[[str], dict[str, str]]) -> dict[str, str]:
    return headers("curator")


@pytest.fixture
def scanner(headers: Callable[[str], dict[str, str]]) -> dict[str, str]:
    return headers("scanner")


def _jpeg(seed: int = 1, kind: synthetic.Kind = "photo_like", size: int = 512) -> bytes:
    image = synthetic.make(kind, size, size * 3 // 4, seed=seed)
    return synthetic.encode(image, "JPEG", quality=92)


@pytest.fixture
def jpeg() -> Callable[..., bytes]:
    """``jpeg(seed=1, kind="photo_like", size=512)``: a benign synthetic JPEG."""
    return _jpeg


@pytest.fixture
def flat_png() -> bytes:
    """A one-colour image: its PDQ quality is 0."""
    image = synthetic.make("gradient", 64, 64, seed=1).convert("L").point(lambda _: 128)
    return synthetic.encode(image, "PNG")


@pytest.fixture
def media_server(amparo: Amparo, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., str]]:
    """Serve bytes on 127.0.0.1 and let Amparo fetch them; gives ``serve(path, data, type)``."""
    monkeypatch.setattr(amparo, "fetcher", dataclasses.replace(amparo.fetcher, allow_private=True))
    files: dict[str, tuple[int, str, bytes]] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            status, ctype, body = files.get(self.path, (404, "text/plain", b"not found"))
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    def serve(path: str, data: bytes, ctype: str = "image/jpeg", status: int = 200) -> str:
        files[path] = (status, ctype, data)
        return f"http://127.0.0.1:{server.server_address[1]}{path}"

    yield serve
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)
