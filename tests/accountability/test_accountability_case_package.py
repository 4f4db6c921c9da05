"""A sighting in a prosecutor's case package, end to end with the real evidence vault: its
intake seals the fetched bytes in the vault, and the case export carries them encrypted to
the recipient, with the sighting's notice timeline and the ledger proofs behind it."""

from __future__ import annotations

import json
import tarfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pyrage
import pytest
from _acc_helpers import T0
from pyrage import x25519

from amparo import accountability as acc
from amparo import cases
from amparo.accountability import fakes
from amparo.auth import Principal
from amparo.runtime import Amparo

INVESTIGATOR = Principal(key_id=7, name="inv", role="investigator")


@pytest.fixture
def site() -> Iterator[fakes.FakePlatforms]:
    with fakes.FakePlatforms(fakes.SimulatedClock(T0)) as platforms:
        yield platforms


def test_a_sighting_goes_into_a_case_with_its_vaulted_media(
    amparo: Amparo,
    site: fakes.FakePlatforms,
    add_platform: Callable[..., acc.Platform],
    tmp_path: Path,
) -> None:
    site.add_platform("slowtube", "never_removes")
    add_platform("slowtube", hosts=site.hostnames("slowtube"), target=site.webhook_url("slowtube"))
    item = site.post("slowtube", seed=3)
    # The runtime's own sink: the real vault (no test double here).
    sighting = acc.record_sighting(
        amparo,
        amparo.accountability.evidence,
        item.url,
        found_by="hotline",
        platform="slowtube",
        now=T0,
    )
    assert amparo.accountability.notice_round(T0) == 1
    cases.create_case(amparo, "c-1", description="one sighting", principal=INVESTIGATOR)
    sources = cases.sources_for(amparo)
    cases.add_items(
        amparo,
        sources,
        "c-1",
        [cases.parse_item(f"sighting:{sighting.id}")],
        principal=INVESTIGATOR,
    )
    identity = x25519.Identity.generate()
    out = tmp_path / "c-1.tar"
    report = cases.export_case(
        amparo, sources, "c-1", recipient=str(identity.to_public()), out=out, principal=INVESTIGATOR
    )
    assert report.evidence_files == 1
    with tarfile.open(out) as tar:
        files = {m.name.split("/", 1)[1]: tar.extractfile(m).read() for m in tar}  # type: ignore[union-attr]
    (evidence,) = [n for n in files if n.startswith("evidence/")]
    assert pyrage.decrypt(files[evidence], [identity]) == site.image(3)
    timeline = json.dumps(json.loads(files["timeline.json"]))
    assert "slowtube" in files["case.json"].decode() and "notice" in timeline
    assert cases.verify_archive(out, identity=identity).ok
