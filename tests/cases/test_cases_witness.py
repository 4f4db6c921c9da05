"""Case archives carry the checkpoint with its witness cosignatures; verification can
require them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pyrage import x25519

from amparo import cases, ledger
from amparo.api import create_witness_app
from amparo.auth import Principal
from amparo.ledger import ALG_COSIGNATURE_V1, Ledger, WitnessPeer
from amparo.runtime import Amparo
from amparo.store import UnitOfWork, WitnessStore
from casefactory import MemorySources

WITNESS = ledger.generate_signer("witness.test/w1", ALG_COSIGNATURE_V1)
OTHER = ledger.generate_signer("witness.test/w2", ALG_COSIGNATURE_V1)
WHO = Principal(key_id=1, name="inv", role="investigator")


class Witnessed:
    """The runtime's units of work with a ledger that has its checkpoints witnessed."""

    def __init__(self, amparo: Amparo, log: Ledger) -> None:
        self.amparo = amparo
        self.ledger = log

    def session(self) -> AbstractContextManager[UnitOfWork]:
        return self.amparo.session()


@pytest.fixture
def witnessed(amparo: Amparo, tmp_path: Path) -> Iterator[Witnessed]:
    signer = amparo.ledger.signer
    assert signer is not None
    state = WitnessStore(f"sqlite:///{tmp_path / 'witness.db'}")
    with TestClient(create_witness_app(WITNESS, [signer.verifier], state)) as client:
        peer = WitnessPeer.parse(f"http://testserver {WITNESS.verifier.vkey}")
        yield Witnessed(amparo, Ledger(amparo.engine, signer=signer, witnesses=[peer], http=client))


def test_cosignatures_travel_and_can_be_required(witnessed: Witnessed, tmp_path: Path) -> None:
    sources = MemorySources(witnessed.amparo, sightings=1, files=1)
    cases.create_case(witnessed, "w", description=None, principal=WHO)
    cases.add_items(witnessed, sources, "w", [cases.parse_item("1")], principal=WHO)
    out = tmp_path / "w.tar"
    identity = x25519.Identity.generate()
    cases.export_case(
        witnessed, sources, "w", recipient=str(identity.to_public()), out=out, principal=WHO
    )
    log_key = witnessed.ledger.verifier
    assert log_key is not None
    good = cases.verify_archive(out, vkey=log_key, witness_vkeys=[WITNESS.verifier])
    assert good.ok and not good.key_from_archive, good.problems
    bad = cases.verify_archive(out, vkey=log_key, witness_vkeys=[OTHER.verifier])
    assert any("lacks a cosignature" in p for p in bad.problems), bad.problems
    stranger = ledger.generate_signer(log_key.name)
    wrong = cases.verify_archive(out, vkey=stranger.verifier)
    assert any("no valid signature from any trusted key" in p for p in wrong.problems)
