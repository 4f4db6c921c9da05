"""The built-in decision effect (ApplyDecision): what a policy asks for happens in the
scan's transaction — media sealed in the vault, report drafts stored — and nothing else."""

from __future__ import annotations

import pytest

from amparo import banks, reporting, review
from amparo.auth import Principal
from amparo.banks import NewEntry
from amparo.media import synthetic
from amparo.policy import ContentMeta
from amparo.runtime import Amparo
from amparo.usecases import activate_policy, scan_media

ADMIN = Principal(0, "test", "admin")

REPORTING = """name = "report-known"

[[rules]]
name = "known"
[rules.when]
matched = true
[rules.then]
block = true
preserve = { days = 30 }
report = [{ kind = "ncmec" }, { kind = "dsa" }]

[[rules]]
name = "default"
[rules.then]
allow = true
"""


def _photo(seed: int) -> bytes:
    return synthetic.encode(synthetic.make("photo_like", 320, 240, seed=seed), "JPEG")


@pytest.fixture
def known(amparo: Amparo) -> bytes:
    image = _photo(5)
    pdq = amparo.hasher.hash(image).pdq
    assert pdq is not None
    with amparo.session() as s:
        banks.create_bank(s, "KNOWN")
        banks.add_entry(s, "KNOWN", NewEntry(signals={"pdq": pdq.hex}, category="A1"))
    return image


def test_a_match_is_sealed_in_the_vault_with_its_scan(amparo: Amparo, known: bytes) -> None:
    result = scan_media(amparo, known, filename="known.jpg")  # the built-in policy preserves
    with amparo.session() as s:
        (item,) = amparo.vault.list_items(s, principal=ADMIN, scan_id=result.scan_id)
        assert amparo.vault.read(s, item.item_id, principal=ADMIN, reason="test") == known
    assert item.source == "scan"
    with amparo.session() as s:  # the built-in policy also sends it to review, with its media
        (queued,) = review.list_items(s, queue="known-material")
    assert (queued.scan_id, queued.evidence_id, queued.priority) == (
        result.scan_id,
        item.item_id,
        1000,
    )


def test_a_clean_scan_leaves_nothing_in_the_vault(amparo: Amparo, known: bytes) -> None:
    result = scan_media(amparo, _photo(6))
    assert result.decision is not None and result.decision.allowed
    with amparo.session() as s:
        assert amparo.vault.list_items(s, principal=ADMIN) == []


def test_report_actions_store_drafts_with_the_callers_metadata(
    amparo: Amparo, known: bytes
) -> None:
    activate_policy(amparo, REPORTING, actor="test", source="test.toml")
    meta = ContentMeta(content_id="post-1", uploader_id="user-9", country="ES")
    result = scan_media(amparo, known, filename="known.jpg", content=meta)
    with amparo.session() as s:
        drafts = reporting.list_drafts(s, scan_id=result.scan_id)
        (item,) = amparo.vault.list_items(s, principal=ADMIN, scan_id=result.scan_id)
    assert [d.kind for d in drafts] == ["ncmec", "dsa"]
    assert {d.rule for d in drafts} == {"known"}
    assert drafts[1].facts["dsa"]["puid"] == "post-1"
    assert drafts[0].facts["ncmec"]["reportedPerson"] == {"espIdentifier": "user-9"}
    assert (item.retain_until - item.created_at).days == 30
