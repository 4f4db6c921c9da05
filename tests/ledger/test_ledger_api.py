"""The public tlog-tiles routes and the auditor-only disclosure routes."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable

from fastapi.testclient import TestClient

from amparo import ledger
from amparo.ledger import Ledger, Signer


def test_tiles_are_public_and_follow_the_layout(
    served: TestClient, log: Ledger, log_signer: Signer, add_entries: Callable[[int], list[int]]
) -> None:
    assert served.get("/ledger/checkpoint").status_code == 404
    add_entries(299)
    log.integrate()
    log.checkpoint()
    r = served.get("/ledger/checkpoint")
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/plain; charset=utf-8"
    assert r.text.startswith(f"{log_signer.name}\n300\n")
    full = served.get("/ledger/tile/0/000")
    assert full.status_code == 200 and len(full.content) == 8192
    assert full.headers["content-type"] == "application/octet-stream"
    assert len(served.get("/ledger/tile/0/001.p/44").content) == 44 * 32
    assert served.get("/ledger/tile/0/001").status_code == 404  # not full yet
    assert served.get("/ledger/tile/0/001.p/45").status_code == 404
    assert len(served.get("/ledger/tile/1/000.p/1").content) == 32
    bundle = served.get("/ledger/tile/entries/000").content
    assert len(bundle) == 256 * 34 and bundle[:2] == b"\x00\x20"
    assert served.get("/ledger/tile/0/x000/001").status_code == 404
    assert served.get("/ledger/tile/../etc").status_code == 404


def test_disclosure_needs_the_auditor_role(
    served: TestClient,
    log: Ledger,
    log_signer: Signer,
    add_entries: Callable[[int], list[int]],
    headers: Callable[[str], dict[str, str]],
) -> None:
    (entry,) = add_entries(1)
    log.integrate()
    log.checkpoint()
    path = f"/v1/ledger/records/{entry}"
    assert served.get(path).status_code == 401
    assert served.get(path, headers=headers("scanner")).status_code == 403
    body = served.get(path, headers=headers("auditor")).json()
    salt = base64.b64decode(body["salt"])
    assert hashlib.sha256(salt + body["record"].encode()).digest() == base64.b64decode(
        body["commitment"]
    )
    bundle = served.get("/ledger/tile/entries/000.p/1").content
    index = body["index"]
    assert bundle[index * 34 + 2 : index * 34 + 34] == base64.b64decode(body["commitment"])
    by_index = served.get(f"/v1/ledger/leaves/{index}", headers=headers("auditor")).json()
    assert by_index == body
    proof = served.get(f"/v1/ledger/proofs/{entry}", headers=headers("auditor"))
    assert ledger.check_proof(proof.text, log_signer.verifier).entry_id == entry
    assert served.get("/v1/ledger/records/999999", headers=headers("auditor")).status_code == 404
