"""Every RFC 6962/9162 proof vector from transparency-dev/merkle, positive and negative."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from amparo.ledger._merkle import ProofError, verify_consistency, verify_inclusion

# Vendored next to this file, or the shared standards folder beside the repository.
_PLACES = [
    Path(__file__).with_name("merkle-testdata"),
    Path(__file__).resolve().parents[3] / "shared/standards/merkle-testdata",
    Path("/work/shared/standards/merkle-testdata"),
]
DATA = next((p for p in _PLACES if p.is_dir()), _PLACES[0])


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
