from __future__ import annotations

import hashlib
import io
import json
import struct
import threading
import zlib
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from amparo import auth
from amparo.api import create_app
from amparo.config import Settings
from amparo.media import synthetic
from amparo.runtime import Amparo

Headers = Callable[[str], dict[str, str]]


def _jpeg(seed: int = 1, kind: synthetic.Kind = "photo_like") -> bytes:
    return synthetic.encode(synthetic.make(kind, 640, 480, seed=seed), "JPEG", quality=90)


def _png_header(width: int, height: int) -> bytes:
    """A PNG that declares a huge size without the pixels (a decompression bomb)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 64)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def _bank_with(client: TestClient, headers: Headers, data: bytes) -> int:
    assert (
        client.post("/v1/banks", json={"name": "KNOWN"}, headers=headers("curator")).status_code
        == 201
    )
    r = client.post(
        "/v1/banks/KNOWN/media",
        files={"file": ("k.jpg", data)},
        params={"category": "A1", "tags": "generative_ai"},
        headers=headers("curator"),
    )
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def test_scan_finds_a_variant_and_records_a_scan(client: TestClient, headers: Headers) -> None:
    image = synthetic.make("photo_like", 800, 600, seed=7)
    entry_id = _bank_with(client, headers, synthetic.encode(image, "JPEG", quality=92))
    variant = synthetic.encode(synthetic.variant(image, "resize_half"), "JPEG", quality=80)
    r = client.post("/v1/scan", files={"file": ("v.jpg", variant)}, headers=headers("scanner"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["scan_id"] and body["matched"] is True
    (m,) = [m for m in body["matches"] if m["signal_type"] == "pdq"]
    assert m["bank"] == "KNOWN" and m["entry_id"] == entry_id and m["distance"] <= 31
    assert m["category"] == "A1" and m["tags"] == ["generative_ai"]
    assert len(body["signals"]["sha256"]) == 64


def test_rotated_copy_needs_dihedral(client: TestClient, headers: Headers) -> None:
    image = synthetic.make("shapes", 640, 480, seed=3)
    _bank_with(client, headers, synthetic.encode(image, "JPEG", quality=92))
    rotated = synthetic.encode(synthetic.variant(image, "rotate90"), "JPEG", quality=90)
    plain = client.post("/v1/scan", files={"file": ("r.jpg", rotated)}, headers=headers("scanner"))
    assert plain.json()["matched"] is False
    both = client.post(
        "/v1/scan?dihedral=true", files={"file": ("r.jpg", rotated)}, headers=headers("scanner")
    )
    assert both.json()["matched"] is True
    assert both.json()["matches"][0]["variant"] is not None


def test_unrelated_image_does_not_match(client: TestClient, headers: Headers) -> None:
    _bank_with(client, headers, _jpeg(1))
    r = client.post(
        "/v1/scan", files={"file": ("u.jpg", _jpeg(99, "text"))}, headers=headers("scanner")
    )
    assert r.status_code == 200 and r.json()["matches"] == []


def test_new_entry_is_matchable_at_once(client: TestClient, headers: Headers) -> None:
    data = _jpeg(5)
    _bank_with(client, headers, data)
    r = client.post("/v1/scan", files={"file": ("same.jpg", data)}, headers=headers("scanner"))
    types = {m["signal_type"] for m in r.json()["matches"]}
    assert types == {"pdq", "md5", "sha256"}


def test_hash_route_returns_signals_only(client: TestClient, headers: Headers) -> None:
    r = client.post(
        "/v1/hash?dihedral=true", files={"file": ("a.jpg", _jpeg())}, headers=headers("scanner")
    )
    assert r.status_code == 200
    body = r.json()
    assert len(body["pdq"]["hash"]) == 64 and "matches" not in body
    assert len(body["pdq_dihedral"]) == 8


def test_match_route(client: TestClient, headers: Headers) -> None:
    _bank_with(client, headers, _jpeg(2))
    hashed = client.post(
        "/v1/hash", files={"file": ("a.jpg", _jpeg(2))}, headers=headers("scanner")
    ).json()
    r = client.post(
        "/v1/match",
        json={
            "hashes": [
                {"signal_type": "pdq", "value": hashed["pdq"]["hash"].upper()},
                {"signal_type": "md5", "value": "0" * 32},
            ]
        },
        headers=headers("scanner"),
    )
    assert r.status_code == 200
    first, second = r.json()["results"]
    assert first["matched"] and first["matches"][0]["distance"] == 0
    assert not second["matched"]


def test_match_answer_is_the_standard_librarys_json(client: TestClient, headers: Headers) -> None:
    # /v1/match is encoded by pydantic-core for speed: byte for byte what json.dumps writes
    # (compact, UTF-8 unescaped).
    _bank_with(client, headers, _jpeg(2))
    client.patch("/v1/banks/KNOWN", json={"tags": ["niño", "测试"]}, headers=headers("curator"))
    hashed = client.post(
        "/v1/hash", files={"file": ("a.jpg", _jpeg(2))}, headers=headers("scanner")
    ).json()
    hashes = [{"signal_type": "pdq", "value": hashed["pdq"]["hash"]}] + [
        {"signal_type": "md5", "value": f"{n:032x}"} for n in range(50)
    ]
    r = client.post("/v1/match", json={"hashes": hashes}, headers=headers("scanner"))
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/json"
    assert r.json()["results"][0]["matched"]
    expected = json.dumps(r.json(), ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    assert r.content == expected.encode()


def test_batch_scan_reports_errors_per_item(client: TestClient, headers: Headers) -> None:
    r = client.post(
        "/v1/scan/batch",
        files=[("files", ("a.jpg", _jpeg(1))), ("files", ("b.txt", b"hello"))],
        headers=headers("scanner"),
    )
    assert r.status_code == 200
    good, text = r.json()["results"]
    assert good["scan_id"] and good["signals"]["decode_error"] is None
    assert text["scan_id"] and text["signals"]["pdq"] is None  # scanned by its digests
    assert text["signals"]["decode_error"]["code"] == "unsupported_format"


def test_empty_media_gets_a_clear_error(client: TestClient, headers: Headers) -> None:
    r = client.post("/v1/scan", files={"file": ("x", b"")}, headers=headers("scanner"))
    assert r.status_code == 400, r.text
    assert r.json()["error"] == "empty_media" and r.json()["message"] and r.json()["hint"]


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"hello, this is not an image", "unsupported_format"),
        (_jpeg()[:400], "corrupt_media"),
        (_png_header(50_000, 50_000), "media_too_large"),
    ],
    ids=["not-an-image", "truncated-jpeg", "50k-by-50k"],
)
def test_media_without_pixels_is_scanned_by_its_digests(
    client: TestClient, headers: Headers, data: bytes, code: str
) -> None:
    r = client.post("/v1/scan", files={"file": ("x", data)}, headers=headers("scanner"))
    assert r.status_code == 200, r.text
    signals = r.json()["signals"]
    assert signals["sha256"] == hashlib.sha256(data).hexdigest() and signals["pdq"] is None
    error = signals["decode_error"]
    assert error["code"] == code and error["message"] and error["hint"]


def test_two_gigabyte_upload_is_refused_before_reading(
    client: TestClient, headers: Headers
) -> None:
    h = {
        **headers("scanner"),
        "Content-Length": str(2 * 1024**3),
        "Content-Type": "multipart/form-data; boundary=x",
    }
    r = client.post("/v1/scan", content=io.BytesIO(b"--x--\r\n").read(), headers=h)
    assert r.status_code == 413 and r.json()["error"] == "media_too_large"


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/x.jpg",
        "http://10.1.2.3/a.png",
        "http://localhost:8000/",
        "file:///etc/passwd",
        "ftp://example.org/a",
    ],
)
def test_unsafe_urls_are_refused(client: TestClient, headers: Headers, url: str) -> None:
    r = client.post("/v1/scan", json={"url": url}, headers=headers("scanner"))
    assert r.status_code == 400 and r.json()["error"] == "unsafe_url"


def test_malformed_hash_is_refused(client: TestClient, headers: Headers) -> None:
    r = client.post(
        "/v1/match",
        json={"hashes": [{"signal_type": "pdq", "value": "abc"}]},
        headers=headers("scanner"),
    )
    assert r.status_code == 400 and r.json()["error"] == "invalid_signal"
    r = client.post(
        "/v1/match",
        json={"hashes": [{"signal_type": "tlsh", "value": "abc"}]},
        headers=headers("scanner"),
    )
    assert r.status_code == 400 and "tlsh" in r.json()["message"]


def test_metrics_count_scans(client: TestClient, headers: Headers) -> None:
    client.post("/v1/scan", files={"file": ("a.jpg", _jpeg())}, headers=headers("scanner"))
    text = client.get("/metrics", headers=headers("auditor")).text
    assert 'amparo_scans_total{kind="scan"} 1.0' in text
    assert "amparo_request_seconds_bucket" in text and "amparo_index_size" in text


def test_scan_by_url_when_private_addresses_are_allowed(tmp_path: Path, database_url: str) -> None:
    """The URL path end to end, against a local server (allowed only by the unsafe switch)."""
    image = _jpeg(8)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "image/jpeg")
            self.send_header("Content-Length", str(len(image)))
            self.end_headers()
            self.wfile.write(image)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    cfg = Settings(
        data_dir=tmp_path / "d", database_url=database_url, unsafe_allow_private_urls=True
    )
    runtime = Amparo.open(cfg)
    try:
        with runtime.session() as s:
            _, key = auth.create_key(s, name="k", role="scanner")
        with TestClient(create_app(cfg, amparo=runtime)) as c:
            assert runtime.follower.ready.wait(30)  # lookups answer 503 until loaded
            url = f"http://127.0.0.1:{server.server_port}/a.jpg"
            r = c.post("/v1/scan", json={"url": url}, headers={"X-API-Key": key})
            assert r.status_code == 200, r.text
            assert r.json()["signals"]["sha256"] == hashlib.sha256(image).hexdigest()
    finally:
        runtime.close()
        server.shutdown()
        server.server_close()


def test_scan_response_carries_provenance_without_prompts(
    client: TestClient, headers: Headers
) -> None:
    from PIL.PngImagePlugin import PngInfo

    meta = PngInfo()
    meta.add_text("parameters", "a quiet harbour\nSteps: 20, Sampler: Euler a, Model: demo")
    buf = io.BytesIO()
    synthetic.make("shapes", 320, 240, seed=4).save(buf, "PNG", pnginfo=meta)
    r = client.post(
        "/v1/scan", files={"file": ("g.png", buf.getvalue())}, headers=headers("scanner")
    )
    body = r.json()
    assert body["provenance"]["verdict"] == "likely_ai"
    assert "quiet harbour" not in r.text
    off = client.post(
        "/v1/scan?provenance=false",
        files={"file": ("g.png", buf.getvalue())},
        headers=headers("scanner"),
    )
    assert off.json()["provenance"] is None
