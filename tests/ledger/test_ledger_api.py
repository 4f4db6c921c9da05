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


def test_a_tiles_client_can_prove_inclusion_from_served_tiles(
    served: TestClient, log: Ledger, log_signer: Signer, add_entries: Callable[[int], list[int]]
) -> None:
    from amparo.ledger._checkpoint import Checkpoint
    from amparo.ledger._merkle import inclusion_proof, leaf_hash, verify_inclusion
    from amparo.ledger._note import open_note
    from amparo.ledger._tiles import TileKey, TileNodes, tile_path

    add_entries(700)
    log.integrate()
    log.checkpoint()
    text, _ = open_note(served.get("/ledger/checkpoint").text, [log_signer.verifier])
    cp = Checkpoint.parse(text)

    def fetch(level: int, index: int, width: int) -> bytes:
        return served.get("/ledger/" + tile_path(TileKey(level, index, width))).content

    nodes = TileNodes(cp.size, fetch)
    for index in (0, 300, cp.size - 1):
        width = min(256, cp.size - index // 256 * 256)
        bundle = fetch(-1, index // 256, width)
        pos = (index % 256) * 34
        leaf = leaf_hash(bundle[pos + 2 : pos + 34])
        verify_inclusion(index, cp.size, leaf, inclusion_proof(nodes, index, cp.size), cp.root)


def test_tallies_add_up_to_all_scans(
    served: TestClient,
    log: Ledger,
    headers: Callable[[str], dict[str, str]],
) -> None:
    from amparo.runtime import Amparo

    runtime: Amparo = served.app.state.amparo  # type: ignore[attr-defined]
    with runtime.session() as s:
        for _ in range(5):
            ledger.count_scans(s, 1)
    log.tally_seconds = 0
    log.integrate()
    with runtime.session() as s:
        ledger.count_scans(s, 1)
    log.integrate()
    assert served.get("/v1/ledger/tallies").status_code == 401
    body = served.get("/v1/ledger/tallies", headers=headers("auditor")).json()
    assert body["total_scans"] == 6
    assert len(body["tallies"]) == 2
