"""HMA's /h/hash: GET ?url= and POST multipart, with HMA's errors (and Amparo's 400s)."""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from amparo.config import MediaLimits
from amparo.runtime import Amparo
from amparo.signals import hash_media

Headers = dict[str, str]


def test_post_photo(hma: TestClient, scanner: Headers, jpeg: Callable[..., bytes]) -> None:
    data = jpeg(5)
    r = hma.post("/h/hash", files={"photo": ("a.jpg", data)}, headers=scanner)
    assert r.status_code == 200
    pdq = hash_media(data, MediaLimits()).pdq
    assert pdq is not None and r.json() == {"pdq": pdq.hex}


def test_post_video_is_the_file_md5(hma: TestClient, scanner: Headers) -> None:
    data = b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 4
    r = hma.post("/h/hash", files={"video": ("v.mp4", data)}, headers=scanner)
    assert r.status_code == 200 and r.json() == {"video_md5": hashlib.md5(data).hexdigest()}


def test_post_types(hma: TestClient, scanner: Headers, jpeg: Callable[..., bytes]) -> None:
    data = jpeg(6)
    r = hma.post("/h/hash?types=pdq,md5,sha256", files={"photo": ("a", data)}, headers=scanner)
    assert set(r.json()) == {"pdq", "md5", "sha256"}
    assert r.json()["sha256"] == hashlib.sha256(data).hexdigest()
    r = hma.post("/h/hash?types=tlsh", files={"photo": ("a", data)}, headers=scanner)
    assert r.status_code == 400 and "'tlsh' doesn't exist" in r.json()["message"]
    r = hma.post("/h/hash?types=,", files={"photo": ("a", data)}, headers=scanner)
    assert r.status_code == 400 and r.json()["message"] == "empty signal type selection"


def test_low_quality_pdq_is_empty(hma: TestClient, scanner: Headers, flat_png: bytes) -> None:
    r = hma.post("/h/hash", files={"photo": ("f.png", flat_png)}, headers=scanner)
    assert r.status_code == 200 and r.json() == {"pdq": ""}


POST_ERRORS: list[tuple[dict[str, object], str]] = [
    ({}, "Missing multipart/form-data file upload"),
    ({"json": {"url": "https://example.org/a.jpg"}}, "Missing multipart/form-data file upload"),
    ({"data": {"photo": "not a file"}}, "Missing multipart/form-data file upload"),
    ({"files": [("photo", ("a", b"1")), ("photo", ("b", b"2"))]}, "Only one file allowed"),
    ({"files": [("photo", ("a", b"1")), ("video", ("b", b"2"))]}, "Only one file allowed"),
    ({"files": {"file": ("a.jpg", b"1")}}, "no such content_type: 'file'"),
    ({"files": {"photo": ("a.txt", b"plain text, not an image")}}, "not an image"),
    ({"files": {"photo": ("a.jpg", b"")}}, "the file is empty"),
]


def test_post_errors(hma: TestClient, scanner: Headers) -> None:
    for kwargs, message in POST_ERRORS:
        r = hma.post("/h/hash", headers=scanner, **kwargs)  # type: ignore[arg-type]
        assert r.status_code == 400, r.text
        assert message in r.json()["message"], (message, r.json())


def test_get_url(
    hma: TestClient,
    scanner: Headers,
    media_server: Callable[..., str],
    jpeg: Callable[..., bytes],
) -> None:
    data = jpeg(7)
    pdq = hash_media(data, MediaLimits()).pdq
    assert pdq is not None
    url = media_server("/a.jpg", data)
    r = hma.get("/h/hash", params={"url": url}, headers=scanner)
    assert r.status_code == 200 and r.json() == {"pdq": pdq.hex}
    r = hma.get("/h/hash", params={"url": url, "types": "md5"}, headers=scanner)
    assert r.json() == {"md5": hashlib.md5(data).hexdigest()}
    r = hma.get("/h/hash", params={"url": url, "content_type": "video"}, headers=scanner)
    assert r.json() == {"video_md5": hashlib.md5(data).hexdigest()}
    video = media_server("/v", b"\x1a\x45\xdf\xa3webm-ish bytes", "application/octet-stream")
    r = hma.get("/h/hash", params={"url": video}, headers=scanner)
    assert list(r.json()) == ["video_md5"]


def test_get_url_errors(
    hma: TestClient,
    scanner: Headers,
    media_server: Callable[..., str],
    jpeg: Callable[..., bytes],
) -> None:
    media_server("/a.jpg", jpeg(1))
    media_server("/page", b"<html>hello</html>", "text/html")
    base = media_server("/x", b"")[: -len("/x")]
    cases: list[tuple[str, dict[str, str], str]] = [
        ("/missing", {}, "Failed to fetch URL: "),
        ("/page", {}, "not an image"),
        ("/a.jpg", {"content_type": "audio"}, "no such content_type: 'audio'"),
        ("/a.jpg", {"types": "video_md5"}, "signal type 'video_md5' doesn't exist"),
    ]
    for path, params, message in cases:
        r = hma.get("/h/hash", params={"url": base + path, **params}, headers=scanner)
        assert r.status_code == 400, r.text
        assert message in r.json()["message"]


def test_get_too_large_is_413(
    hma: TestClient,
    scanner: Headers,
    media_server: Callable[..., str],
    jpeg: Callable[..., bytes],
    amparo: Amparo,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    data = jpeg(2)
    url = media_server("/big.jpg", data)
    monkeypatch.setattr(
        amparo, "fetcher", dataclasses.replace(amparo.fetcher, max_bytes=len(data) - 1)
    )
    r = hma.get("/h/hash", params={"url": url}, headers=scanner)
    assert r.status_code == 413


UNSAFE_URLS = [
    "http://127.0.0.1/x.jpg",
    "http://10.1.2.3/a.png",
    "http://[::1]/a.png",
    "http://169.254.169.254/latest/meta-data",
    "file:///etc/passwd",
    "ftp://example.org/a",
    "not a url",
]


def test_unsafe_urls_are_400(hma: TestClient, scanner: Headers) -> None:
    for url in UNSAFE_URLS:
        r = hma.get("/h/hash", params={"url": url}, headers=scanner)
        assert r.status_code == 400, url
        assert r.json()["message"].startswith("Invalid or unsafe URL provided")


def test_get_needs_url_and_scanner(
    hma: TestClient, headers: Callable[[str], Headers], jpeg: Callable[..., bytes]
) -> None:
    r = hma.get("/h/hash", headers=headers("scanner"))
    assert r.status_code == 422 and r.json()[0]["loc"][-1] == "url"
    assert hma.get("/h/hash?url=http://example.org/").status_code == 401
    r = hma.post("/h/hash", files={"photo": ("a", jpeg())}, headers=headers("curator"))
    assert r.status_code == 403
