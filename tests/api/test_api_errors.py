"""One error shape everywhere: every error answers ``{"error", "message", "hint"}`` — the
framework's own (404, 405, 400, 422, 500) included; HMA's routes keep HMA's shapes."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.exc import OperationalError

from amparo import banks
from amparo.api import create_app
from amparo.config import Settings
from amparo.runtime import Amparo

Headers = Callable[[str], dict[str, str]]


def _shaped(r: httpx.Response, status: int, code: str) -> dict[str, object]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert body["error"] == code, body
    assert isinstance(body["message"], str) and body["message"]
    assert isinstance(body["hint"], str) and body["hint"]
    return dict(body)


def test_an_unknown_route_is_404(client: TestClient, headers: Headers) -> None:
    body = _shaped(client.get("/v1/nothing-here", headers=headers("admin")), 404, "not_found")
    assert body["message"] == "nothing at /v1/nothing-here"


def test_a_wrong_method_is_405_with_allow(client: TestClient, headers: Headers) -> None:
    r = client.put("/v1/match", headers=headers("admin"))
    body = _shaped(r, 405, "method_not_allowed")
    assert body["message"] == "PUT is not allowed on /v1/match"
    assert r.headers["allow"] == "POST"


def test_request_validation_is_422(client: TestClient, headers: Headers) -> None:
    r = client.post("/v1/match", json={"hashes": []}, headers=headers("admin"))
    body = _shaped(r, 422, "invalid_input")
    assert "hashes" in str(body["message"]) and body["errors"]
    r = client.get("/v1/banks/X/entries?limit=many", headers=headers("admin"))
    assert "query.limit" in str(_shaped(r, 422, "invalid_input")["message"])


def test_json_that_does_not_parse_is_422(client: TestClient, headers: Headers) -> None:
    r = client.post(
        "/v1/match",
        content=b'{"hashes": [',
        headers={**headers("admin"), "content-type": "application/json"},
    )
    assert "JSON" in str(_shaped(r, 422, "invalid_input")["message"])


def test_a_form_that_does_not_parse_is_400(client: TestClient, headers: Headers) -> None:
    r = client.post(
        "/v1/provenance",
        content=b"--b\r\nnot a part header\r\n\r\nx\r\n--b--\r\n",
        headers={**headers("admin"), "content-type": "multipart/form-data; boundary=b"},
    )
    _shaped(r, 400, "invalid_input")


def test_a_body_over_the_limit_is_413(client: TestClient, headers: Headers) -> None:
    r = client.post(
        "/v1/match",
        content=b"[" + b" " * (4 * 2**20),
        headers={**headers("admin"), "content-type": "application/json"},
    )
    _shaped(r, 413, "media_too_large")


def test_no_key_is_401(client: TestClient) -> None:
    r = client.get("/v1/banks")
    _shaped(r, 401, "unauthenticated")
    assert r.headers["www-authenticate"] == "Bearer"


def test_an_unforeseen_failure_is_500_without_details(
    settings: Settings, amparo: Amparo, headers: Headers, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = headers("admin")

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(banks, "list_banks", broken)
    with TestClient(create_app(settings, amparo=amparo), raise_server_exceptions=False) as c:
        r = c.get("/v1/banks", headers=key)
    body = _shaped(r, 500, "internal_error")
    assert "secret" not in r.text and "RuntimeError" not in r.text
    assert "log" in str(body["hint"])


def test_a_database_that_went_away_is_503_to_try_again(
    settings: Settings, amparo: Amparo, headers: Headers, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = headers("admin")

    def lost(*args: object, **kwargs: object) -> None:
        raise OperationalError("SELECT", {}, Exception("server closed the connection"))

    monkeypatch.setattr(banks, "list_banks", lost)
    with TestClient(create_app(settings, amparo=amparo), raise_server_exceptions=False) as c:
        r = c.get("/v1/banks", headers=key)
    _shaped(r, 503, "database_unavailable")
    assert r.headers["retry-after"] == "1" and "SELECT" not in r.text


def test_stamping_unconfigured_is_501(
    client: TestClient, headers: Headers, jpeg: Callable[..., bytes]
) -> None:
    r = client.post(
        "/v1/stamp",
        files={"file": ("a.jpg", jpeg(1))},
        data={"generator": "Test Generator"},
        headers=headers("admin"),
    )
    body = _shaped(r, 501, "not_configured")
    assert "AMPARO_PROVENANCE_SIGNING_CERT" in str(body["hint"])


def test_an_error_without_a_hint_gets_one(client: TestClient, headers: Headers) -> None:
    r = client.post("/v1/scan/batch", json={"urls": ["http://x/"] * 17}, headers=headers("scanner"))
    assert _shaped(r, 400, "invalid_input")["message"] == "at most 16 URLs per request"


def test_readyz_not_ready_is_503_in_the_shape(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def down(engine: object) -> None:
        raise OSError("connection refused")

    monkeypatch.setattr("amparo.api._ops.ping", down)
    body = _shaped(client.get("/readyz"), 503, "unavailable")
    assert body["status"] == "database_unavailable"


def test_hma_keeps_its_shapes(client: TestClient, headers: Headers) -> None:
    curator = headers("curator")
    r = client.post("/c/banks", json={}, headers=curator)
    assert r.status_code == 422 and isinstance(r.json(), list)  # HMA: a bare list
    r = client.post("/c/banks", json={"name": "lower"}, headers=curator)
    assert r.status_code == 400
    assert r.json()["message"] == "Bank names must be UPPER_WITH_UNDERSCORE"
    r = client.get("/c/bank/NOPE", headers=curator)
    assert r.status_code == 404 and r.json()["message"] == "bank 'NOPE' not found"


def test_a_batch_reports_a_refused_url_and_scans_the_others(
    client: TestClient,
    headers: Headers,
    media_server: Callable[..., str],
    jpeg: Callable[..., bytes],
) -> None:
    good = media_server("/a.jpg", jpeg(4))
    missing = good.replace("/a.jpg", "/missing.jpg")
    urls = ["file:///etc/passwd", good, "http://[::1/x", missing]
    r = client.post("/v1/scan/batch", json={"urls": urls}, headers=headers("scanner"))
    assert r.status_code == 200, r.text
    refused, scanned, malformed, unreachable = r.json()["results"]
    assert [x["input"] for x in r.json()["results"]] == urls
    assert refused["status"] == 400 and refused["error"] == "unsafe_url" and refused["hint"]
    assert scanned["scan_id"] and "error" not in scanned
    assert malformed["error"] == "unsafe_url"
    assert unreachable["status"] == 502 and unreachable["error"] == "fetch_failed"


def test_a_batch_reports_a_file_over_the_limit_and_scans_the_others(
    client: TestClient,
    headers: Headers,
    amparo: Amparo,
    jpeg: Callable[..., bytes],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    small, large = jpeg(1, size=128), jpeg(2, size=512)
    assert len(small) < len(large)
    monkeypatch.setattr(
        amparo.settings, "media_max_bytes", (len(small) + len(large)) // 2, raising=True
    )
    r = client.post(
        "/v1/scan/batch",
        files=[("files", ("big.jpg", large)), ("files", ("small.jpg", small))],
        headers=headers("scanner"),
    )
    assert r.status_code == 200, r.text
    big, fine = r.json()["results"]
    assert big["status"] == 413 and big["error"] == "media_too_large"
    assert fine["scan_id"]
