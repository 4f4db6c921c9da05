"""HMA's /c/banks and /c/bank/{name}: shapes and status codes as in standards/hma-api.md."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

Headers = dict[str, str]


def _create(client: TestClient, h: Headers, name: str = "MY_BANK", **extra: object) -> None:
    r = client.post("/c/banks", json={"name": name, **extra}, headers=h)
    assert r.status_code == 201, r.text


def test_create_and_list(hma: TestClient, curator: Headers) -> None:
    assert hma.get("/c/banks", headers=curator).json() == []
    r = hma.post("/c/banks", json={"name": "MY_TEST_BANK_01"}, headers=curator)
    assert r.status_code == 201
    assert r.json() == {"name": "MY_TEST_BANK_01", "matching_enabled_ratio": 1.0}
    assert hma.get("/c/banks", headers=curator).json() == [r.json()]
    assert hma.get("/c/bank/MY_TEST_BANK_01", headers=curator).json() == r.json()


CREATE_RATIOS: list[tuple[dict[str, object], float]] = [
    ({"enabled_ratio": 0.25}, 0.25),
    ({"enabled": False}, 0.0),
    ({"enabled": True}, 1.0),
    ({"enabled": False, "enabled_ratio": 0.5}, 0.5),
]


def test_create_with_ratio(hma: TestClient, curator: Headers) -> None:
    for n, (body, ratio) in enumerate(CREATE_RATIOS):
        r = hma.post("/c/banks", json={"name": f"B{n}", **body}, headers=curator)
        assert r.status_code == 201 and r.json()["matching_enabled_ratio"] == ratio, body


def test_invalid_names_are_400_and_duplicates_403(hma: TestClient, curator: Headers) -> None:
    for name in ["01_TEST_BANK", "my_test_bank", "A-B", "", "BANK NAME"]:
        r = hma.post("/c/banks", json={"name": name}, headers=curator)
        assert r.status_code == 400, name
        assert r.json()["message"] == "Bank names must be UPPER_WITH_UNDERSCORE"
    _create(hma, curator)
    r = hma.post("/c/banks", json={"name": "MY_BANK"}, headers=curator)
    assert r.status_code == 403 and r.json()["message"] == "Bank already exists"


BAD_BODIES: dict[str, dict[str, object]] = {
    "missing": {"json": {}},
    "int": {"json": {"name": 5}},
    "null": {"json": {"name": None}},
    "form": {
        "content": b"name=X",
        "headers": {"Content-Type": "application/x-www-form-urlencoded"},
    },
    "broken-json": {"content": b"{not json", "headers": {"Content-Type": "application/json"}},
}


def test_bad_create_body_is_422_list(hma: TestClient, curator: Headers) -> None:
    for case, kwargs in BAD_BODIES.items():
        extra = kwargs.get("headers", {})
        assert isinstance(extra, dict)
        body = {k: v for k, v in kwargs.items() if k != "headers"}
        r = hma.post("/c/banks", headers={**curator, **extra}, **body)  # type: ignore[arg-type]
        assert r.status_code == 422, (case, r.text)
        assert isinstance(r.json(), list) and r.json()[0]["msg"]


def test_get_unknown_is_404(hma: TestClient, curator: Headers) -> None:
    r = hma.get("/c/bank/NOPE", headers=curator)
    assert r.status_code == 404 and r.json()["message"] == "bank 'NOPE' not found"


def test_update(hma: TestClient, curator: Headers) -> None:
    _create(hma, curator)
    r = hma.put("/c/bank/MY_BANK", json={"name": "1_invalid"}, headers=curator)
    assert r.status_code == 400
    assert r.json()["message"] == "Bank names must be UPPER_WITH_UNDERSCORE"
    r = hma.put("/c/bank/MY_BANK", json={"name": "RENAMED"}, headers=curator)
    assert r.status_code == 200 and r.json()["name"] == "RENAMED"
    assert hma.get("/c/bank/MY_BANK", headers=curator).status_code == 404
    r = hma.put("/c/bank/RENAMED", json={"enabled": False}, headers=curator)
    assert r.status_code == 200 and r.json()["matching_enabled_ratio"] == 0
    r = hma.put("/c/bank/RENAMED", json={"enabled_ratio": 0.5}, headers=curator)
    assert r.json()["matching_enabled_ratio"] == 0.5
    r = hma.put("/c/bank/RENAMED", json={"enabled": True, "enabled_ratio": 0.3}, headers=curator)
    assert r.json()["matching_enabled_ratio"] == 0.3
    r = hma.put("/c/bank/RENAMED", json={}, headers=curator)
    assert r.status_code == 200
    assert r.json() == {"name": "RENAMED", "matching_enabled_ratio": 0.3}
    assert hma.get("/c/banks", headers=curator).json() == [r.json()]


def test_update_errors(hma: TestClient, curator: Headers) -> None:
    r = hma.put("/c/bank/NOPE", json={"enabled": True}, headers=curator)
    assert r.status_code == 404 and r.json()["message"] == "Bank not found"
    _create(hma, curator, "A")
    _create(hma, curator, "B")
    r = hma.put("/c/bank/A", json={"name": "B"}, headers=curator)
    assert r.status_code == 403 and r.json()["message"] == "Bank name already exists"
    r = hma.put("/c/bank/A", json={"enabled": "maybe"}, headers=curator)
    assert r.status_code == 422 and isinstance(r.json(), list)


def test_delete(hma: TestClient, curator: Headers) -> None:
    _create(hma, curator)
    hma.post("/c/bank/MY_BANK/signal", json={"pdq": "f" * 64}, headers=curator)
    r = hma.delete("/c/bank/MY_BANK", headers=curator)
    assert r.status_code == 200 and r.json() == {"message": "Done"}
    r = hma.delete("/c/bank/MY_BANK", headers=curator)
    assert r.status_code == 200 and r.json() == {"message": "Done"}
    assert hma.get("/c/banks", headers=curator).json() == []
    r = hma.get("/c/signal_type/index", headers=curator)
    assert r.json()["pdq"]["db_size"] == 0


def test_roles(hma: TestClient, headers: Callable[[str], Headers]) -> None:
    assert hma.get("/c/banks").status_code == 401
    assert hma.post("/c/banks", json={"name": "X"}).status_code == 401
    for role in ("scanner", "reviewer", "auditor"):
        assert hma.get("/c/banks", headers=headers(role)).status_code == 200
        r = hma.post("/c/banks", json={"name": "X"}, headers=headers(role))
        assert r.status_code == 403 and r.json()["error"] == "forbidden"
    assert hma.post("/c/banks", json={"name": "X"}, headers=headers("admin")).status_code == 201
