"""``/v1/review/...`` for machines: roles, claims and decisions, every bad input a clear error
in the one shape. On SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from amparo.runtime import Runtime
from reviewfactory import queue_matched

Headers = Callable[[str], dict[str, str]]


def _shape(body: dict[str, object]) -> None:
    assert set(body) >= {"error", "message", "hint"}


def test_queues_items_claim_decide(client: TestClient, amparo: Runtime, headers: Headers) -> None:
    q = queue_matched(amparo)
    h = headers("reviewer")
    queues = client.get("/v1/review/queues", headers=h).json()["queues"]
    assert queues[0]["queue"] == "csam" and queues[0]["open"] == 1
    items = client.get("/v1/review/items", headers=h).json()["items"]
    assert [i["id"] for i in items] == [q.item_id]
    detail = client.get(f"/v1/review/items/{q.item_id}", headers=h).json()
    assert detail["scan"]["matches"][0]["entry_id"] == q.entry_id
    claimed = client.post(f"/v1/review/items/{q.item_id}/claim", headers=h)
    assert claimed.status_code == 200 and claimed.json()["claimed_by"].startswith(
        "key:test-reviewer#"
    )
    decided = client.post(
        f"/v1/review/items/{q.item_id}/decide",
        headers=h,
        json={"decision": "false_positive", "action": "disable_entry"},
    )
    assert decided.status_code == 200, decided.text
    outcome = decided.json()["outcome"]
    assert outcome["entry_id"] == q.entry_id and "not sent" in outcome["feedback"]
    assert client.get("/v1/review/items", headers=h, params={"status": "decided"}).json()["items"]


def test_two_reviewers_claiming_one_item(
    client: TestClient, amparo: Runtime, headers: Headers
) -> None:
    q = queue_matched(amparo)
    first = client.post(f"/v1/review/items/{q.item_id}/claim", headers=headers("reviewer"))
    assert first.status_code == 200
    second = client.post(f"/v1/review/items/{q.item_id}/claim", headers=headers("admin"))
    assert second.status_code == 409
    body = second.json()
    _shape(body)
    assert body["error"] == "claimed" and "claimed by key:test-reviewer" in body["message"]


def test_deciding_a_decided_item(client: TestClient, amparo: Runtime, headers: Headers) -> None:
    q = queue_matched(amparo)
    h = headers("reviewer")
    client.post(f"/v1/review/items/{q.item_id}/claim", headers=h)
    verdict = {"decision": "confirmed", "category": "B1"}
    assert (
        client.post(f"/v1/review/items/{q.item_id}/decide", headers=h, json=verdict).status_code
        == 200
    )
    again = client.post(f"/v1/review/items/{q.item_id}/decide", headers=h, json=verdict)
    assert again.status_code == 409
    _shape(again.json())
    assert again.json()["error"] == "already_decided"


@pytest.mark.parametrize("role", ["scanner", "curator", "auditor"])
def test_other_roles_are_refused(
    client: TestClient, amparo: Runtime, headers: Headers, role: str
) -> None:
    q = queue_matched(amparo)
    for method, path in (
        ("GET", "/v1/review/queues"),
        ("GET", "/v1/review/items"),
        ("POST", f"/v1/review/items/{q.item_id}/claim"),
    ):
        r = client.request(method, path, headers=headers(role))
        assert r.status_code == 403
        _shape(r.json())


def test_enqueue_is_admin_only(client: TestClient, headers: Headers) -> None:
    body = {"scan_id": "s-1", "queue": "csam", "priority": 3, "sla_seconds": 600, "rule": "r1"}
    assert (
        client.post("/v1/review/items", headers=headers("reviewer"), json=body).status_code == 403
    )
    made = client.post("/v1/review/items", headers=headers("admin"), json=body)
    assert made.status_code == 201 and made.json()["queue"] == "csam"


@pytest.mark.parametrize(
    ("path", "body", "status"),
    [
        ("/v1/review/items/1/decide", {"decision": "maybe"}, 422),
        ("/v1/review/items/1/decide", {"decision": "confirmed", "category": "Z9"}, 422),
        ("/v1/review/items/1/decide", {"decision": "confirmed"}, 400),
        ("/v1/review/items/1/decide", {"decision": "false_positive"}, 400),
        ("/v1/review/items/1/decide", {"decision": "escalate", "category": "A1"}, 400),
        ("/v1/review/items/0/claim", None, 422),
        ("/v1/review/items/99999/claim", None, 404),
        ("/v1/review/items/99999/decide", {"decision": "escalate"}, 404),
    ],
)
def test_bad_input(
    client: TestClient, amparo: Runtime, headers: Headers, path: str, body: object, status: int
) -> None:
    q = queue_matched(amparo)
    h = headers("reviewer")
    client.post(f"/v1/review/items/{q.item_id}/claim", headers=h)
    r = client.post(path.replace("/1/", f"/{q.item_id}/"), headers=h, json=body)
    assert r.status_code == status, r.text
    _shape(r.json())


def test_bad_queue_filter(client: TestClient, headers: Headers) -> None:
    r = client.get("/v1/review/items", headers=headers("reviewer"), params={"queue": "Not A Queue"})
    assert r.status_code == 400
    _shape(r.json())
