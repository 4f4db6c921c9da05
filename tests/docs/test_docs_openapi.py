"""The OpenAPI description says what each route does."""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_every_route_has_a_summary_and_the_scan_shape_is_described(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    missing = [
        f"{method.upper()} {path}"
        for path, item in spec["paths"].items()
        for method, op in item.items()
        if not (op.get("summary") or op.get("description"))
    ]
    assert not missing, f"describe these routes: {missing}"
    scan = spec["paths"]["/v1/scan"]["post"]
    assert scan["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/ScanOut"
    )
    assert "multipart/form-data" in scan["requestBody"]["content"]
    for route in ("/h/hash", "/m/lookup", "/c/banks", "/ledger/checkpoint", "/v1/stamp"):
        assert route in spec["paths"], route
