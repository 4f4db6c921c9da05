"""Takedown monitoring: what a check concludes, when the next one is due, per-host spacing,
back-off, total deadlines, and replicas sharing the schedule without double checks."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import random
import threading
from collections.abc import Callable, Iterator

import pytest
from _acc_helpers import T0, FakePlatform, Route, jpeg
from PIL import Image
from sqlalchemy import func, select

from amparo import accountability as acc
from amparo.accountability import _repo
from amparo.config import Settings
from amparo.media import synthetic
from amparo.remote import Probe
from amparo.runtime import Amparo
from amparo.signals import Hasher
from amparo.store import TakedownCheckRow

HOUR = dt.timedelta(hours=1)
HASHER = Hasher()


def _probe(
    status: int = 200, body: bytes = b"", ctype: str | None = "image/jpeg", **kw: object
) -> Probe:
    fields: dict[str, object] = {
        "status": status, "url": "https://x.example/1", "redirects": (), "content_type": ctype,
        "retry_after": None, "body": body, "truncated": False,
    }  # fmt: skip
    fields.update(kw)
    return Probe(**fields)  # type: ignore[arg-type]


def _reencoded(data: bytes) -> bytes:
    import io

    image = Image.open(io.BytesIO(data)).convert("RGB").resize((300, 225))
    return synthetic.encode(image, "JPEG", quality=70)


@pytest.mark.parametrize(
    ("probe", "outcome", "removal"),
    [
        (_probe(404), "removed", "gone"),
        (_probe(410), "removed", "gone"),
        (_probe(451), "geo_blocked", "geo_blocked"),
        (_probe(429, retry_after="120"), "rate_limited", None),
        (_probe(403), "restricted", None),
        (_probe(503), "error", None),
        (_probe(200, b"<html>This content was removed</html>", "text/html"), "soft_removed",
         "soft_removed"),
        (_probe(200, b"<!doctype html><p>gone</p>", None, redirects=("https://x.example/r",)),
         "soft_removed", "redirected"),
        (_probe(200, jpeg(2)), "replaced", "replaced"),
        (_probe(200, jpeg(1)), "online", None),
        (_probe(200, _reencoded(jpeg(1))), "online", None),
        (_probe(200, b"x" * 10, truncated=True), "replaced", "replaced"),
    ],
)  # fmt: skip
def test_classify(probe: Probe, outcome: str, removal: str | None) -> None:
    original = HASHER.hash(jpeg(1))
    assert original.pdq is not None
    result = acc.classify(
        probe, md5=original.md5, sha256=original.sha256, pdq=original.pdq.hex, hasher=HASHER
    )
    assert (result.outcome, result.removal_kind) == (outcome, removal)
    if probe.status == 429:
        assert result.retry_after == 120


@pytest.fixture
def noticed(
    amparo: Amparo,
    fake: FakePlatform,
    add_platform: Callable[..., acc.Platform],
    sight: Callable[..., acc.Sighting],
) -> Callable[[str], acc.Sighting]:
    """``noticed(path)``: a sighting served at ``path``, noticed at T0 (first check T0+1h)."""
    add_platform(target=fake.url("/dsa"))

    def make(path: str) -> acc.Sighting:
        sighting = sight(fake.serve(path, Route(body=jpeg(len(fake.routes) + 1))))
        amparo.accountability.notice_round(T0)
        return sighting

    return make


def _get(amparo: Amparo, sighting: acc.Sighting) -> acc.Sighting:
    with amparo.session() as s:
        return acc.get_sighting(s, sighting.id)


@pytest.mark.parametrize(
    ("route", "outcome", "removal"),
    [
        (Route(200, b"<html>removed for violating our terms</html>", "text/html"), "soft_removed",
         "soft_removed"),
        (Route(451, b"unavailable in your country", "text/plain"), "geo_blocked", "geo_blocked"),
        (Route(302, b"", "text/plain", {"Location": "/removed"}), "soft_removed", "redirected"),
    ],
)  # fmt: skip
def test_removals_are_recorded(
    amparo: Amparo,
    fake: FakePlatform,
    noticed: Callable[[str], acc.Sighting],
    route: Route,
    outcome: str,
    removal: str,
) -> None:
    sighting = noticed("/p/1.jpg")
    fake.serve("/removed", Route(200, b"<html>removed</html>", "text/html"))
    fake.serve("/p/1.jpg", route)
    assert amparo.accountability.check_round(T0 + 2 * HOUR) == 1
    item = _get(amparo, sighting)
    assert (item.last_outcome, item.removal_kind, item.state) == (outcome, removal, "removed")
    assert item.removed_at == T0 + 2 * HOUR and item.next_notice_at is None


def test_backoff_doubles_and_honours_retry_after(
    amparo: Amparo, fake: FakePlatform, noticed: Callable[[str], acc.Sighting]
) -> None:
    sighting = noticed("/p/1.jpg")
    fake.serve("/p/1.jpg", Route(503, b"busy", "text/plain"))
    service = amparo.accountability
    now = T0 + HOUR
    waits = []
    for _ in range(3):
        assert service.check_round(now) == 1
        due = _get(amparo, sighting).next_check_at
        assert due is not None
        waits.append(due - now)
        now = due
    assert waits == [2 * HOUR, 4 * HOUR, 8 * HOUR]
    fake.serve("/p/1.jpg", Route(429, b"slow down", "text/plain", {"Retry-After": "86400"}))
    assert service.check_round(now) == 1
    assert _get(amparo, sighting).next_check_at == now + dt.timedelta(days=1)
    fake.serve("/p/1.jpg", Route(body=jpeg(1)))
    now += dt.timedelta(days=1)
    assert service.check_round(now) == 1
    item = _get(amparo, sighting)
    assert item.last_outcome == "online" and item.next_check_at == now + HOUR


def test_jitter_spreads_within_bounds() -> None:
    policy = acc.CheckPolicy(interval=HOUR, jitter=0.1)
    rng = random.Random(7)
    from amparo.accountability._monitor import next_check

    for _ in range(200):
        due = next_check(T0, policy, 0, rng)
        assert T0 + 0.9 * HOUR <= due <= T0 + 1.1 * HOUR
        late = next_check(T0, policy, 40, rng)
        assert T0 + policy.max_backoff <= late <= T0 + policy.max_backoff * 1.1


def test_per_host_spacing(
    amparo: Amparo, fake: FakePlatform, noticed: Callable[[str], acc.Sighting]
) -> None:
    first, second = noticed("/p/1.jpg"), noticed("/p/2.jpg")
    service = amparo.accountability
    service.limiter = acc_limiter = type(service.limiter)(dt.timedelta(seconds=30))
    assert service.check_round(T0 + HOUR) == 1
    later = [_get(amparo, x).next_check_at for x in (first, second)]
    assert T0 + HOUR + dt.timedelta(seconds=30) in later  # moved to the host's next slot
    assert acc_limiter.reserve("127.0.0.1", T0 + HOUR) is not None
    assert len([g for g in fake.gets if g.startswith("/p/")]) == 2 + 1  # 2 intakes, 1 check


def test_trickling_host_meets_the_total_deadline(
    amparo: Amparo,
    fake: FakePlatform,
    noticed: Callable[[str], acc.Sighting],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sighting = noticed("/p/1.jpg")
    fake.serve("/p/1.jpg", Route(trickle=True))
    ticks = itertools.count(0.0, 1.0)  # every socket operation takes "a second"
    fetcher = dataclasses.replace(amparo.fetcher, timeout=5.0, clock=lambda: next(ticks))
    monkeypatch.setattr(amparo, "fetcher", fetcher)
    assert amparo.accountability.check_round(T0 + HOUR) == 1
    item = _get(amparo, sighting)
    assert item.last_outcome == "error" and item.state == "open"
    with amparo.session() as s:
        check = acc.sighting_timeline(s, sighting.id)[-1]
    assert check.event == "check" and check.detail["outcome"] == "error"
    assert item.next_check_at == T0 + 3 * HOUR  # backed off


def test_silent_host_times_out(
    amparo: Amparo,
    noticed: Callable[[str], acc.Sighting],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import socket

    sighting = noticed("/p/1.jpg")
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen()  # accepts connections, never answers
    try:
        with amparo.session() as s:
            row = _repo.sighting_row(s, sighting.id)
            assert row is not None
            row.url = f"http://127.0.0.1:{silent.getsockname()[1]}/p/1.jpg"
        monkeypatch.setattr(amparo, "fetcher", dataclasses.replace(amparo.fetcher, timeout=0.3))
        assert amparo.accountability.check_round(T0 + HOUR) == 1
    finally:
        silent.close()
    with amparo.session() as s:
        check = s.scalars(select(TakedownCheckRow)).one()
    assert check.outcome == "error" and "did not arrive within" in (check.detail or "")


def test_a_claim_of_a_dead_replica_comes_back_after_its_lease(
    amparo: Amparo, noticed: Callable[[str], acc.Sighting]
) -> None:
    sighting = noticed("/p/1.jpg")
    lease = amparo.accountability.check_policy.lease
    with amparo.session() as s:  # a replica claims the check, then dies before making it
        assert [r.id for r in _repo.claim_due(s, "check", T0 + HOUR, T0 + HOUR + lease, 10)] == [
            sighting.id
        ]
    service = amparo.accountability
    assert service.check_round(T0 + HOUR + lease / 2) == 0  # not lost, not doubled
    assert service.check_round(T0 + HOUR + lease) == 1
    assert _get(amparo, sighting).next_check_at == T0 + 2 * HOUR + lease


@pytest.fixture
def second(settings: Settings, amparo: Amparo) -> Iterator[Amparo]:
    other = Amparo.open(settings)
    other.accountability.evidence = amparo.accountability.evidence
    yield other
    other.close()


def test_two_replicas_share_the_schedule(
    amparo: Amparo, second: Amparo, noticed: Callable[[str], acc.Sighting]
) -> None:
    made = [noticed(f"/p/{k}.jpg") for k in range(12)]
    for service in (amparo.accountability, second.accountability):
        service.check_policy = dataclasses.replace(service.check_policy, batch=5)
    counts: list[int] = []
    start = threading.Barrier(2)

    def run(runtime: Amparo) -> None:
        start.wait()
        while (n := runtime.accountability.check_round(T0 + HOUR)) > 0:
            counts.append(n)

    threads = [threading.Thread(target=run, args=(r,)) for r in (amparo, second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert sum(counts) == len(made)
    with amparo.session() as s:
        per = s.execute(
            select(TakedownCheckRow.sighting_id, func.count()).group_by(
                TakedownCheckRow.sighting_id
            )
        ).all()
    assert sorted(c for _, c in per) == [1] * len(made)


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_skip_locked_on_postgres(
    amparo: Amparo, second: Amparo, noticed: Callable[[str], acc.Sighting]
) -> None:
    made = [noticed(f"/p/{k}.jpg") for k in range(4)]
    now = T0 + HOUR
    with amparo.sessions() as held, held.begin():  # replica A holds its claim uncommitted
        claimed = _repo.claim_due(held, "check", now, now + HOUR, 2)
        assert len(claimed) == 2
        with second.sessions() as other, other.begin():  # B skips A's rows, does not wait
            rest = _repo.claim_due(other, "check", now, now + HOUR, 10)
        assert {r.id for r in rest} == {s.id for s in made} - {r.id for r in claimed}
