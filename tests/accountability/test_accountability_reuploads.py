"""Re-uploads: scans and sightings matching an item already noticed are linked, with the
platform and the delay; ``link_reuploads`` is what the scan writer calls."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from typing import Any

import pytest
from _acc_helpers import T0, FakePlatform, Route, jpeg
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import event, insert, select, text
from test_accountability_monitor import _reencoded

from amparo import accountability as acc
from amparo.accountability import _repo, _reuploads
from amparo.runtime import Amparo
from amparo.scan import ScanRecord, new_scan_id
from amparo.store import PlatformRow, SightingRow

HOUR = dt.timedelta(hours=1)


def _scan(amparo: Amparo, data: bytes, *, source: str = "upload", url: str | None = None,
          at: dt.datetime = T0 + 48 * HOUR) -> ScanRecord:  # fmt: skip
    signals = amparo.hasher.hash(data)
    hashes = {"md5": signals.md5, "sha256": signals.sha256}
    if signals.pdq is not None:
        hashes["pdq"] = signals.pdq.hex
    return ScanRecord(new_scan_id(), source, url, hashes, None, (), None, None, created_at=at)


def test_scans_link_to_noticed_items(
    amparo: Amparo,
    fake: FakePlatform,
    add_platform: Callable[..., acc.Platform],
    sight: Callable[..., acc.Sighting],
) -> None:
    add_platform(target=fake.url("/dsa"))
    other = add_platform("othertube", hosts=("othertube.example",), target=fake.url("/o"))
    original = sight(fake.serve("/p/1.jpg", Route(body=jpeg(1))))
    with amparo.session() as uow:  # not noticed yet: no link
        assert acc.link_reuploads(uow, _scan(amparo, jpeg(1))) == []
    amparo.accountability.notice_round(T0)
    fake.routes.pop("/p/1.jpg")
    amparo.accountability.check_round(T0 + 10 * HOUR)  # removed at T0 + 10 h
    with amparo.session() as uow:
        exact = acc.link_reuploads(uow, _scan(amparo, jpeg(1)))
        near = acc.link_reuploads(
            uow,
            _scan(amparo, _reencoded(jpeg(1)), source="url",
                  url="https://cdn.othertube.example/x.jpg"),
        )  # fmt: skip
        unrelated = acc.link_reuploads(uow, _scan(amparo, jpeg(5)))
        own = acc.link_reuploads(uow, _scan(amparo, jpeg(1), source="sighting"))
    assert [(r.original_sighting_id, r.matched_by, r.platform) for r in exact] == [
        (original.id, "sha256", None)
    ]
    assert exact[0].delay_seconds == 38 * 3600  # from the removal to the scan
    assert [(r.matched_by, r.platform) for r in near] == [("pdq", other.name)]
    assert near[0].distance <= 31
    assert unrelated == [] and own == []
    with amparo.session() as uow:  # a batch at once, as the scan writer commits them
        batch = acc.link_reuploads(uow, _scan(amparo, jpeg(1)), _scan(amparo, jpeg(7)),
                                   _scan(amparo, _reencoded(jpeg(1))))  # fmt: skip
    assert [r.matched_by for r in batch] == ["sha256", "pdq"]
    with amparo.session() as s:
        steps = [e for e in acc.sighting_timeline(s, original.id) if e.event == "reupload"]
    assert len(steps) == 4 and all(e.ledger for e in steps)


def test_a_sighting_of_a_copy_links_itself(
    amparo: Amparo,
    fake: FakePlatform,
    add_platform: Callable[..., acc.Platform],
    sight: Callable[..., acc.Sighting],
) -> None:
    add_platform(target=fake.url("/dsa"))
    original = sight(fake.serve("/p/1.jpg", Route(body=jpeg(1))))
    amparo.accountability.notice_round(T0)
    copy = sight(fake.serve("/p/copy.jpg", Route(body=jpeg(1))), at=T0 + 5 * HOUR)
    with amparo.session() as s:
        links = [e for e in acc.sighting_timeline(s, original.id) if e.event == "reupload"]
        own = [e for e in acc.sighting_timeline(s, copy.id) if e.event == "reupload"]
    assert len(links) == 1 and links[0].detail["ref"] == str(copy.id)
    assert links[0].detail["delay_seconds"] == 5 * 3600 and own == []


def _noticed_rows(amparo: Amparo, count: int, every: int) -> None:
    """``count`` sightings on one platform, every ``every``-th noticed (numbered by id)."""

    def row(i: int) -> dict[str, object]:
        noticed = i % every == 0
        return {
            "platform_id": 1,
            "url": f"https://example.invalid/{i}",
            "host": "example.invalid",
            "first_seen_at": T0,
            "found_by": "test",
            "recorded_at": T0,
            "evidence_id": f"e{i}",
            "md5": f"{i:032x}",
            "sha256": f"{i:064x}",
            "pdq": f"{i:064x}",
            "matched_banks": [],
            "state": "open",
            "notices_sent": 0,
            "notice_failures": 0,
            "check_failures": 0,
            "first_notice_at": T0 if noticed else None,
            "noticed_seq": i // every if noticed else None,
        }

    with amparo.session() as s:
        s.execute(
            insert(PlatformRow.__table__),
            {
                "id": 1,
                "name": "example",
                "hostnames": ["example.invalid"],
                "channel": "email",
                "channel_target": "abuse@example.invalid",
                "trusted_flagger": False,
                "created_at": T0,
                "updated_at": T0,
            },
        )
        s.execute(insert(SightingRow.__table__), [row(i) for i in range(1, count + 1)])


def test_a_group_commit_reads_only_the_items_noticed_since_the_last(amparo: Amparo) -> None:
    """Every scan's group commit checks for re-uploads. The first reads the noticed items
    (20 of 20,000 sightings here, through the index of their numbers); the next ones read
    only those noticed since, so the check costs the same with 100,000 noticed items as
    with none (it read them all: 0.8 s a commit)."""
    _noticed_rows(amparo, 20_000, 1000)
    sqlite = amparo.engine.dialect.name == "sqlite"
    with amparo.engine.begin() as conn:
        conn.execute(text("ANALYZE"))
    reads: list[tuple[str, dict[str, object]]] = []

    def record(_conn: object, _cur: object, statement: str, params: object, *_: object) -> None:
        if "noticed_seq >" in statement:
            reads.append((statement, params))  # type: ignore[arg-type]

    event.listen(amparo.engine, "before_cursor_execute", record)
    try:
        for _ in range(2):
            with amparo.session() as uow:
                links = acc.link_reuploads(uow, _scan(amparo, jpeg(1)))
                assert links == []
    finally:
        event.remove(amparo.engine, "before_cursor_execute", record)
    after = [(list(p.values()) if isinstance(p, dict) else list(p))[0] for _, p in reads]
    assert after == [0, 20]  # the second read asks only for what lies above the 20 read
    statement, params = reads[0]
    with amparo.engine.connect() as conn:
        explain = "EXPLAIN QUERY PLAN " if sqlite else "EXPLAIN "
        plan = " ".join(str(r) for r in conn.exec_driver_sql(explain + statement, params))
    assert "ix_accountability_sightings_noticed_seq" in plan, plan


def test_noticed_items_are_read_a_page_at_a_time(
    amparo: Amparo, monkeypatch: pytest.MonkeyPatch
) -> None:
    """More noticed items than a page: all are read (in pages), the last one included."""
    monkeypatch.setattr(_repo, "NOTICED_PAGE", 7)
    _noticed_rows(amparo, 40, 2)  # 20 noticed, numbered 1..20
    last = ScanRecord(new_scan_id(), "upload", None, {"sha256": f"{40:064x}"}, None, (), None,
                      None, created_at=T0 + HOUR)  # fmt: skip
    with amparo.session() as uow:
        assert [r.original_sighting_id for r in acc.link_reuploads(uow, last)] == [40]


def test_items_noticed_meanwhile_are_found_by_the_next_commit(
    amparo: Amparo,
    fake: FakePlatform,
    add_platform: Callable[..., acc.Platform],
    sight: Callable[..., acc.Sighting],
) -> None:
    """The process keeps what it read; a notice sent since is seen by the very next
    commit (no refresh interval), and numbers follow the order of the notices."""
    add_platform(target=fake.url("/dsa"))
    first = sight(fake.serve("/p/1.jpg", Route(body=jpeg(1))))
    amparo.accountability.notice_round(T0)
    with amparo.session() as uow:
        assert [
            r.original_sighting_id for r in acc.link_reuploads(uow, _scan(amparo, jpeg(1)))
        ] == [first.id]
    second = sight(fake.serve("/p/2.jpg", Route(body=jpeg(2))), at=T0 + HOUR)
    with amparo.session() as uow:  # seen, not noticed yet
        assert acc.link_reuploads(uow, _scan(amparo, jpeg(2))) == []
    amparo.accountability.notice_round(T0 + HOUR)
    with amparo.session() as uow:
        assert [
            r.original_sighting_id for r in acc.link_reuploads(uow, _scan(amparo, jpeg(2)))
        ] == [second.id]
    with amparo.session() as s:
        numbers = {r.id: r.noticed_seq for r in s.scalars(select(SightingRow))}
    assert numbers == {first.id: 1, second.id: 2}


def test_an_item_noticed_in_a_rolled_back_transaction_is_not_kept(amparo: Amparo) -> None:
    """A transaction that numbers an item sees it (its own write); the process keeps it only
    from a transaction that cannot roll it back."""
    _noticed_rows(amparo, 3, 4)  # none noticed
    copy = _scan(amparo, jpeg(1))
    copy = ScanRecord(copy.scan_id, "upload", None, {"sha256": f"{2:064x}"}, None, (), None,
                      None, created_at=T0 + HOUR)  # fmt: skip
    with amparo.sessions() as uow:
        row = uow.get(SightingRow, 2)
        assert row is not None
        row.first_notice_at = T0
        _repo.mark_noticed(uow, 2)
        assert [r.original_sighting_id for r in acc.link_reuploads(uow, copy)] == [2]
        uow.rollback()
    with amparo.session() as uow:
        assert acc.link_reuploads(uow, copy) == []


def test_numbers_follow_commit_order_between_concurrent_notices(amparo: Amparo) -> None:
    """Two transactions notice items at once: the second to number waits for the first to
    commit, so a reader never sees a number while a smaller one is still to come."""
    _noticed_rows(amparo, 2, 4)  # none noticed
    numbered = threading.Event()
    with amparo.sessions() as first:
        _repo.mark_noticed(first, 1)
        done: list[int | None] = []

        def second() -> None:
            with amparo.sessions() as s:
                numbered.set()
                _repo.mark_noticed(s, 2)
                s.commit()
                done.append(s.scalar(select(SightingRow.noticed_seq).where(SightingRow.id == 2)))

        worker = threading.Thread(target=second)
        worker.start()
        assert numbered.wait(10)
        worker.join(0.5)
        assert worker.is_alive(), "the second numbered before the first committed"
        first.commit()
    worker.join(30)
    with amparo.sessions() as s:
        assert s.scalar(select(SightingRow.noticed_seq).where(SightingRow.id == 1)) == 1
    assert done == [2]


_PDQS = st.integers(0, 2**256 - 1).map(lambda v: f"{v:064x}")
_NEAR = st.tuples(st.integers(0, 7), st.lists(st.integers(0, 255), max_size=40))


@given(
    pdqs=st.lists(_PDQS, min_size=1, max_size=30),
    chunks=st.lists(st.integers(1, 10), max_size=10),
    picks=st.lists(_NEAR, min_size=1, max_size=5),
    threshold=st.integers(0, 64),
)
@settings(max_examples=60, deadline=None)
def test_noticed_items_read_in_any_steps_match_as_all_at_once(
    pdqs: list[str], chunks: list[int], picks: list[tuple[int, list[int]]], threshold: int
) -> None:
    """Whatever steps a process reads the noticed items in, a copy matches exactly the items
    within the threshold (by popcount of XOR) or with its bytes."""
    rows = [(n, 100 + n, f"{n:032x}", f"{n:064x}", p) for n, p in enumerate(pdqs, 1)]
    items = _reuploads._NoticedItems()
    at = 0
    for size in [*chunks, len(rows)]:
        items.add(rows[: at + size])  # overlapping reads: only what lies above seq counts
        at += size
    copies = []
    for which, bits in picks:
        _, _, md5, _, pdq = rows[which % len(rows)]
        value = int(pdq, 16)
        for b in bits:
            value ^= 1 << b
        copies.append(acc_copy(md5 if which % 2 else None, f"{value:064x}"))
    found = items.matches(copies, threshold)
    for copy, links in zip(copies, found, strict=True):
        expected = {
            i: ("pdq", d)
            for _, i, _, _, p in rows
            if (d := bin(int(p, 16) ^ int(str(copy.pdq), 16)).count("1")) <= threshold
        }
        expected |= {i: ("md5", 0) for _, i, md5, _, _ in rows if md5 == copy.md5}
        assert links == expected


def acc_copy(md5: str | None, pdq: str) -> _reuploads.Copy:
    return _reuploads.Copy("scan", "s", md5, None, pdq, None, None, T0)


def test_a_started_runtime_reads_the_noticed_items_before_its_scans(
    amparo: Amparo,
) -> None:
    """So that a scan's commit (a matched lookup's answer) does not wait to read them all, at
    start or after a bulk notice: the ``noticed`` worker keeps up with them."""
    _noticed_rows(amparo, 30, 3)  # 10 noticed
    after: list[object] = []  # where each read of the noticed items started

    def record(_conn: object, _cur: object, statement: str, params: Any, *_: object) -> None:
        if "noticed_seq >" in statement:
            after.append(params["after"] if isinstance(params, dict) else params[0])

    event.listen(amparo.engine, "before_cursor_execute", record)
    try:
        amparo.start()
        assert amparo.worker("noticed").run_now()
        amparo.stop()
        with amparo.session() as uow:
            acc.link_reuploads(uow, _scan(amparo, jpeg(1)))
    finally:
        event.remove(amparo.engine, "before_cursor_execute", record)
    # Read at start; then (the worker's next rounds, the first scan) only above the 10 read.
    assert after[0] == 0 and set(after[1:]) == {10}, after
