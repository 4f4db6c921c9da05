"""C2SP tlog-witness: the witness service and the log gathering cosignatures."""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete

from amparo import ledger
from amparo.api import create_witness_app
from amparo.errors import FetchError
from amparo.ledger import Ledger, Signer, WitnessPeer
from amparo.ledger._checkpoint import Checkpoint
from amparo.ledger._merkle import consistency_proof
from amparo.ledger._note import ALG_COSIGNATURE_V1, open_note, sign_note
from amparo.ledger._tiles import TileNodes
from amparo.ledger._verify import build_tiles
from amparo.ledger._witness_client import add_checkpoint_body
from amparo.runtime import Amparo
from amparo.store import LedgerCheckpointRow, WitnessStore

WITNESS = ledger.generate_signer("witness.test/w1", ALG_COSIGNATURE_V1)


@pytest.fixture
def witness(tmp_path: Path, log_signer: Signer) -> Iterator[TestClient]:
    state = WitnessStore(f"sqlite:///{tmp_path / 'witness.db'}")
    app = create_witness_app(WITNESS, [log_signer.verifier], state)
    with TestClient(app) as client:
        yield client


def _tree(n: int, fork: int = 0) -> tuple[TileNodes, list[bytes]]:
    leaves = [bytes([(i + fork) % 256]) * 32 for i in range(n)]
    tiles = build_tiles(leaves)
    return TileNodes(n, lambda lv, ix, w: tiles[(lv, ix)][: w * 32]), leaves


def _note(signer: Signer, size: int, nodes: TileNodes) -> str:
    from amparo.ledger._merkle import subtree_hash

    root = subtree_hash(nodes, 0, size)
    return sign_note(Checkpoint(signer.name, size, root).text(), [signer])


def _post(client: TestClient, old: int, proof: list[bytes], note: str) -> tuple[int, str, str]:
    r = client.post("/add-checkpoint", content=add_checkpoint_body(old, proof, note).encode())
    return r.status_code, r.text, r.headers.get("content-type", "")


def test_witness_protocol(witness: TestClient, log_signer: Signer) -> None:
    nodes, _ = _tree(1000)
    note10 = _note(log_signer, 10, nodes)
    status, body, _ = _post(witness, 0, [], note10)
    assert status == 200
    text = note10[: note10.rfind("\n\n") + 1]
    _, signed = open_note(text + "\n" + body, [WITNESS.verifier])
    assert isinstance(signed[WITNESS.verifier.vkey], int)  # a cosignature carries its time

    note700 = _note(log_signer, 700, nodes)
    assert _post(witness, 0, [], note700)[:3:2] == (409, "text/x.tlog.size")
    assert _post(witness, 0, [], note700)[1] == "10\n"
    bad = [bytes(32)] * len(consistency_proof(nodes, 10, 700))
    assert _post(witness, 10, bad, note700)[0] == 422
    assert _post(witness, 10, consistency_proof(nodes, 10, 700), note700)[0] == 200
    assert _post(witness, 700, [], note700)[0] == 200  # same tree again: cosigned again
    forked = _note(log_signer, 700, _tree(700, fork=1)[0])
    assert _post(witness, 700, [], forked)[:3:2] == (409, "text/x.tlog.size")
    assert _post(witness, 800, [], note700)[0] == 400  # old larger than the checkpoint


def test_witness_refuses_unknown_logs_and_keys(witness: TestClient, log_signer: Signer) -> None:
    nodes, _ = _tree(5)
    stranger = ledger.generate_signer("elsewhere.test/log")
    assert _post(witness, 0, [], _note(stranger, 5, nodes))[0] == 404
    impostor = ledger.generate_signer(log_signer.name)
    assert _post(witness, 0, [], _note(impostor, 5, nodes))[0] == 403
    assert witness.post("/add-checkpoint", content=b"garbage").status_code == 400


def test_witness_rejects_split_view(witness: TestClient, log_signer: Signer) -> None:
    nodes, leaves = _tree(300)
    assert _post(witness, 0, [], _note(log_signer, 300, nodes))[0] == 200
    leaves[7] = bytes(32)
    tiles = build_tiles(leaves + [bytes(32)] * 10)
    forked = TileNodes(310, lambda lv, ix, w: tiles[(lv, ix)][: w * 32])
    proof = consistency_proof(forked, 300, 310)
    assert _post(witness, 300, proof, _note(log_signer, 310, forked))[0] == 422


def test_log_gathers_cosignatures(
    amparo: Amparo,
    log_signer: Signer,
    witness: TestClient,
    add_entries: Callable[[int], list[int]],
) -> None:
    peer = WitnessPeer.parse(f"http://testserver {WITNESS.verifier.vkey}")
    log = Ledger(amparo.engine, signer=log_signer, witnesses=[peer], http=witness)
    ids = add_entries(20)
    log.integrate()
    log.checkpoint()
    add_entries(300)
    log.integrate()
    note = log.checkpoint()
    assert f"\u2014 {WITNESS.name} " in note
    proof = log.prove(ids[3])
    checked = ledger.check_proof(proof, log_signer.verifier, [WITNESS.verifier])
    assert checked.witnesses == (WITNESS.verifier.vkey,)
    other = ledger.generate_signer("witness.test/w2", ALG_COSIGNATURE_V1)
    with pytest.raises(ledger.LedgerVerificationError, match="lacks a cosignature"):
        ledger.check_proof(proof, log_signer.verifier, [other.verifier])

    # A restarted log that forgot what the witness saw catches up through the 409 answer.
    with amparo.session() as s:
        s.execute(delete(LedgerCheckpointRow))
    add_entries(1)
    log2 = Ledger(amparo.engine, signer=log_signer, witnesses=[peer], http=witness)
    log2.integrate()
    assert f"\u2014 {WITNESS.name} " in log2.checkpoint()


def test_log_withholds_checkpoints_without_quorum(
    amparo: Amparo, log_signer: Signer, witness: TestClient, add_entries: Callable[[int], list[int]]
) -> None:
    wrong = ledger.generate_signer("witness.test/w1", ALG_COSIGNATURE_V1)
    peer = WitnessPeer.parse(f"http://testserver {wrong.verifier.vkey}")
    log = Ledger(amparo.engine, signer=log_signer, witnesses=[peer], http=witness)
    add_entries(2)
    log.integrate()
    with pytest.raises(FetchError, match="0 cosignature"):
        log.checkpoint()
    assert log.latest_note() is None
    relaxed = Ledger(amparo.engine, signer=log_signer, witnesses=[peer], quorum=0, http=witness)
    assert relaxed.checkpoint().count("\u2014 ") == 1


def test_cosignature_format_matches_spec() -> None:
    text = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
    line = WITNESS.signature_line(text, 1679315147)
    raw = base64.b64decode(line.split(" ")[2])
    assert raw[:4] == WITNESS.verifier.key_id
    assert int.from_bytes(raw[4:12], "big") == 1679315147
    assert len(raw) == 4 + 8 + 64
