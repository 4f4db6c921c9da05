"""``amparo dsa import`` and ``compare`` on SQLite and PostgreSQL: idempotent re-imports,
overlapping dumps, bad rows reported, wrong headers refused, the comparison's numbers, and
the CLI and HTTP adapters."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from typer.testing import CliRunner

from amparo import dsa
from amparo.cli import app
from amparo.dsa import ObservedDay
from amparo.errors import InputError
from amparo.runtime import Amparo
from amparo.store import DsaDailyStatRow, LedgerEntryRow
from dumpfactory import Statement, write_dump

runner = CliRunner()


def _statements() -> list[Statement]:
    day2 = dict(application_date="2025-03-02 00:00:00", content_date="2025-03-01 00:00:00")
    day3 = dict(application_date="2025-03-03 00:00:00", content_date="2025-02-27 00:00:00")
    return [
        *[Statement(**day2)] * 3,  # type: ignore[arg-type]
        Statement(
            automated_detection="No", automated_decision="AUTOMATED_DECISION_PARTIALLY", **day2
        ),  # type: ignore[arg-type]
        *[Statement(automated_decision="AUTOMATED_DECISION_NOT_AUTOMATED", **day3)] * 2,  # type: ignore[arg-type]
        Statement(platform="Other", **day2),  # type: ignore[arg-type]
        Statement(category="STATEMENT_CATEGORY_VIOLENCE", keywords=(), **day2),  # type: ignore[arg-type]
    ]


class FakeObservations:
    def __init__(self, days: Sequence[ObservedDay]) -> None:
        self.days = days
        self.asked: list[tuple[str, date, date]] = []

    def observed(self, platform: str, start: date, end: date) -> Sequence[ObservedDay]:
        self.asked.append((platform, start, end))
        return [d for d in self.days if start <= d.day <= end]


def _entries(amparo: Amparo, kind: str) -> int:
    with amparo.session() as s:
        return s.scalar(select(func.count()).where(LedgerEntryRow.kind == kind)) or 0


def test_import_is_idempotent_and_ledgered(amparo: Amparo, tmp_path: Path) -> None:
    dump = write_dump(tmp_path, _statements(), per_csv=3)
    first = dsa.import_dump(amparo, dump)
    assert not first.already_imported
    assert (first.rows, first.bad.total, first.counted) == (8, 0, 7)
    assert first.platforms == ("ExampleTube", "Other")
    assert first.days == (date(2025, 3, 2), date(2025, 3, 3))
    with amparo.session() as s:
        stored = s.scalar(select(func.count()).select_from(DsaDailyStatRow))
    again = dsa.import_dump(amparo, dump)
    assert again.already_imported and again.sha256 == first.sha256
    with amparo.session() as s:
        assert s.scalar(select(func.count()).select_from(DsaDailyStatRow)) == stored
    assert _entries(amparo, "dsa.dump_import") == 1


def test_a_platform_dump_overlapping_the_global_one_is_not_counted_twice(
    amparo: Amparo, tmp_path: Path
) -> None:
    (tmp_path / "g").mkdir()
    (tmp_path / "p").mkdir()
    dsa.import_dump(amparo, write_dump(tmp_path / "g", _statements()))
    own = [s for s in _statements() if s.platform == "ExampleTube"]
    report = dsa.import_dump(amparo, write_dump(tmp_path / "p", own, slug="exampletube"))
    assert report.overlapping == ("ExampleTube@2025-03-03",)
    assert report.counted == 0
    result = dsa.compare(
        amparo, dsa.NoObservations(), "exampletube", date(2025, 3, 1), date(2025, 3, 31)
    )
    assert result.totals["declared_csam"] == 6


def test_platform_filter_keeps_one_platform(amparo: Amparo, tmp_path: Path) -> None:
    report = dsa.import_dump(amparo, write_dump(tmp_path, _statements()), platform="other")
    assert report.platforms == ("Other",) and report.counted == 1


def test_bad_rows_are_reported_not_fatal(amparo: Amparo, tmp_path: Path) -> None:
    rows = [*_statements(), Statement(created_at="not a time")]
    report = dsa.import_dump(amparo, write_dump(tmp_path, rows, raw_tail=b"1,2,3\n"))
    assert report.bad.by_reason == {
        "bad created_at": 1,
        "unreadable CSV row (missing columns)": 1,
    }
    assert report.rows == 10 and report.counted == 7


def test_wrong_header_and_altered_download_are_refused(amparo: Amparo, tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    dump = write_dump(tmp_path / "a", _statements(), columns=["uuid", "category", "created_at"])
    with pytest.raises(InputError, match="lacks the column"):
        dsa.import_dump(amparo, dump)
    dump = write_dump(tmp_path, _statements())
    dump.with_name(dump.name + ".sha1").write_text("0" * 40 + "  x\n")
    with pytest.raises(InputError, match="published SHA-1"):
        dsa.import_dump(amparo, dump)
    assert _entries(amparo, "dsa.dump_import") == 0


def test_compare_sets_declared_beside_observed(amparo: Amparo, tmp_path: Path) -> None:
    dsa.import_dump(amparo, write_dump(tmp_path, _statements()))
    seen = FakeObservations(
        [
            ObservedDay(
                date(2025, 3, 2),
                noticed=9,
                removed=6,
                median_removal_hours=30.0,
                ai_generated_share=0.5,
            ),
            ObservedDay(
                date(2025, 3, 5),
                noticed=1,
                removed=0,
                median_removal_hours=None,
                ai_generated_share=None,
            ),
        ]
    )
    result = dsa.compare(amparo, seen, "ExampleTube", date(2025, 3, 1), date(2025, 3, 10))
    assert seen.asked == [("ExampleTube", date(2025, 3, 1), date(2025, 3, 10))]
    days = {d.day: d for d in result.days}
    assert sorted(days) == [date(2025, 3, 2), date(2025, 3, 3), date(2025, 3, 5)]
    d2 = days[date(2025, 3, 2)]
    assert d2.declared is not None
    assert (d2.declared.csam, d2.declared.protection_of_minors) == (4, 4)
    assert d2.declared.automated_detection_share == 0.75
    assert d2.declared.automated_decision_share == 1.0
    assert d2.declared.median_decision_days == 1.0
    assert d2.removals_without_statement == 2
    d3 = days[date(2025, 3, 3)]
    assert d3.declared is not None and d3.declared.automated_decision_share == 0.0
    assert d3.declared.median_decision_days == 4.0 and d3.observed is None
    assert days[date(2025, 3, 5)].declared is None
    assert result.totals["declared_csam"] == 6
    assert result.totals["observed_removed"] == 6
    lines = result.to_csv().splitlines()
    assert lines[0].startswith("day,declared_protection_of_minors,declared_csam,")
    assert lines[-1].startswith("total,6,6,0,0,6,")


def test_compare_refuses_bad_periods(amparo: Amparo) -> None:
    none = dsa.NoObservations()
    with pytest.raises(InputError, match="before it starts"):
        dsa.compare(amparo, none, "X", date(2025, 3, 2), date(2025, 3, 1))
    with pytest.raises(InputError, match="at most"):
        dsa.compare(amparo, none, "X", date(2000, 1, 1), date(2025, 1, 1))
    with pytest.raises(InputError, match="empty"):
        dsa.compare(amparo, none, " ", date(2025, 1, 1), date(2025, 1, 1))


@pytest.fixture
def env(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("AMPARO_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("AMPARO_DATABASE_URL", database_url)
    return tmp_path


def test_cli_import_and_compare(env: Path) -> None:
    dump = write_dump(env, [*_statements(), Statement(platform="")])
    r = runner.invoke(app, ["dsa", "import", str(dump)])
    assert r.exit_code == 0, r.output
    assert (
        "9 rows, 7 in scope" in r.stderr and "1 bad row(s) skipped: 1 no platform_name" in r.stderr
    )
    r = runner.invoke(app, ["dsa", "import", str(dump)])
    assert r.exit_code == 0 and "already imported" in r.stderr
    args = [
        "dsa",
        "compare",
        "--platform",
        "ExampleTube",
        "--from",
        "2025-03-01",
        "--to",
        "2025-03-31",
    ]
    r = runner.invoke(app, [*args, "--format", "json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["totals"]["declared_csam"] == 6
    r = runner.invoke(app, [*args, "--format", "csv"])
    assert r.exit_code == 0 and r.stdout.startswith("day,declared_protection_of_minors")
    r = runner.invoke(app, args, terminal_width=200)
    assert r.exit_code == 0 and "2025-03-02" in r.stdout


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["import", "missing.zip"], "no such file"),
        (
            ["compare", "--platform", "X", "--from", "2025-13-01", "--to", "2025-01-01"],
            "--from '2025-13-01' is not a date",
        ),
        (
            [
                "compare",
                "--platform",
                "X",
                "--from",
                "2025-01-01",
                "--to",
                "2025-01-01",
                "--format",
                "xml",
            ],
            "--format 'xml'",
        ),
    ],
)
def test_cli_bad_input_is_a_clear_error(env: Path, args: list[str], says: str) -> None:
    r = runner.invoke(app, ["dsa", *args])
    assert r.exit_code == 2 and says in r.output, r.output
    assert "Traceback" not in r.output


def test_cli_wrong_header_names_columns(env: Path) -> None:
    dump = write_dump(env, _statements(), columns=["uuid", "category", "created_at"])
    r = runner.invoke(app, ["dsa", "import", str(dump)])
    assert r.exit_code == 2 and "lacks the column(s) decision_visibility" in r.output


def test_http_compare(
    client: TestClient, amparo: Amparo, headers: Callable[[str], dict[str, str]], tmp_path: Path
) -> None:
    dsa.import_dump(amparo, write_dump(tmp_path, _statements()))
    dsa.bind_observations(
        amparo, FakeObservations([ObservedDay(date(2025, 3, 2), 5, 5, 12.0, 0.2)])
    )
    q = "/v1/dsa/compare?platform=ExampleTube&from=2025-03-01&to=2025-03-31"
    r = client.get(q, headers=headers("investigator"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["days"][0]["observed_removed"] == 5
    assert body["days"][0]["removals_without_statement"] == 1
    r = client.get(q + "&format=csv", headers=headers("auditor"))
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert client.get(q, headers=headers("scanner")).status_code == 403
    bad = client.get(q.replace("to=2025-03-31", "to=2025-02-01"), headers=headers("auditor"))
    assert bad.status_code == 400 and set(bad.json()) >= {"error", "message"}
    bad = client.get(q.replace("from=2025-03-01", "from=yesterday"), headers=headers("auditor"))
    assert bad.status_code in (400, 422) and "message" in bad.json()
