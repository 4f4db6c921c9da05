"""The gate: a key is checked before a byte of the body is read, and bodies are bounded.

These tests drive the ASGI app directly with a body that is produced only as the app asks
for it, so they can tell how much of a body the app consumed.
"""

from __future__ import annotations

import asyncio
import io
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from starlette.datastructures import Headers, UploadFile

from amparo import auth
from amparo.api import _gate, create_app
from amparo.api._gate import JSON_BODY_LIMIT, read_upload
from amparo.config import Settings
from amparo.errors import MediaTooLargeError
from amparo.runtime import Amparo

CHUNK = 64 * 1024
MEDIA_LIMIT = 2**20


class LazyBody:
    """``total`` bytes offered in chunks, each made only when the app receives it."""

    def __init__(self, total: int, head: bytes = b"") -> None:
        self.total = total
        self.head = head
        self.consumed = 0

    async def receive(self) -> dict[str, Any]:
        if self.consumed >= self.total:
            return {"type": "http.disconnect"}
        size = min(CHUNK, self.total - self.consumed)
        chunk = (self.head + b"x" * size)[:size] if self.consumed == 0 else b"x" * size
        self.consumed += size
        return {"type": "http.request", "body": chunk, "more_body": self.consumed < self.total}


def call(
    app: FastAPI, method: str, path: str, headers: dict[str, str], body: LazyBody
) -> tuple[int, dict[str, Any]]:
    """The status and JSON answer of one request."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }
    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(app(scope, body.receive, send))
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    payload = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return status, json.loads(payload)


@pytest.fixture
def app(tmp_path: Path, database_url: str) -> Iterator[tuple[FastAPI, Amparo]]:
    """The app over a runtime with a 1 MiB media limit, and the runtime."""
    settings = Settings(
        data_dir=tmp_path / "data", database_url=database_url, media_max_bytes=MEDIA_LIMIT
    )
    runtime = Amparo.open(settings)
    yield create_app(settings, amparo=runtime), runtime
    runtime.close()


@pytest.fixture
def key(app: tuple[FastAPI, Amparo]) -> str:
    with app[1].session() as s:
        return auth.create_key(s, name="k", role="admin")[1]


MULTIPART = "multipart/form-data; boundary=b0undary"


@pytest.mark.parametrize("declared", [True, False])
def test_a_157_mb_upload_without_a_key_is_401_unread(
    app: tuple[FastAPI, Amparo], declared: bool
) -> None:
    body = LazyBody(157 * 10**6)
    headers = {"content-type": MULTIPART}
    if declared:
        headers["content-length"] = str(body.total)
    status, answer = call(app[0], "POST", "/v1/scan", headers, body)
    assert status == 401 and answer["error"] == "unauthenticated"
    assert body.consumed == 0


def test_malformed_json_without_a_key_is_401_not_422(app: tuple[FastAPI, Amparo]) -> None:
    body = LazyBody(20, head=b'{"hashes": [nonsense')
    status, answer = call(app[0], "POST", "/v1/match", {"content-type": "application/json"}, body)
    assert status == 401 and answer["error"] == "unauthenticated"
    assert body.consumed == 0


def test_oversized_json_is_413_from_its_declared_length(
    app: tuple[FastAPI, Amparo], key: str
) -> None:
    body = LazyBody(JSON_BODY_LIMIT + 1, head=b'{"hashes": [')
    headers = {
        "content-type": "application/json",
        "content-length": str(body.total),
        "x-api-key": key,
    }
    status, answer = call(app[0], "POST", "/v1/match", headers, body)
    assert status == 413 and answer["error"] == "media_too_large"
    assert set(answer) == {"error", "message", "hint"}
    assert body.consumed == 0


def test_oversized_chunked_json_is_413_once_it_passes_the_limit(
    app: tuple[FastAPI, Amparo], key: str
) -> None:
    body = LazyBody(10 * JSON_BODY_LIMIT, head=b'{"hashes": [')
    headers = {"content-type": "application/json", "x-api-key": key}  # no length: chunked
    status, answer = call(app[0], "POST", "/v1/match", headers, body)
    assert status == 413 and answer["error"] == "media_too_large"
    assert body.consumed <= JSON_BODY_LIMIT + CHUNK


def test_oversized_chunked_upload_is_413_once_it_passes_the_limit(
    app: tuple[FastAPI, Amparo], key: str
) -> None:
    head = b'--b0undary\r\nContent-Disposition: form-data; name="file"; filename="a.jpg"\r\n\r\n'
    body = LazyBody(40 * MEDIA_LIMIT, head=head)
    status, answer = call(
        app[0], "POST", "/v1/scan", {"content-type": MULTIPART, "x-api-key": key}, body
    )
    assert status == 413 and answer["error"] == "media_too_large"
    assert body.consumed <= 16 * MEDIA_LIMIT + 2**20 + CHUNK


class _CountingFile(io.BytesIO):
    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.asked: list[int] = []

    def read(self, size: int | None = -1) -> bytes:
        self.asked.append(-1 if size is None else size)
        return super().read(size)


def test_read_upload_refuses_an_upload_over_the_limit_without_reading_it() -> None:
    spooled = _CountingFile(b"x" * 100)
    upload = UploadFile(spooled, size=100, filename="big.jpg", headers=Headers({}))
    with pytest.raises(MediaTooLargeError, match=r"big\.jpg is over the 99-byte limit"):
        asyncio.run(read_upload(upload, 99))
    assert spooled.asked == []


def test_read_upload_of_unknown_size_reads_one_byte_past_the_limit_at_most() -> None:
    spooled = _CountingFile(b"x" * 100)
    upload = UploadFile(spooled, filename="a.jpg", headers=Headers({}))
    with pytest.raises(MediaTooLargeError):
        asyncio.run(read_upload(upload, 10))
    assert spooled.asked == [11]
    exact = UploadFile(_CountingFile(b"x" * 10), size=10, headers=Headers({}))
    assert asyncio.run(read_upload(exact, 10)) == b"x" * 10


class TrickleBody:
    """``parts`` sent ``gap`` seconds apart, then (``stall``) nothing more, ever."""

    def __init__(self, parts: list[bytes], gap: float, *, stall: bool) -> None:
        self.parts = parts
        self.gap = gap
        self.stall = stall
        self.sent = 0

    async def receive(self) -> dict[str, Any]:
        if self.sent:
            await asyncio.sleep(self.gap)
        if self.sent == len(self.parts):
            if self.stall:
                await asyncio.sleep(3600)
            return {"type": "http.disconnect"}
        self.sent += 1
        more = self.stall or self.sent < len(self.parts)
        return {"type": "http.request", "body": self.parts[self.sent - 1], "more_body": more}


def _match_body() -> bytes:
    return json.dumps({"hashes": [{"signal_type": "md5", "value": "0" * 32}]}).encode()


@pytest.fixture
def quick_pace(monkeypatch: pytest.MonkeyPatch) -> None:
    """0.3 s of grace, then 100 bytes a second."""
    monkeypatch.setattr(_gate, "BODY_GRACE_SECONDS", 0.3)
    monkeypatch.setattr(_gate, "BODY_MIN_RATE", 100)


@pytest.mark.usefixtures("quick_pace")
@pytest.mark.parametrize("multipart", [False, True])
def test_a_body_that_stops_coming_is_408(
    app: tuple[FastAPI, Amparo], key: str, multipart: bool
) -> None:
    if multipart:
        head = b'--b0undary\r\nContent-Disposition: form-data; name="file"; filename="a"\r\n\r\n'
        headers = {"content-type": MULTIPART, "content-length": "100000", "x-api-key": key}
        path = "/v1/scan"
    else:
        head = _match_body()[:10]
        headers = {"content-type": "application/json", "content-length": "1000", "x-api-key": key}
        path = "/v1/match"
    body = TrickleBody([head], 0.0, stall=True)
    started = time.monotonic()
    status, answer = call(app[0], "POST", path, headers, body)  # type: ignore[arg-type]
    assert status == 408 and answer["error"] == "body_too_slow", answer
    assert "stopped coming" in answer["message"] and answer["hint"]
    assert time.monotonic() - started < 5


@pytest.mark.usefixtures("quick_pace")
def test_a_slow_body_that_keeps_pace_passes(app: tuple[FastAPI, Amparo], key: str) -> None:
    whole = _match_body()
    parts = [whole[i : i + 20] for i in range(0, len(whole), 20)]  # 200 bytes a second
    headers = {
        "content-type": "application/json",
        "content-length": str(len(whole)),
        "x-api-key": key,
    }
    body = TrickleBody(parts, 0.1, stall=False)
    status, answer = call(app[0], "POST", "/v1/match", headers, body)  # type: ignore[arg-type]
    assert status == 200 and answer["results"][0]["matched"] is False, answer
