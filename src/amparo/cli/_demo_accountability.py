"""The accountability part of ``amparo demo``: seven fake platforms on 127.0.0.1, one
behaviour each, noticed and checked for six simulated days in a second or two.

It runs on its own runtime and database (``DATA_DIR/demo-accountability``, started afresh
each time), the only one of the demo allowed to fetch from loopback; every URL it records,
notices and checks is on :class:`amparo.accountability.fakes.FakePlatforms`, whose items are
benign synthetic images. Notices go to the fakes' webhooks.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from rich import box
from rich.table import Column, Table

from amparo import accountability as acc
from amparo.accountability import fakes
from amparo.cli._common import out
from amparo.config import Settings
from amparo.runtime import Runtime

__all__ = ["run_accountability"]

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
STEP = timedelta(hours=4)
DAYS = 6
PLATFORMS: tuple[tuple[str, fakes.Behaviour, str, str | None], ...] = (
    ("quickshare", "removes_at_once", "at once", "gone"),
    ("slowtube", "removes_after_days", "in 2 days", "gone"),
    ("neverpics", "never_removes", "never", None),
    ("softboard", "soft_removes", "soft", "soft_removed"),
    ("geoblock", "geo_blocks", "geo-block", "geo_blocked"),
    ("mirrorhub", "reuploads", "re-upload", "gone"),
    ("throttled", "rate_limits", "429s", "gone"),
)
"""(platform, behaviour, its short label, how its removal should be seen: a removal kind,
or None for online)."""


@dataclass
class _Watched:
    platform: str
    item: fakes.FakeItem
    sighting_id: int
    reupload_seen: bool = False


def _settings(root: Path) -> Settings:
    return Settings(
        data_dir=root,
        database_url=None,
        # Loopback only: every URL of this run is the fake platforms' server on 127.0.0.1.
        unsafe_allow_private_urls=True,
        accountability_host_interval_seconds=0,
        accountability_check_jitter=0,
        url_fetch_timeout=5.0,
    )


def run_accountability(root: Path) -> int:
    """Run the accountability demo in ``root`` (emptied first); return how many platforms
    were measured as their behaviour says."""
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True, mode=0o700)
    clock = fakes.SimulatedClock(START)
    amparo = Runtime.open(_settings(root))
    try:
        with fakes.FakePlatforms(clock) as site:
            amparo.accountability.clock = clock
            watched = _setup(amparo, site, clock)
            out.rule("[bold]Accountability[/]: fake platforms on 127.0.0.1, a simulated clock")
            out.print(f"database: {amparo.settings.resolved_database_url}")
            out.print(
                f"{len(watched)} platforms, one benign synthetic image each, sighted at "
                f"{START:%Y-%m-%d %H:%M} UTC; notices by webhook (re-sent every 24 h), takedown "
                f"checks every {STEP.seconds // 3600} h for {DAYS} simulated days\n"
            )
            for _ in range(int(timedelta(days=DAYS) / STEP)):
                now = clock()
                amparo.accountability.notice_round(now)
                amparo.accountability.check_round(now)
                _find_reuploads(amparo, watched, now)
                clock.advance(STEP)
            return _show(amparo, watched, clock())
    finally:
        amparo.close()


def _setup(
    amparo: Runtime, site: fakes.FakePlatforms, clock: fakes.SimulatedClock
) -> list[_Watched]:
    watched = []
    for seed, (name, behaviour, _, _) in enumerate(PLATFORMS, start=200):
        site.add_platform(name, behaviour, days=2)
        with amparo.session() as s:
            acc.add_platform(
                s,
                name,
                hostnames=site.hostnames(name),
                channel="webhook",
                target=site.webhook_url(name),
                legal_contact=f"legal@{name}.fake.invalid",
                trusted_flagger=True,
            )
        item = site.post(name, seed=seed)
        sighting = acc.record_sighting(
            amparo,
            amparo.accountability.evidence,
            item.url,
            found_by="demo crawler",
            platform=name,
            now=clock(),
        )
        watched.append(_Watched(name, item, sighting.id))
    return watched


def _find_reuploads(amparo: Runtime, watched: list[_Watched], now: datetime) -> None:
    """The crawler finds a removed item again under its new URL (and records it: a
    sighting that matches a noticed item is linked as a re-upload)."""
    for w in watched:
        if w.item.reupload_url is None or w.reupload_seen:
            continue
        with amparo.session() as s:
            removed = acc.get_sighting(s, w.sighting_id).state == "removed"
        if removed:
            acc.record_sighting(
                amparo,
                amparo.accountability.evidence,
                w.item.reupload_url,
                found_by="demo crawler: the same image again",
                platform=w.platform,
                now=now,
            )
            w.reupload_seen = True


def _hours(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"


def _checks(amparo: Runtime, platform: str) -> tuple[int, int]:
    """(takedown checks made, of them answered 429) over the platform's sightings."""
    with amparo.session() as s:
        outcomes = [
            entry.detail["outcome"]
            for sighting in acc.list_sightings(s, platform=platform)
            for entry in acc.sighting_timeline(s, sighting.id)
            if entry.event == "check"
        ]
    return len(outcomes), outcomes.count("rate_limited")


def _show(amparo: Runtime, watched: list[_Watched], now: datetime) -> int:
    table = Table(
        Column("platform", no_wrap=True),
        Column("behaviour", no_wrap=True),
        "notices",
        "checks",
        "hours to removal",
        "still online",
        "re-uploads",
        Column("seen as", no_wrap=True),
        box=box.SIMPLE_HEAD,
        padding=(0, 1, 0, 0),
        pad_edge=False,
    )
    right = 0
    for w, (_, _, label, expected) in zip(watched, PLATFORMS, strict=True):
        with amparo.session() as s:
            report = acc.build_report(s, w.platform, START, now, as_of=now)
            seen = acc.get_sighting(s, w.sighting_id).removal_kind
        m = report.metrics
        checks, limited = _checks(amparo, w.platform)
        ok = seen == expected
        right += ok
        colour = "green" if ok else "red"
        table.add_row(
            w.platform,
            label,
            str(sum(i.notices for i in report.items)),
            f"{checks} ({limited}x429)" if limited else str(checks),
            _hours(m.median_hours_to_removal),
            str(m.items - m.removed),
            str(sum(i.reuploads for i in report.items)),
            f"[{colour}]{seen or 'online'}[/]",
        )
    out.print(table)
    out.print(
        f"\n{right}/{len(watched)} platforms measured as their behaviour says. Every sighting, "
        "notice, check and removal is a ledger entry (amparo accountability report cites them)."
    )
    return right
