"""Re-uploads: scans and sightings matching an item already noticed are linked, with the
platform and the delay; ``link_reuploads`` is what the scan writer calls."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from _acc_helpers import T0, FakePlatform, Route, jpeg
from test_accountability_monitor import _reencoded

from amparo import accountability as acc
from amparo.runtime import Amparo
from amparo.scan import ScanRecord, new_scan_id

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
