from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from amparo import auth
from amparo.api import create_app
from amparo.config import Settings
from amparo.runtime import Amparo

Headers = Callable[[str], dict[str, str]]


def test_health_needs_no_key(client: TestClient) -> None:
    assert client.get("/healthz").json()["status"] == "ok"
    assert client.get("/status/live").text == "I-AM-ALIVE"
    assert client.get("/openapi.json").status_code == 200


@pytest.mark.parametrize(
    ("method", "path"),
    [("get", "/v1/banks"), ("post", "/v1/scan"), ("post", "/v1/match"), ("get", "/metrics")],
)
def test_routes_need_a_key(client: TestClient, method: str, path: str) -> None:
    r = getattr(client, method)(path)
    assert r.status_code == 401
    assert r.json()["error"] == "unauthenticated" and "amparo keys create" in r.json()["hint"]


def test_wrong_key_is_refused(client: TestClient) -> None:
    for key in ("nonsense", "amp_000000000000_secret", ""):
        r = client.get("/v1/banks", headers={"X-API-Key": key})
        assert r.status_code == 401


def test_revoked_key_is_refused(client: TestClient, amparo: Amparo) -> None:
    with amparo.session() as s:
        principal, key = auth.create_key(s, name="tmp", role="curator")
    assert client.get("/v1/banks", headers={"X-API-Key": key}).status_code == 200
    with amparo.session() as s:
        auth.revoke_key(s, principal.key_id)
    assert client.get("/v1/banks", headers={"X-API-Key": key}).status_code == 401


def test_role_is_enforced(client: TestClient, headers: Headers) -> None:
    r = client.post("/v1/banks", json={"name": "X"}, headers=headers("scanner"))
    assert r.status_code == 403 and "curator" in r.json()["message"]
    r = client.post(
        "/v1/match",
        json={"hashes": [{"signal_type": "md5", "value": "0" * 32}]},
        headers=headers("reviewer"),
    )
    assert r.status_code == 403
    assert client.post("/v1/banks", json={"name": "X"}, headers=headers("admin")).status_code == 201


def test_keys_are_stored_hashed(amparo: Amparo) -> None:
    from sqlalchemy import select

    from amparo.store import ApiKeyRow

    with amparo.session() as s:
        _, key = auth.create_key(s, name="k", role="scanner")
        stored = s.scalars(select(ApiKeyRow.key_hash)).one()
    assert key not in stored and len(stored) == 64


def test_unknown_role_is_refused(amparo: Amparo) -> None:
    with amparo.session() as s, pytest.raises(Exception, match="unknown role"):
        auth.create_key(s, name="k", role="god")


def test_key_use_is_recorded_off_the_request_path(settings: Settings, amparo: Amparo) -> None:
    from sqlalchemy import select

    from amparo.store import ApiKeyRow

    with amparo.session() as s:
        _, key = auth.create_key(s, name="used", role="auditor")
    with TestClient(create_app(settings, amparo=amparo)) as c:
        assert c.get("/v1/banks", headers={"X-API-Key": key}).status_code == 200
        with amparo.session() as s:  # not written by the request itself
            assert s.scalar(select(ApiKeyRow.last_used_at)) is None
    # Stopping the runtime (with the app) writes what the keyring remembered.
    with amparo.session() as s:
        assert s.scalar(select(ApiKeyRow.last_used_at)) is not None
