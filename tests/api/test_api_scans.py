"""``GET /v1/scans`` and ``/v1/scans/{id}``: auditors read scan records, filtered and paged."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from amparo import auth
from amparo.runtime import Amparo

MD5 = "d41d8cd98f00b204e9800998ecf8427e"


def _key(amparo: Amparo, role: str) -> tuple[int, dict[str, str]]:
    with amparo.session() as s:
        principal, plaintext = auth.create_key(s, name=f"scans-{role}", role=role)
    return principal.key_id, {"Authorization": f"Bearer {plaintext}"}


@pytest.fixture
def scans(
    client: TestClient, amparo: Amparo, jpeg: Callable[..., bytes]
) -> tuple[dict[str, str], int, list[str]]:
    """Three scans: an upload that matched, an upload that did not, a matched hash lookup.
    Returns auditor headers, the scanner's key id and the scan ids in order."""
    _, curator = _key(amparo, "curator")
    scanner_id, scanner = _key(amparo, "scanner")
    _, auditor = _key(amparo, "auditor")
    assert client.post("/v1/banks", json={"name": "KNOWN"}, headers=curator).status_code == 201
    known = jpeg(seed=1)
    r = client.post("/v1/banks/KNOWN/media", files={"file": ("k.jpg", known)}, headers=curator)
    assert r.status_code == 201, r.text
    r = client.post("/v1/banks/KNOWN/entries", json={"signals": {"md5": MD5}}, headers=curator)
    assert r.status_code == 201, r.text
    ids = [
        client.post("/v1/scan", files={"file": ("a.jpg", known)}, headers=scanner).json()[
            "scan_id"
        ],
        client.post("/v1/scan", files={"file": ("b.jpg", jpeg(seed=7))}, headers=scanner).json()[
            "scan_id"
        ],
    ]
    r = client.post(
        "/v1/match", json={"hashes": [{"signal_type": "md5", "value": MD5}]}, headers=scanner
    )
    assert r.status_code == 200 and r.json()["results"][0]["matched"]
    listed = client.get("/v1/scans", headers=auditor).json()["scans"]
    assert [s["scan_id"] for s in listed][:2] == ids
    ids.append(listed[2]["scan_id"])
    return auditor, scanner_id, ids


def test_one_scan_record(client: TestClient, scans: tuple[dict[str, str], int, list[str]]) -> None:
    auditor, scanner_id, ids = scans
    r = client.get(f"/v1/scans/{ids[0]}", headers=auditor)
    assert r.status_code == 200, r.text
    record = r.json()
    assert record["matched"] is True and record["matches"][0]["bank"] == "KNOWN"
    assert record["source"] == "upload" and record["filename"] == "a.jpg"
    assert record["key_id"] == scanner_id and set(record["hashes"]) == {"md5", "sha256", "pdq"}
    assert record["provenance"]["verdict"] == "no_ai_signal"
    missing = client.get("/v1/scans/no-such-scan", headers=auditor)
    assert missing.status_code == 404 and missing.json()["error"] == "not_found"


def test_filters(client: TestClient, scans: tuple[dict[str, str], int, list[str]]) -> None:
    auditor, scanner_id, ids = scans

    def listed(**params: object) -> list[str]:
        r = client.get("/v1/scans", params=params, headers=auditor)
        assert r.status_code == 200, r.text
        return [s["scan_id"] for s in r.json()["scans"]]

    assert listed(matched="true") == [ids[0], ids[2]]
    assert listed(matched="false") == [ids[1]]
    assert listed(source="hash") == [ids[2]]
    assert listed(source="upload", matched="true") == [ids[0]]
    assert listed(key_id=scanner_id) == ids
    assert listed(key_id=scanner_id + 1000) == []
    first = client.get(f"/v1/scans/{ids[0]}", headers=auditor).json()["created_at"]
    start = datetime.fromisoformat(first)
    assert listed(since=start.isoformat()) == ids
    assert listed(until=start.isoformat()) == []
    hour = timedelta(hours=1)
    assert listed(since=(start - hour).isoformat(), until=(start + hour).isoformat()) == ids
    naive_later = (start + hour).replace(tzinfo=None).isoformat()
    assert listed(since=naive_later) == []  # naive times are UTC


def test_pages(client: TestClient, scans: tuple[dict[str, str], int, list[str]]) -> None:
    auditor, _, ids = scans
    seen: list[str] = []
    after: str | None = None
    while True:
        params: dict[str, object] = {"limit": 2} | ({"after": after} if after else {})
        page = client.get("/v1/scans", params=params, headers=auditor).json()
        seen += [s["scan_id"] for s in page["scans"]]
        after = page["next_after"]
        if after is None:
            break
    assert seen == ids


@pytest.mark.parametrize(
    ("params", "status", "says"),
    [
        ({"limit": 0}, 422, "limit"),
        ({"limit": 1001}, 422, "limit"),
        ({"key_id": 0}, 422, "key_id"),
        ({"since": "yesterday"}, 422, "since"),
        ({"matched": "maybe"}, 422, "matched"),
        ({"source": "x" * 17}, 422, "source"),
        ({"after": "not-a-scan"}, 400, "not a scan id"),
        ({"since": "2026-02-01T00:00:00", "until": "2026-01-01T00:00:00"}, 400, "before until"),
    ],
)
def test_bad_queries_get_clear_errors(
    client: TestClient,
    scans: tuple[dict[str, str], int, list[str]],
    params: dict[str, object],
    status: int,
    says: str,
) -> None:
    auditor, _, _ = scans
    r = client.get("/v1/scans", params=params, headers=auditor)
    assert r.status_code == status and says in r.json()["message"], r.text


def test_only_auditors_and_admins(client: TestClient, amparo: Amparo) -> None:
    for role, status in (("scanner", 403), ("curator", 403), ("auditor", 200), ("admin", 200)):
        _, key = _key(amparo, role)
        assert client.get("/v1/scans", headers=key).status_code == status, role
    assert client.get("/v1/scans").status_code == 401
