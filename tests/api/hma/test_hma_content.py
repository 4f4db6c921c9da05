"""HMA's bank content routes: /c/bank/{name}/signal, /content and /content/{id}."""

from __future__ import annotations

import json
import time
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

Headers = dict[str, str]
PDQ = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"
MD5 = "d41d8cd98f00b204e9800998ecf8427e"


@pytest.fixture
def bank(hma: TestClient, curator: Headers) -> str:
    assert hma.post("/c/banks", json={"name": "BANK"}, headers=curator).status_code == 201
    return "BANK"


def test_add_signal(hma: TestClient, curator: Headers, bank: str) -> None:
    r = hma.post(f"/c/bank/{bank}/signal", json={"pdq": PDQ}, headers=curator)
    assert r.status_code == 200
    assert r.json() == {"id": r.json()["id"], "signals": {"pdq": PDQ}}
    assert isinstance(r.json()["id"], int)


def test_several_types_make_one_item(hma: TestClient, curator: Headers, bank: str) -> None:
    body = {"pdq": PDQ, "video_md5": MD5.upper(), "note": "from a test"}
    r = hma.post(f"/c/bank/{bank}/signal", json=body, headers=curator)
    assert r.status_code == 200
    assert r.json()["signals"] == {"pdq": PDQ, "video_md5": MD5}
    got = hma.get(f"/c/bank/{bank}/content/{r.json()['id']}?include_signals=true", headers=curator)
    assert got.json()["signals"] == {"pdq": PDQ, "video_md5": MD5}
    assert got.json()["note"] == "from a test"


SIGNAL_ERRORS: list[tuple[object, str]] = [
    ({}, "No signals given"),
    ({"note": "only a note"}, "No signals given"),
    ({"tlsh": "abc"}, "No such signal type tlsh"),
    ({"pdq": "abc"}, "Invalid pdq signal: "),
    ({"pdq": PDQ.upper()}, "Invalid pdq signal: "),
    ({"pdq": 5}, "Invalid pdq signal: "),
    ({"pdq": PDQ, "note": "x" * 256}, "note must be at most 255 characters"),
    ({"pdq": PDQ, "note": 5}, "note should be a string"),
    ([PDQ], "the JSON body must be an object"),
]


def test_add_signal_errors(hma: TestClient, curator: Headers, bank: str) -> None:
    for body, message in SIGNAL_ERRORS:
        r = hma.post(f"/c/bank/{bank}/signal", json=body, headers=curator)
        assert r.status_code == 400, r.text
        assert r.json()["message"].startswith(message), (body, r.json())


def test_add_signal_unknown_bank_first_then_415(hma: TestClient, curator: Headers) -> None:
    r = hma.post("/c/bank/NOPE/signal", content=b"pdq=x", headers=curator)
    assert r.status_code == 404 and r.json()["message"] == "bank 'NOPE' not found"
    hma.post("/c/banks", json={"name": "NOPE"}, headers=curator)
    r = hma.post("/c/bank/NOPE/signal", content=b"pdq=x", headers=curator)
    assert r.status_code == 415 and "application/json" in r.json()["message"]


def test_add_content_upload_with_metadata(
    hma: TestClient, curator: Headers, bank: str, jpeg: Callable[..., bytes]
) -> None:
    meta = {"content_id": "ext-1", "content_uri": "https://example.org/1", "json": {"k": [1]}}
    r = hma.post(
        f"/c/bank/{bank}/content",
        files={"photo": ("a.jpg", jpeg(3))},
        data={"metadata": json.dumps(meta), "note": "uploaded"},
        headers=curator,
    )
    assert r.status_code == 200, r.text
    assert set(r.json()) == {"id", "signals"} and len(r.json()["signals"]["pdq"]) == 64
    content = hma.get(f"/c/bank/{bank}/content/{r.json()['id']}", headers=curator).json()
    assert content == {
        "id": r.json()["id"],
        "disable_until_ts": 1,
        "original_media_uri": None,
        "bank": {"name": bank, "matching_enabled_ratio": 1.0},
        "metadata": {**meta, "collab": None},
        "note": "uploaded",
    }
    bare = hma.get(
        f"/c/bank/{bank}/content/{r.json()['id']}?include_metadata=false", headers=curator
    )
    assert "metadata" not in bare.json() and "signals" not in bare.json()


def test_add_content_by_url_with_json_metadata(
    hma: TestClient,
    curator: Headers,
    bank: str,
    media_server: Callable[..., str],
    jpeg: Callable[..., bytes],
) -> None:
    url = media_server("/a.jpg", jpeg(4))
    r = hma.post(
        f"/c/bank/{bank}/content",
        params={"url": url, "content_type": "photo"},
        json={"metadata": {"content_id": "1197433091", "json": {"asdf": {}}}},
        headers=curator,
    )
    assert r.status_code == 200, r.text
    got = hma.get(f"/c/bank/{bank}/content/{r.json()['id']}", headers=curator).json()
    assert got["metadata"]["content_id"] == "1197433091" and got["metadata"]["json"] == {"asdf": {}}


def test_add_content_errors(hma: TestClient, curator: Headers, bank: str, flat_png: bytes) -> None:
    cases: list[tuple[dict[str, object], str]] = [
        ({}, "Neither `url` nor multipart file upload was received"),
        ({"json": {"metadata": {"invalid_metadata": 5}}}, "Invalid metadata"),
        ({"json": {"metadata": {"content_id": 5}}}, "Invalid metadata"),
        ({"json": {"metadata": [1]}}, "metadata should be a json object"),
        ({"data": {"metadata": "{nope"}}, "metadata form field must be valid JSON"),
        ({"files": {"photo": ("f.png", flat_png)}}, "Invalid pdq signal: "),
        ({"files": {"audio": ("a.jpg", b"abc")}}, "no such content_type: 'audio'"),
        ({"files": {"photo": ("t.txt", b"hello, not an image")}}, "not an image"),
    ]
    for kwargs, message in cases:
        r = hma.post(f"/c/bank/{bank}/content", headers=curator, **kwargs)  # type: ignore[arg-type]
        assert r.status_code == 400, r.text
        assert message in r.json()["message"], (message, r.json())


