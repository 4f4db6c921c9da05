"""The liveness probe answers without a key, so it must say nothing about the data."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

Headers = Callable[[str], dict[str, str]]


def test_healthz_says_nothing_about_the_data(client: TestClient, headers: Headers) -> None:
    empty = client.get("/healthz")
    curator = headers("curator")
    assert client.post("/v1/banks", json={"name": "SOME_BANK"}, headers=curator).status_code == 201
    entry = {"signals": {"md5": "0" * 32}, "note": "n"}
    r = client.post("/v1/banks/SOME_BANK/entries", json=entry, headers=curator)
    assert r.status_code == 201
    full = client.get("/healthz")
    assert empty.status_code == full.status_code == 200
    assert empty.json() == full.json() == {"status": "ok"}
    assert empty.content == full.content
