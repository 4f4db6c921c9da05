"""Fixtures for accountability: a runtime that may fetch from loopback, an in-memory
evidence vault, a fake platform on 127.0.0.1 (media, removal pages, webhooks, slow hosts)
and local SMTP servers with and without STARTTLS. Every test runs on SQLite and PostgreSQL
(through the root ``settings`` fixture's ``database_url``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from _acc_helpers import T0, FakePlatform, MemoryVault, Smtp, smtp_server

from amparo import accountability as acc
from amparo.config import Settings
from amparo.runtime import Amparo


@pytest.fixture
def fake() -> Iterator[FakePlatform]:
    platform = FakePlatform()
    yield platform
    platform.close()


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        unsafe_allow_private_urls=True,
        url_fetch_timeout=5.0,
        accountability_host_interval_seconds=0,
        accountability_check_jitter=0,
    )


@pytest.fixture
def vault(amparo: Amparo) -> MemoryVault:
    sink = MemoryVault()
    amparo.accountability.evidence = sink
    return sink


@pytest.fixture
def add_platform(amparo: Amparo) -> Callable[..., acc.Platform]:
    def add(
        name: str = "fakeshare",
        *,
        hosts: tuple[str, ...] = ("127.0.0.1",),
        channel: str = "webhook",
        target: str = "",
        legal: str | None = "legal@fakeshare.example",
        trusted: bool = True,
    ) -> acc.Platform:
        with amparo.session() as s:
            return acc.add_platform(
                s,
                name,
                hostnames=hosts,
                channel=channel,
                target=target,
                legal_contact=legal,
                trusted_flagger=trusted,
            )

    return add


@pytest.fixture
def sight(amparo: Amparo, vault: MemoryVault) -> Callable[..., acc.Sighting]:
    def record(url: str, *, at: dt.datetime = T0, **kwargs: object) -> acc.Sighting:
        return acc.record_sighting(
            amparo,
            amparo.accountability.evidence,
            url,
            found_by=str(kwargs.pop("found_by", "hotline report")),
            now=at,
            **kwargs,  # type: ignore[arg-type]
        )

    return record


@pytest.fixture
def smtp(tmp_path: Path) -> Iterator[Smtp]:
    yield from smtp_server(tmp_path, starttls=True)


@pytest.fixture
def plain_smtp(tmp_path: Path) -> Iterator[Smtp]:
    yield from smtp_server(tmp_path, starttls=False)


@pytest.fixture
def refusing_smtp(tmp_path: Path) -> Iterator[Smtp]:
    yield from smtp_server(tmp_path, starttls=True, refuse=True)
