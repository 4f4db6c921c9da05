"""An HMA client's whole flow against Amparo: only the base URL and a key header change."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from amparo.media import synthetic


def test_hma_client_flow(
    hma: TestClient, headers: Callable[[str], dict[str, str]], jpeg: Callable[..., bytes]
) -> None:
    curator, scanner = headers("curator"), headers("scanner")

    # Liveness needs no key; readiness once the index has loaded.
    assert hma.get("/status/live").text == "I-AM-ALIVE"
    hma.get("/m/lookup", params={"signal_type": "pdq", "signal": "0" * 64}, headers=scanner)
    status = hma.get("/status")
    assert (status.status_code, status.text) == (200, "I-AM-ALIVE")

    # Create a bank, add known content by hash and by upload.
    r = hma.post("/c/banks", json={"name": "KNOWN_TEST_IMAGES"}, headers=curator)
    assert r.status_code == 201
    original = synthetic.make("shapes", 640, 480, seed=11)
    hashed = hma.post(
        "/h/hash",
        files={"photo": ("o.jpg", synthetic.encode(original, "JPEG", quality=92))},
        headers=scanner,
    ).json()
    r = hma.post("/c/bank/KNOWN_TEST_IMAGES/signal", json=hashed, headers=curator)
    assert r.status_code == 200
    by_hash = r.json()["id"]
    r = hma.post(
        "/c/bank/KNOWN_TEST_IMAGES/content", files={"photo": ("u.jpg", jpeg(12))}, headers=curator
    )
    by_upload = r.json()["id"]

    # A re-encoded, resized copy matches at once (no index rebuild to wait for).
    copy = synthetic.encode(synthetic.variant(original, "resize_half"), "JPEG", quality=75)
    copy_pdq = hma.post("/h/hash", files={"photo": ("c.jpg", copy)}, headers=scanner).json()["pdq"]
    r = hma.get("/m/lookup", params={"signal_type": "pdq", "signal": copy_pdq}, headers=scanner)
    assert r.status_code == 200
    ((match,),) = r.json().values()
    assert match["bank_content_id"] == by_hash and int(match["distance"]) <= 31
    r = hma.post("/m/compare", json={"pdq": [hashed["pdq"], copy_pdq]}, headers=scanner)
    assert r.json()["pdq"][0] is True and r.json()["pdq"][1]["distance"] == int(match["distance"])

    # The index reports both items; disabling one hides it from lookups, not raw lookups.
    r = hma.get("/m/index/status", headers=scanner)
    assert r.json()["pdq"]["present"] is True and r.json()["pdq"]["size"] == 2
    hma.put(
        f"/c/bank/KNOWN_TEST_IMAGES/content/{by_upload}",
        json={"disable_until_ts": 0},
        headers=curator,
    )
    upload_pdq = hma.post("/h/hash", files={"photo": ("u.jpg", jpeg(12))}, headers=scanner).json()
    q = {"signal_type": "pdq", "signal": upload_pdq["pdq"]}
    assert hma.get("/m/lookup", params=q, headers=scanner).json() == {}
    assert hma.get("/m/raw_lookup", params=q, headers=scanner).json() == {"matches": [by_upload]}

    # Deleting the bank removes its content from matching.
    assert hma.delete("/c/bank/KNOWN_TEST_IMAGES", headers=curator).json() == {"message": "Done"}
    r = hma.get("/m/lookup", params={"signal_type": "pdq", "signal": copy_pdq}, headers=scanner)
    assert r.json() == {}
    assert hma.get("/m/index/status", headers=scanner).json()["pdq"]["size"] == 0


HMA_ROUTES = {
    "/h/hash": {"get", "post"},
    "/m/lookup": {"get", "post"},
    "/m/raw_lookup": {"get"},
    "/m/index/status": {"get"},
    "/m/compare": {"post"},
    "/c/banks": {"get", "post"},
    "/c/bank/{bank_name}": {"get", "put", "delete"},
    "/c/bank/{bank_name}/content": {"post"},
    "/c/bank/{bank_name}/signal": {"post"},
    "/c/bank/{bank_name}/content/{content_id}": {"get", "put", "delete"},
    "/c/signal_type/index": {"get"},
    "/status": {"get"},
    "/status/live": {"get"},
}


def test_every_hma_route_is_documented(hma: TestClient) -> None:
    paths = hma.get("/openapi.json").json()["paths"]
    for path, methods in HMA_ROUTES.items():
        assert methods <= set(paths.get(path, {})), path
        for method in methods:
            assert paths[path][method]["summary"], (path, method)
