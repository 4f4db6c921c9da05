"""The whole flow: platform, sighting, notices until removal, checks, re-uploads."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from _acc_helpers import T0, FakePlatform, MemoryVault, Route, jpeg

from amparo import accountability as acc
from amparo.runtime import Amparo

HOUR = dt.timedelta(hours=1)


def test_sighting_is_fetched_hashed_and_preserved(
    amparo: Amparo,
    fake: FakePlatform,
    vault: MemoryVault,
    add_platform: Callable[..., acc.Platform],
    sight: Callable[..., acc.Sighting],
) -> None:
    add_platform(target=fake.url("/dsa"))
    data = jpeg(1)
    url = fake.serve("/p/1.jpg", Route(body=data))
    sighting = sight(url, found_by="crawler")
    assert sighting.platform == "fakeshare"  # inferred from the host
    assert vault.items[sighting.evidence_id] == data
    assert sighting.pdq is not None and sighting.scan_id
    assert sighting.next_notice_at == T0
    with amparo.session() as s:
        assert acc.get_sighting(s, sighting.id) == sighting


def test_notices_until_removal_then_escalation_and_checks(
    amparo: Amparo,
    fake: FakePlatform,
    add_platform: Callable[..., acc.Platform],
    sight: Callable[..., acc.Sighting],
) -> None:
    add_platform(target=fake.url("/dsa"), legal=None)
    url = fake.serve("/p/1.jpg", Route(body=jpeg(1)))
    sighting = sight(url)
    service = amparo.accountability
    assert service.notice_round(T0) == 1
    assert len(fake.posts) == 1
    path, body = fake.posts[0]
    assert path == "/dsa" and body["url"] == url and body["trusted_flagger"] is True
    assert "good_faith_statement" in body and body["notice_number"] == 1
    # Not due again before 24 h; the check is due after an hour.
    assert service.notice_round(T0 + HOUR) == 0
    assert service.check_round(T0 + HOUR) == 1
    with amparo.session() as s:
        item = acc.get_sighting(s, sighting.id)
    assert item.last_outcome == "online" and item.state == "open"
    assert service.notice_round(T0 + 24 * HOUR) == 1
    fake.routes.pop("/p/1.jpg")  # removed: 404
    assert service.check_round(T0 + 30 * HOUR) == 1
    with amparo.session() as s:
        item = acc.get_sighting(s, sighting.id)
        timeline = acc.sighting_timeline(s, sighting.id)
    assert item.state == "removed" and item.removal_kind == "gone"
    assert item.removed_at == T0 + 30 * HOUR and item.notices_sent == 2
    assert [e.event for e in timeline] == [
        "seen",
        "recorded",
        "notice",
        "check",
        "notice",
        "check",
        "removed",
    ]
    assert all(e.ledger for e in timeline[1:])
    # Nothing more is due.
    assert service.notice_round(T0 + 100 * HOUR) == 0
    assert service.check_round(T0 + 100 * HOUR) == 0


def test_the_runtime_worker_sends_and_checks(
    amparo: Amparo,
    fake: FakePlatform,
    add_platform: Callable[..., acc.Platform],
    sight: Callable[..., acc.Sighting],
) -> None:
    add_platform(target=fake.url("/dsa"))
    sighting = sight(fake.serve("/p/1.jpg", Route(body=jpeg(1))))
    clock = [T0]
    amparo.accountability.clock = lambda: clock[0]
    amparo.start()
    worker = amparo.worker("accountability")
    assert worker.run_now()
    assert len(fake.posts) == 1
    fake.routes.pop("/p/1.jpg")
    clock[0] = T0 + 2 * HOUR
    assert worker.run_now()
    with amparo.session() as s:
        assert acc.get_sighting(s, sighting.id).removed_at == T0 + 2 * HOUR
