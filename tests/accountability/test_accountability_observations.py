"""What Amparo observed per platform and day (:class:`acc.SightingObservations`), bound by
the runtime for the DSA cross-check: ``amparo dsa compare`` and ``GET /v1/dsa/compare`` set
it beside an imported dump. On SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from _acc_helpers import FakePlatform, Route, jpeg
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from amparo import accountability as acc
from amparo import dsa
from amparo.cli import app
from amparo.config import Settings
from amparo.dsa import ObservedDay
from amparo.runtime import Amparo
from dumpfactory import Statement, write_dump

D = dt.datetime(2025, 3, 2, 9, 0, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)
MARCH = (dt.date(2025, 3, 1), dt.date(2025, 3, 31))


@pytest.fixture
def observed(
    amparo: Amparo,
    fake: FakePlatform,
    add_platform: Callable[..., acc.Platform],
    sight: Callable[..., acc.Sighting],
) -> list[acc.Sighting]:
    """Three items of "exampletube" noticed on 2 March; one removed an hour later, one the
    next day after 25 hours, one never."""
    add_platform("exampletube", target=fake.url("/dsa"))
    items = [sight(fake.serve(f"/p/{n}.jpg", Route(body=jpeg(n))), at=D) for n in (1, 2, 3)]
    service = amparo.accountability
    assert service.notice_round(D) == 3
    fake.routes.pop("/p/1.jpg")
    assert service.check_round(D + HOUR) == 3
    fake.routes.pop("/p/2.jpg")
    assert service.check_round(D + 25 * HOUR) == 2
    return items


def test_days_noticed_and_removed(amparo: Amparo, observed: list[acc.Sighting]) -> None:
    seen = acc.SightingObservations(amparo)
    days = sorted(seen.observed("ExampleTube", *MARCH), key=lambda d: d.day)
    assert days == [
        ObservedDay(dt.date(2025, 3, 2), 3, 1, 1.0, 0.0),
        ObservedDay(dt.date(2025, 3, 3), 0, 1, 25.0, None),
    ]
    # A period that holds only the removal day; an unknown platform; a day before.
    only = seen.observed("exampletube", dt.date(2025, 3, 3), dt.date(2025, 3, 3))
    assert only == [ObservedDay(dt.date(2025, 3, 3), 0, 1, 25.0, None)]
    assert seen.observed("Other", *MARCH) == ()
    assert seen.observed("exampletube", dt.date(2025, 3, 1), dt.date(2025, 3, 1)) == []


def test_runtime_binds_the_observations(amparo: Amparo) -> None:
    assert isinstance(dsa.observations_for(amparo), acc.SightingObservations)


def _dump(folder: Path) -> Path:
    day2 = dict(application_date="2025-03-02 00:00:00", content_date="2025-03-01 00:00:00")
    return write_dump(folder, [Statement(**day2), Statement(**day2)])  # type: ignore[arg-type]


def test_compare_over_http(
    client: TestClient,
    amparo: Amparo,
    headers: Callable[[str], dict[str, str]],
    observed: list[acc.Sighting],
    tmp_path: Path,
) -> None:
    dsa.import_dump(amparo, _dump(tmp_path))
    q = "/v1/dsa/compare?platform=ExampleTube&from=2025-03-01&to=2025-03-31"
    r = client.get(q, headers=headers("auditor"))
    assert r.status_code == 200, r.text
    body = r.json()
    first, second = body["days"]
    assert first["day"] == "2025-03-02" and first["declared_csam"] == 2
    assert first["observed_noticed"] == 3 and first["observed_removed"] == 1
    assert first["observed_median_removal_hours"] == 1.0
    assert first["removals_without_statement"] == 0
    assert second["declared_csam"] is None and second["observed_removed"] == 1
    assert body["totals"]["observed_noticed"] == 3 and body["totals"]["observed_removed"] == 2


def test_compare_on_the_command_line(
    settings: Settings,
    database_url: str,
    observed: list[acc.Sighting],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AMPARO_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("AMPARO_DATABASE_URL", database_url)
    runner = CliRunner()
    r = runner.invoke(app, ["dsa", "import", str(_dump(tmp_path))])
    assert r.exit_code == 0, r.output
    args = ["dsa", "compare", "--platform", "ExampleTube", "--from", "2025-03-01"]
    r = runner.invoke(app, [*args, "--to", "2025-03-31", "--format", "json"])
    assert r.exit_code == 0, r.output
    result = json.loads(r.stdout)
    assert [d["observed_removed"] for d in result["days"]] == [1, 1]
    assert result["days"][1]["observed_median_removal_hours"] == 25.0
    r = runner.invoke(app, [*args, "--to", "2025-03-31", "--format", "csv"])
    assert r.exit_code == 0 and "\n2025-03-02,2," in r.stdout
