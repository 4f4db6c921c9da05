"""Re-uploads: scans and sightings matching an item already noticed are linked, with the
platform and the delay; ``link_reuploads`` is what the scan writer calls."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from _acc_helpers import T0, FakePlatform, Route, jpeg
from sqlalchemy import event, insert, text
from test_accountability_monitor import _reencoded

from amparo import accountability as acc
from amparo.accountability import _repo
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


def test_the_noticed_items_are_read_through_their_index(amparo: Amparo) -> None:
    """Every scan's group commit reads the noticed items: 20 of 20,000 sightings here. The
    read goes through the partial index of noticed sightings, not over all of them."""

    def row(i: int) -> dict[str, object]:
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
            "matched_banks": [],
            "state": "open",
            "notices_sent": 0,
            "notice_failures": 0,
            "check_failures": 0,
            "first_notice_at": T0 if i % 1000 == 0 else None,
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
        s.execute(insert(SightingRow.__table__), [row(i) for i in range(1, 20_001)])
    sqlite = amparo.engine.dialect.name == "sqlite"
    with amparo.engine.begin() as conn:
        conn.execute(text("ANALYZE"))
    reads: list[tuple[str, object]] = []

    def record(_conn: object, _cur: object, statement: str, params: object, *_: object) -> None:
        reads.append((statement, params))

    event.listen(amparo.engine, "before_cursor_execute", record)
    try:
        with amparo.sessions() as s:
            assert len(_repo.noticed_signatures(s)) == 20
    finally:
        event.remove(amparo.engine, "before_cursor_execute", record)
    ((statement, params),) = reads
    with amparo.engine.connect() as conn:
        explain = "EXPLAIN QUERY PLAN " if sqlite else "EXPLAIN "
        plan = " ".join(str(r) for r in conn.exec_driver_sql(explain + statement, params))
    assert "ix_accountability_sightings_noticed" in plan, plan
