"""Every scan is decided: the decision is in the answer, the record and (when it matters) the
ledger, in the scan's transaction; effects run there too, with media only when kept."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from policy_helpers import BLOCK_CHAT, ai_png, ledger_records, photo
from sqlalchemy import event, select

from amparo import banks, review
from amparo.banks import NewEntry
from amparo.config import Settings
from amparo.matching import Query
from amparo.policy import ContentMeta, Decision
from amparo.runtime import Amparo, Runtime
from amparo.scan import ScanRecord, get_scan
from amparo.store import ScanRow, UnitOfWork
from amparo.usecases import activate_policy, match_hashes, scan_media


@dataclass
class Recorder:
    """A decision effect that inserts nothing and remembers each call."""

    calls: list[tuple[str, str, bytes | None, bool]] = field(default_factory=list)
    fail_for: str | None = None

    def apply(
        self, uow: UnitOfWork, record: ScanRecord, decision: Decision, media: bytes | None
    ) -> None:
        if self.fail_for is not None and record.filename == self.fail_for:
            raise RuntimeError("the vault is full")
        self.calls.append((record.scan_id, decision.rule, media, uow.in_transaction()))


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def with_effects(settings: Settings, recorder: Recorder) -> Iterator[Runtime]:
    runtime = Amparo.open(settings, effects=(recorder,))
    yield runtime
    runtime.close()


def _bank_with(amparo: Amparo, data: bytes) -> None:
    pdq = amparo.hasher.hash(data).pdq
    assert pdq is not None
    with amparo.session() as s:
        banks.create_bank(s, "KNOWN")
        banks.add_entry(s, "KNOWN", NewEntry(signals={"pdq": pdq.hex}, category="A1"))


def test_a_match_is_blocked_preserved_and_reviewed_by_default(
    with_effects: Runtime, recorder: Recorder
) -> None:
    image = photo(3)
    _bank_with(with_effects, image)
    result = scan_media(with_effects, image, filename="known.jpg")
    decision = result.decision
    assert decision is not None and decision.rule == "known-material" and decision.blocked
    assert result.to_dict()["decision"] == decision.to_dict()
    # The effect ran inside the scan's transaction, with the media (it is to be preserved).
    assert recorder.calls == [(result.scan_id, "known-material", image, True)]
    with with_effects.session() as s:
        stored = get_scan(s, result.scan_id)
    assert stored.decision == decision.to_dict()
    (event,) = ledger_records(with_effects, "scan.decide")
    assert event["scan_id"] == result.scan_id and event["rule"] == "known-material"
    assert event["policy_sha256"] == decision.policy_sha256 and event["policy_version"] is None
    assert {"kind": "preserve", "params": {"days": 365}} in event["actions"]


def test_a_clean_allowed_scan_keeps_no_media_and_is_only_counted(
    with_effects: Runtime, recorder: Recorder
) -> None:
    result = scan_media(with_effects, photo(4))
    assert result.decision is not None and result.decision.rule == "default"
    ((scan_id, rule, media, _),) = recorder.calls
    assert (scan_id, rule, media) == (result.scan_id, "default", None)  # never media
    assert ledger_records(with_effects, "scan.decide") == []
    with with_effects.session() as s:
        row = s.get(ScanRow, result.scan_id)
        assert row is not None and row.decision is not None and row.decision["rule"] == "default"


def test_review_without_keeping_media_gets_no_media(
    with_effects: Runtime, recorder: Recorder
) -> None:
    text = BLOCK_CHAT.replace("quarantine = true", 'review = { queue = "chat" }')
    activate_policy(with_effects, text, actor="t", source="p")
    result = scan_media(with_effects, photo(5), content=ContentMeta(surface="chat"))
    assert result.decision is not None and result.decision.review is not None
    assert recorder.calls[-1][2] is None
    (event,) = ledger_records(with_effects, "scan.decide")  # a decision that acts: ledgered
    assert event["reason"] == "surface is 'chat' (chat)"


def test_content_metadata_is_decided_on_and_kept(with_effects: Runtime, recorder: Recorder) -> None:
    activate_policy(with_effects, BLOCK_CHAT, actor="t", source="p")
    meta = ContentMeta(content_id="c-1", uploader_id="u-9", surface="chat", country="DE")
    image = photo(6)
    result = scan_media(with_effects, image, content=meta)
    assert result.decision is not None and result.decision.quarantined
    assert recorder.calls[-1][2] == image  # quarantined media goes to the effects
    with with_effects.session() as s:
        stored = get_scan(s, result.scan_id)
    assert stored.content == meta.to_dict()
    assert stored.to_dict()["content"] == meta.to_dict()


def test_ai_media_goes_to_review(amparo: Amparo) -> None:
    result = scan_media(amparo, ai_png())
    assert result.decision is not None and result.decision.rule == "ai-generated"
    assert "provenance verdict is likely_ai" in result.decision.reason


def test_an_effect_that_fails_fails_its_scan_and_commits_nothing(
    with_effects: Runtime, recorder: Recorder
) -> None:
    recorder.fail_for = "bad.jpg"
    with pytest.raises(RuntimeError, match="the vault is full"):
        scan_media(with_effects, photo(7), filename="bad.jpg")
    with with_effects.session() as s:
        assert s.scalars(select(ScanRow)).all() == []


def test_in_a_group_only_the_failing_scan_fails(with_effects: Runtime, recorder: Recorder) -> None:
    # The writer's group commit, driven directly so the three records form one group.
    from concurrent.futures import Future

    from amparo.runtime._scan_writer import _Item

    recorder.fail_for = "bad.jpg"
    allow = scan_media(with_effects, photo(8)).decision
    items = [
        _Item(
            ScanRecord(str(uuid.uuid4()), "upload", name, {}, None, (), None, None,
                       decision=allow),
            Future(),
        )
        for name in ("a.jpg", "bad.jpg", "c.jpg")
    ]  # fmt: skip
    with_effects.scans._commit(items)
    good, bad, other = (i.done for i in items)
    assert good.result() is None and other.result() is None
    assert isinstance(bad.exception(), RuntimeError)
    with with_effects.session() as s:
        ids = set(s.scalars(select(ScanRow.id)))
    assert {items[0].record.scan_id, items[2].record.scan_id} <= ids
    assert items[1].record.scan_id not in ids


def test_a_groups_review_items_are_written_in_one_statement(amparo: Amparo) -> None:
    # A /v1/match of 1,000 hashes with 100 matches is one group of 100 detections: their
    # review items go in one INSERT, their ledger entries in another (on SQLite too, where
    # asking for the rows back in order would make it one statement per row), each item's
    # ledger event naming its own row.
    from concurrent.futures import Future

    from amparo.runtime._scan_writer import _Item

    text = "[[rules]]\nname = 'watch'\nthen.review = { queue = 'all' }\n"
    activate_policy(amparo, text, actor="t", source="p")
    items: list[_Item] = []

    def collect(record: ScanRecord, media: bytes | None = None) -> Future[None]:
        items.append(_Item(record, Future(), media))
        return items[-1].done

    amparo.scans.submit = collect  # type: ignore[method-assign]
    match_hashes(amparo, [Query("md5", f"{n:032x}") for n in range(1, 6)])
    statements: list[str] = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(amparo.engine, "before_cursor_execute", listener)
    try:
        amparo.scans._commit(items)
    finally:
        event.remove(amparo.engine, "before_cursor_execute", listener)
    assert all(i.done.result() is None for i in items)
    assert len([q for q in statements if q.startswith("INSERT INTO review_items")]) == 1
    assert len([q for q in statements if q.startswith("INSERT INTO ledger_entries")]) == 1
    with amparo.session() as s:
        queued = review.list_items(s, queue="all")
    by_scan = {q.scan_id: q.id for q in queued}
    assert set(by_scan) == {i.record.scan_id for i in items}
    events = ledger_records(amparo, "review.enqueue")
    assert {(e["scan_id"], e["item_id"]) for e in events} == set(by_scan.items())


def test_hash_lookups_are_decided_too(amparo: Amparo) -> None:
    image = photo(9)
    _bank_with(amparo, image)
    pdq = amparo.hasher.hash(image).pdq
    assert pdq is not None
    outcome = match_hashes(amparo, [Query("pdq", pdq.hex), Query("md5", "0" * 32)])
    assert outcome.committed is not None
    outcome.committed.result(30)
    matched, clean = outcome.decisions
    assert matched.rule == "known-material" and clean.rule == "default"
    (event,) = ledger_records(amparo, "scan.decide")
    assert event["source"] == "hash"


def test_a_hash_lookup_whose_decision_acts_is_recorded(amparo: Amparo) -> None:
    text = "[[rules]]\nname = 'watch'\nthen.review = { queue = 'all' }\n"
    activate_policy(amparo, text, actor="t", source="p")
    outcome = match_hashes(amparo, [Query("md5", "1" * 32)])
    assert outcome.committed is not None
    outcome.committed.result(30)
    with amparo.session() as s:
        (row,) = s.scalars(select(ScanRow)).all()
    assert row.decision is not None and row.decision["rule"] == "watch"


def test_the_ledger_still_verifies(amparo: Amparo) -> None:
    image = photo(10)
    _bank_with(amparo, image)
    scan_media(amparo, image)
    activate_policy(amparo, BLOCK_CHAT, actor="t", source="p")
    amparo.ledger.round()
    report = amparo.ledger.verify_local()
    assert report.size >= 4
