"""Every RFC 6962/9162 proof vector from transparency-dev/merkle, positive and negative."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from amparo.ledger._merkle import ProofError, verify_consistency, verify_inclusion

# Vendored from transparency-dev/merkle (Apache-2.0, LICENSE beside the data), a copy of
# shared/standards/merkle-testdata, so the suite runs on a fresh machine.
DATA = Path(__file__).with_name("merkle-testdata")


def _b64(value: str | None) -> bytes:
    return base64.b64decode(value) if value else b""


def _vectors(kind: str) -> list[Path]:
    return sorted((DATA / kind).rglob("*.json"))


def _id(path: Path) -> str:
    return str(path.relative_to(DATA))


@pytest.mark.parametrize("path", _vectors("inclusion"), ids=_id)
def test_inclusion_vector(path: Path) -> None:
    v = json.loads(path.read_text())
    proof = [_b64(p) for p in v["proof"] or []]

    def check() -> None:
        verify_inclusion(v["leafIdx"], v["treeSize"], _b64(v["leafHash"]), proof, _b64(v["root"]))

    if v["wantErr"]:
        with pytest.raises(ProofError):
            check()
    else:
        check()


@pytest.mark.parametrize("path", _vectors("consistency"), ids=_id)
def test_consistency_vector(path: Path) -> None:
    v = json.loads(path.read_text())
    proof = [_b64(p) for p in v["proof"] or []]

    def check() -> None:
        verify_consistency(v["size1"], v["size2"], proof, _b64(v["root1"]), _b64(v["root2"]))

    if v["wantErr"]:
        with pytest.raises(ProofError):
            check()
    else:
        check()


def test_all_vectors_are_found() -> None:
    """Missing vectors must fail, not skip: passing them all is a requirement."""
    assert len(_vectors("inclusion")) + len(_vectors("consistency")) == 196
