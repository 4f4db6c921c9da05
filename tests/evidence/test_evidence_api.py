"""``/v1/evidence``: metadata, holds, purge and export over HTTP; roles, reasons, bad input,
and no route that answers plaintext media."""

from __future__ import annotations

import io
import tarfile
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pyrage
from fastapi.testclient import TestClient

from amparo.evidence import EvidenceItem, LocalKeyFile
from amparo.runtime import Amparo
from amparo.store import LedgerEntryRow, utcnow

Headers = Callable[[str], dict[str, str]]
DATA = b"benign synthetic checkerboard " * 20


def _preserve(amparo: Amparo, *, days_ago: int = 0, days: int = 365) -> EvidenceItem:
    amparo.vault.clock = lambda: utcnow() - timedelta(days=days_ago)
    with amparo.session() as uow:
        return amparo.vault.preserve(
            uow, DATA, source="scan", scan_id="scan-1", media_type="image/png", retention_days=days
        )


def _error(r: object, status: int, code: str) -> dict[str, str]:
    body: dict[str, str] = r.json()  # type: ignore[attr-defined]
    assert r.status_code == status, body  # type: ignore[attr-defined]
    assert body["error"] == code and body["message"] and body["hint"], body
    return body


def _kinds(amparo: Amparo) -> list[str]:
    with amparo.session() as s:
        return [r.kind for r in s.query(LedgerEntryRow).order_by(LedgerEntryRow.id)]


def test_metadata_holds_and_purge(client: TestClient, amparo: Amparo, headers: Headers) -> None:
    old = _preserve(amparo, days_ago=10, days=5)
    new = _preserve(amparo)
    r = client.get("/v1/evidence", headers=headers("auditor"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert [i["item_id"] for i in body["items"]] == [old.item_id, new.item_id]
    assert body["next_after"] is None and body["items"][0]["sha256"] == old.sha256
    page = client.get("/v1/evidence?limit=1", headers=headers("reviewer")).json()
    assert page["next_after"] == old.item_id
    r = client.get(f"/v1/evidence/{new.item_id}", headers=headers("investigator"))
    assert r.json()["size"] == len(DATA) and r.json()["retain_until"]
    _error(client.get("/v1/evidence", headers=headers("scanner")), 403, "forbidden")

    url = f"/v1/evidence/{old.item_id}/holds"
    r = client.post(url, json={"reason": "subpoena 77"}, headers=headers("investigator"))
    assert r.status_code == 201, r.text
    hold_id = r.json()["hold_id"]
    _error(
        client.post(url, json={"reason": " "}, headers=headers("investigator")),
        400,
        "invalid_input",
    )
    _error(client.post(url, json={"reason": "x"}, headers=headers("reviewer")), 403, "forbidden")

    purge = "/v1/evidence/purge"
    body = _error(
        client.post(purge, json={"item_ids": [old.item_id]}, headers=headers("admin")),
        409,
        "conflict",
    )
    assert "legal hold" in body["message"] and "subpoena 77" in body["message"]
    assert client.post(purge, json={}, headers=headers("admin")).json() == {"purged": []}
    _error(client.post(purge, json={}, headers=headers("investigator")), 403, "forbidden")

    release = f"/v1/evidence/holds/{hold_id}/release"
    _error(
        client.post(release, json={"reason": "x"}, headers=headers("investigator")),
        403,
        "forbidden",
    )
    r = client.post(release, json={"reason": "case closed"}, headers=headers("admin"))
    assert r.status_code == 200 and not r.json()["active"]
    _error(client.post(release, json={"reason": "x"}, headers=headers("admin")), 409, "conflict")
    body = _error(
        client.post(purge, json={"item_ids": [new.item_id]}, headers=headers("admin")),
        409,
        "conflict",
    )
    assert "must be kept until" in body["message"]
    assert client.post(purge, json={}, headers=headers("admin")).json() == {"purged": [old.item_id]}
    kinds = _kinds(amparo)
    for kind in ("evidence.list", "evidence.hold", "evidence.release", "evidence.purge"):
        assert kind in kinds, kind


def test_export_answers_an_age_file(client: TestClient, amparo: Amparo, headers: Headers) -> None:
    item = _preserve(amparo)
    identity = pyrage.x25519.Identity.generate()
    body = {"item_ids": [item.item_id], "recipient": str(identity.to_public()), "reason": "case 1"}
    r = client.post("/v1/evidence/export", json=body, headers=headers("investigator"))
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/octet-stream"
    assert DATA not in r.content
    with tarfile.open(fileobj=io.BytesIO(pyrage.decrypt(r.content, [identity]))) as tar:
        member = tar.extractfile(f"items/{item.item_id}.png")
        assert member is not None and member.read() == DATA
    assert "evidence.export" in _kinds(amparo)
    for role in ("reviewer", "scanner", "auditor"):
        _error(
            client.post("/v1/evidence/export", json=body, headers=headers(role)), 403, "forbidden"
        )
    bad = {**body, "recipient": "age1nope"}
    msg = _error(
        client.post("/v1/evidence/export", json=bad, headers=headers("admin")), 400, "invalid_input"
    )
    assert "recipient" in msg["message"]
    no_reason = {**body, "reason": ""}
    msg = _error(
        client.post("/v1/evidence/export", json=no_reason, headers=headers("admin")),
        400,
        "invalid_input",
    )
    assert "needs a reason" in msg["message"]
    unknown = {**body, "item_ids": ["0190a9f0-0000-7000-8000-000000000000"]}
    _error(
        client.post("/v1/evidence/export", json=unknown, headers=headers("admin")), 404, "not_found"
    )


def test_no_route_answers_media(client: TestClient, amparo: Amparo, headers: Headers) -> None:
    """Every evidence route but the export answers JSON metadata, never the bytes."""
    item = _preserve(amparo)
    spec = client.get("/openapi.json").json()["paths"]
    routes = {p: ops for p, ops in spec.items() if p.startswith("/v1/evidence")}
    assert set(routes) == {
        "/v1/evidence",
        "/v1/evidence/{item_id}",
        "/v1/evidence/{item_id}/holds",
        "/v1/evidence/holds/{hold_id}/release",
        "/v1/evidence/purge",
        "/v1/evidence/export",
    }
    for path in ("/v1/evidence", f"/v1/evidence/{item.item_id}"):
        r = client.get(path, headers=headers("admin"))
        assert r.status_code == 200 and DATA[:40] not in r.content
        assert r.headers["content-type"] == "application/json"
    _error(client.get("/v1/evidence/nope", headers=headers("admin")), 404, "not_found")
    _error(client.get("/v1/evidence?limit=0", headers=headers("admin")), 422, "invalid_input")


def test_a_wrong_key_is_a_clear_503(
    client: TestClient, amparo: Amparo, headers: Headers, tmp_path: Path
) -> None:
    item = _preserve(amparo)
    amparo.vault.keys = LocalKeyFile(tmp_path / "another.key", create=True)
    body = {
        "item_ids": [item.item_id],
        "recipient": str(pyrage.x25519.Identity.generate().to_public()),
        "reason": "case 1",
    }
    r = client.post("/v1/evidence/export", json=body, headers=headers("admin"))
    msg = _error(r, 503, "evidence_key_unavailable")
    assert item.key_id in msg["message"] and "AMPARO_EVIDENCE_KEY_FILE" in msg["hint"]
