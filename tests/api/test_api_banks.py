from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

Headers = Callable[[str], dict[str, str]]
PDQ = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"
NEAR = "f8f8f0cee0f4a84f06370a2a038f63f0b36e26d596621e1d33e6b39c4e9c9b22"


def test_bank_lifecycle(client: TestClient, headers: Headers) -> None:
    cur = headers("curator")
    assert (
        client.post(
            "/v1/banks", json={"name": "NCMEC_TEST", "pdq_threshold": 20}, headers=cur
        ).status_code
        == 201
    )
    dup = client.post("/v1/banks", json={"name": "NCMEC_TEST"}, headers=cur)
    assert dup.status_code == 409 and "already exists" in dup.json()["message"]
    bad = client.post("/v1/banks", json={"name": "lower"}, headers=cur)
    assert bad.status_code == 400 and "UPPER_WITH_UNDERSCORE" in bad.json()["message"]
    r = client.post(
        "/v1/banks/NCMEC_TEST/entries",
        json={
            "signals": {"pdq": PDQ},
            "source": "ncmec",
            "source_id": "n1",
            "category": "B1",
            "tags": ["generative_ai"],
        },
        headers=cur,
    )
    assert r.status_code == 201, r.text
    entry = r.json()
    listed = client.get("/v1/banks", headers=headers("scanner")).json()
    assert listed[0]["entries"] == 1
    found = client.post(
        "/v1/match",
        json={"hashes": [{"signal_type": "pdq", "value": NEAR}]},
        headers=headers("scanner"),
    ).json()["results"][0]
    assert found["matches"][0]["entry_id"] == entry["id"]
    off = client.patch(
        f"/v1/banks/NCMEC_TEST/entries/{entry['id']}", json={"enabled": False}, headers=cur
    )
    assert off.json()["enabled"] is False
    found = client.post(
        "/v1/match",
        json={"hashes": [{"signal_type": "pdq", "value": NEAR}]},
        headers=headers("scanner"),
    ).json()["results"][0]
    assert found["matches"] == []
    assert client.delete(f"/v1/banks/NCMEC_TEST/entries/{entry['id']}", headers=cur).json() == {
        "deleted": True
    }
    assert client.delete("/v1/banks/NCMEC_TEST", headers=cur).json() == {"deleted": True}
    gone = client.get("/v1/banks/NCMEC_TEST", headers=cur)
    assert gone.status_code == 404 and gone.json()["error"] == "not_found"


def test_threshold_is_per_bank(client: TestClient, headers: Headers) -> None:
    cur = headers("curator")
    client.post("/v1/banks", json={"name": "STRICT", "pdq_threshold": 0}, headers=cur)
    client.post("/v1/banks/STRICT/entries", json={"signals": {"pdq": PDQ}}, headers=cur)
    near = client.post(
        "/v1/match",
        json={"hashes": [{"signal_type": "pdq", "value": NEAR}]},
        headers=headers("scanner"),
    ).json()["results"][0]
    exact = client.post(
        "/v1/match",
        json={"hashes": [{"signal_type": "pdq", "value": PDQ}]},
        headers=headers("scanner"),
    ).json()["results"][0]
    assert near["matches"] == [] and exact["matches"][0]["distance"] == 0


def test_import_reports_bad_rows(client: TestClient, headers: Headers) -> None:
    cur = headers("curator")
    client.post("/v1/banks", json={"name": "IMP"}, headers=cur)
    csv = f"signal_type,value\npdq,{PDQ}\npdq,zz\n"
    r = client.post("/v1/banks/IMP/import", files={"file": ("l.csv", csv)}, headers=cur)
    assert r.status_code == 400 and r.json()["rows"] == [
        {"row": 3, "reason": r.json()["rows"][0]["reason"]}
    ]
    r = client.post(
        "/v1/banks/IMP/import?skip_bad_rows=true", files={"file": ("l.csv", csv)}, headers=cur
    )
    assert r.status_code == 200 and r.json()["imported"] == 1 and r.json()["skipped"] == 1
    r = client.post("/v1/banks/NOPE/import", files={"file": ("l.csv", csv)}, headers=cur)
    assert r.status_code == 404


def test_unknown_bank_is_404(client: TestClient, headers: Headers) -> None:
    r = client.post(
        "/v1/banks/NOPE/entries", json={"signals": {"pdq": PDQ}}, headers=headers("curator")
    )
    assert r.status_code == 404 and "amparo bank list" in r.json()["hint"]