def test_add_content_unknown_bank(
    hma: TestClient, curator: Headers, jpeg: Callable[..., bytes]
) -> None:
    r = hma.post("/c/bank/NOPE/content", files={"photo": ("a.jpg", jpeg())}, headers=curator)
    assert r.status_code == 404


def _item(hma: TestClient, curator: Headers, bank: str) -> int:
    r = hma.post(f"/c/bank/{bank}/signal", json={"pdq": PDQ}, headers=curator)
    return int(r.json()["id"])


def test_get_content_404s(hma: TestClient, curator: Headers, bank: str) -> None:
    assert hma.get("/c/bank/NOPE/content/1", headers=curator).status_code == 404
    r = hma.get(f"/c/bank/{bank}/content/1", headers=curator)
    assert r.status_code == 404 and r.json()["message"] == "content '1' not found"
    assert hma.get(f"/c/bank/{bank}/content/abc", headers=curator).status_code == 404
    item = _item(hma, curator, bank)
    hma.post("/c/banks", json={"name": "OTHER"}, headers=curator)
    assert hma.get(f"/c/bank/OTHER/content/{item}", headers=curator).status_code == 404


def test_put_content(hma: TestClient, curator: Headers, bank: str) -> None:
    item = _item(hma, curator, bank)
    url = f"/c/bank/{bank}/content/{item}"
    later = int(time.time()) + 365 * 24 * 3600
    r = hma.put(url, json={"disable_until_ts": later, "note": "paused"}, headers=curator)
    assert r.status_code == 200
    assert r.json() == {
        "id": item,
        "disable_until_ts": later,
        "collab_metadata": {},
        "original_media_uri": None,
        "bank": {"name": bank, "matching_enabled_ratio": 1.0},
        "user_metadata": None,
        "note": "paused",
    }
    assert hma.get(url, headers=curator).json()["disable_until_ts"] == later
    r = hma.put(url, json={"disable_until_ts": "0", "note": ""}, headers=curator)
    assert r.json()["disable_until_ts"] == 0 and r.json()["note"] is None
    assert "note" not in hma.get(url, headers=curator).json()
    r = hma.put(url, json={}, headers=curator)
    assert r.status_code == 200 and r.json()["disable_until_ts"] == 0


PUT_ERRORS: list[tuple[dict[str, object], str]] = [
    ({"disable_until_ts": -1}, "disable_until_ts must be a non-negative integer"),
    ({"disable_until_ts": "-5"}, "disable_until_ts must be a non-negative integer"),
    ({"disable_until_ts": 9_999_999_999}, "less than 5 years"),
    ({"disable_until_ts": 1.5}, "Invalid int"),
    ({"disable_until_ts": "soon"}, "Invalid int"),
    ({"disable_until_ts": True}, "Invalid int"),
    ({"disable_until_ts": None}, "Invalid int"),
    ({"note": "x" * 256}, "note must be at most 255 characters"),
]


def test_put_content_errors(hma: TestClient, curator: Headers, bank: str) -> None:
    item = _item(hma, curator, bank)
    for body, message in PUT_ERRORS:
        r = hma.put(f"/c/bank/{bank}/content/{item}", json=body, headers=curator)
        assert r.status_code == 400 and message in r.json()["message"], (body, r.json())
    r = hma.put(f"/c/bank/{bank}/content/{item}", json=[1], headers=curator)
    assert r.status_code == 400


def test_put_content_404_and_415(hma: TestClient, curator: Headers, bank: str) -> None:
    r = hma.put("/c/bank/NOPE/content/1", json={}, headers=curator)
    assert r.status_code == 404
    r = hma.put(f"/c/bank/{bank}/content/99", json={}, headers=curator)
    assert r.status_code == 404
    item = _item(hma, curator, bank)
    r = hma.put(f"/c/bank/{bank}/content/{item}", content=b"x", headers=curator)
    assert r.status_code == 415


def test_delete_content(hma: TestClient, curator: Headers, bank: str) -> None:
    item = _item(hma, curator, bank)
    r = hma.delete(f"/c/bank/{bank}/content/{item}", headers=curator)
    assert r.status_code == 200 and r.json() == {"deleted": 1}
    r = hma.delete(f"/c/bank/{bank}/content/{item}", headers=curator)
    assert r.status_code == 200 and r.json() == {"deleted": 0}
    assert hma.delete("/c/bank/NOPE/content/1", headers=curator).status_code == 404


def test_content_roles(hma: TestClient, headers: Callable[[str], Headers], bank: str) -> None:
    curator = headers("curator")
    item = _item(hma, curator, bank)
    for role in ("scanner", "reviewer", "auditor"):
        h = headers(role)
        assert hma.get(f"/c/bank/{bank}/content/{item}", headers=h).status_code == 200
        assert hma.post(f"/c/bank/{bank}/signal", json={"pdq": PDQ}, headers=h).status_code == 403
        assert hma.put(f"/c/bank/{bank}/content/{item}", json={}, headers=h).status_code == 403
        assert hma.delete(f"/c/bank/{bank}/content/{item}", headers=h).status_code == 403
