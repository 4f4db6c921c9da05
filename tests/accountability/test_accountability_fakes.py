"""The fake platforms of :mod:`amparo.accountability.fakes`, driven by real notice and check
rounds on a simulated clock: each behaviour is measured as what it is. On SQLite and
PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator

import httpx
import pytest
from _acc_helpers import T0

from amparo import accountability as acc
from amparo.accountability import fakes
from amparo.errors import InputError
from amparo.runtime import Amparo
from amparo.store import TakedownCheckRow

HOUR = dt.timedelta(hours=1)


@pytest.fixture
def clock() -> fakes.SimulatedClock:
    return fakes.SimulatedClock(T0)


@pytest.fixture
def site(clock: fakes.SimulatedClock) -> Iterator[fakes.FakePlatforms]:
    with fakes.FakePlatforms(clock) as platforms:
        yield platforms


@pytest.fixture
def on_fake(
    amparo: Amparo,
    site: fakes.FakePlatforms,
    add_platform: Callable[..., acc.Platform],
    sight: Callable[..., acc.Sighting],
) -> Callable[..., tuple[fakes.FakeItem, acc.Sighting]]:
    """A platform with one behaviour, notices by webhook, and a sighting of one item."""

    def make(
        behaviour: fakes.Behaviour, *, channel: str = "webhook"
    ) -> tuple[fakes.FakeItem, acc.Sighting]:
        name = behaviour.replace("_", "-")
        site.add_platform(name, behaviour, days=2)
        target = site.webhook_url(name) if channel == "webhook" else "fakes"
        add_platform(name, hosts=site.hostnames(name), channel=channel, target=target)
        item = site.post(name, seed=len(site.notices) + 7)
        return item, sight(item.url, platform=name)

    return make


def _run(amparo: Amparo, clock: fakes.SimulatedClock, days: int = 4) -> None:
    """Notices now, then a check round every 6 hours of the simulated clock."""
    service = amparo.accountability
    assert service.notice_round(clock()) == 1
    for _ in range(days * 4):
        service.check_round(clock.advance(6 * HOUR))


def _outcomes(amparo: Amparo, sighting_id: int) -> list[str]:
    with amparo.session() as s:
        return [
            r.outcome
            for r in s.query(TakedownCheckRow)
            .filter(TakedownCheckRow.sighting_id == sighting_id)
            .order_by(TakedownCheckRow.id)
        ]


@pytest.mark.parametrize(
    ("behaviour", "kind", "after"),
    [
        ("removes_at_once", "gone", 6 * HOUR),
        ("removes_after_days", "gone", 48 * HOUR),
        ("never_removes", None, None),
        ("soft_removes", "soft_removed", 6 * HOUR),
        ("geo_blocks", "geo_blocked", 6 * HOUR),
        ("reuploads", "gone", 6 * HOUR),
    ],
)
def test_each_behaviour_is_measured(
    amparo: Amparo,
    clock: fakes.SimulatedClock,
    site: fakes.FakePlatforms,
    on_fake: Callable[..., tuple[fakes.FakeItem, acc.Sighting]],
    behaviour: fakes.Behaviour,
    kind: str | None,
    after: dt.timedelta | None,
) -> None:
    item, sighting = on_fake(behaviour)
    _run(amparo, clock)
    assert site.notices[0] == (behaviour.replace("_", "-"), item.url)
    with amparo.session() as s:
        now = acc.get_sighting(s, sighting.id)
    assert now.removal_kind == kind
    if after is None:
        assert now.state == "open" and set(_outcomes(amparo, sighting.id)) == {"online"}
    else:
        assert now.state == "removed" and now.removed_at == T0 + after


def test_the_checker_is_rate_limited_then_sees_the_removal(
    amparo: Amparo,
    clock: fakes.SimulatedClock,
    on_fake: Callable[..., tuple[fakes.FakeItem, acc.Sighting]],
) -> None:
    _, sighting = on_fake("rate_limits")
    _run(amparo, clock)
    outcomes = _outcomes(amparo, sighting.id)
    assert outcomes[0] == "rate_limited" and "online" in outcomes and outcomes[-1] == "removed"
    with amparo.session() as s:
        now = acc.get_sighting(s, sighting.id)
    assert now.removal_kind == "gone" and now.removed_at is not None
    assert now.removed_at >= T0 + 48 * HOUR


def test_a_reupload_under_a_new_url_is_linked(
    amparo: Amparo,
    clock: fakes.SimulatedClock,
    on_fake: Callable[..., tuple[fakes.FakeItem, acc.Sighting]],
    sight: Callable[..., acc.Sighting],
) -> None:
    item, sighting = on_fake("reuploads")
    assert item.reupload_url is not None
    assert httpx.get(item.reupload_url).status_code == 404  # not before the notice
    _run(amparo, clock, days=1)
    again = sight(item.reupload_url, platform="reuploads", at=clock())
    with amparo.session() as s:
        report = acc.build_report(s, "reuploads", T0, T0 + 10 * 24 * HOUR, as_of=clock())
    assert again.sha256 == sighting.sha256
    assert report.metrics.reupload_rate == 1.0 and report.items[0].reuploads == 1


def test_notices_through_the_in_process_adapter(
    amparo: Amparo,
    clock: fakes.SimulatedClock,
    site: fakes.FakePlatforms,
    on_fake: Callable[..., tuple[fakes.FakeItem, acc.Sighting]],
) -> None:
    amparo.accountability.adapters["fakes"] = site.adapter()
    item, sighting = on_fake("removes_at_once", channel="api")
    _run(amparo, clock, days=1)
    assert site.notices == [("removes-at-once", item.url)]
    with amparo.session() as s:
        assert acc.get_sighting(s, sighting.id).state == "removed"


def test_the_server_serves_only_its_images(site: fakes.FakePlatforms) -> None:
    site.add_platform("quiet", "never_removes")
    item = site.post("quiet", seed=3)
    assert item.url.startswith("http://127.0.0.1:")
    r = httpx.get(item.url)
    assert r.status_code == 200 and r.content == site.image(3)
    assert r.headers["content-type"] == "image/jpeg"
    assert httpx.get(site.url("/etc/passwd")).status_code == 404
    assert httpx.post(site.url("/notices/quiet"), content=b"{").status_code == 400
    assert httpx.post(site.url("/elsewhere"), content=b"{}").status_code == 404
    r = httpx.post(site.webhook_url("quiet"), content=json.dumps({"url": item.url}))
    assert r.status_code == 202 and r.json() == {"ticket": "FAKE-1"}
    assert httpx.get(item.url).status_code == 200  # never removes


def test_bad_setups_are_refused(site: fakes.FakePlatforms) -> None:
    with pytest.raises(InputError, match="no fake behaviour"):
        site.add_platform("x", "explodes")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="not valid"):
        site.add_platform("Bad Name", "never_removes")
    with pytest.raises(InputError, match="no fake platform"):
        site.post("unknown", seed=1)
    with pytest.raises(InputError, match="time zone"):
        fakes.SimulatedClock(dt.datetime(2026, 1, 1))
