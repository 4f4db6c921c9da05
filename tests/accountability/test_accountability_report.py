"""Conduct reports: figures over a worked scenario, each citing real ledger entries; JSON and
CSV over HTTP; CSV, HTML (charts inline, nothing external) and PDF from the command line."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from _acc_helpers import T0, FakePlatform, Route, jpeg
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from amparo import accountability as acc
from amparo.cli import app
from amparo.runtime import Amparo, Runtime

HOUR = dt.timedelta(hours=1)
Headers = Callable[[str], dict[str, str]]


@pytest.fixture
def scenario(
    amparo: Amparo,
    fake: FakePlatform,
    add_platform: Callable[..., acc.Platform],
    sight: Callable[..., acc.Sighting],
) -> list[acc.Sighting]:
    """Three items noticed at T0: one removed after 2 h, one after 3 days, one never."""
    add_platform(target=fake.url("/dsa"), legal=None)
    made = [sight(fake.serve(f"/p/{k}.jpg", Route(body=jpeg(k)))) for k in (1, 2, 3)]
    service = amparo.accountability
    service.notice_round(T0)
    fake.routes.pop("/p/1.jpg")
    service.check_round(T0 + 2 * HOUR)
    for day in range(1, 4):
        service.notice_round(T0 + day * 24 * HOUR)
    fake.routes.pop("/p/2.jpg")
    service.check_round(T0 + 72 * HOUR + HOUR)
    amparo.ledger.integrate()
    return made


def test_figures_and_their_ledger_entries(amparo: Amparo, scenario: list[acc.Sighting]) -> None:
    as_of = T0 + dt.timedelta(days=50)
    with amparo.session() as s:
        report = acc.build_report(s, "fakeshare", T0 - HOUR, T0 + HOUR, as_of=as_of)
    m = report.metrics
    assert m.items == 3 and m.removed == 2
    assert m.removed_within_24h == pytest.approx(1 / 3)
    assert m.removed_within_7d == pytest.approx(2 / 3)
    assert m.still_online_after_42d == pytest.approx(1 / 3)
    assert m.median_hours_to_removal == pytest.approx((2 + 73) / 2)
    assert m.notices_per_item == 3.0  # 1 + 4 + 4: notices until removal
    figures = {f.name: f for f in report.figures}
    removal = figures["median_hours_to_removal"]
    kinds = {r.kind for r in removal.ledger}
    assert kinds == {"accountability.notice", "accountability.removal"}
    assert all(r.index is not None for r in removal.ledger)
    for ref in removal.ledger:
        data = json.loads(amparo.ledger.disclose(ref.seq).record_text)["data"]
        assert data["sighting_id"] in {scenario[0].id, scenario[1].id}
    assert len(figures["notices_per_item"].ledger) == 9
    with amparo.session() as s:
        outside = acc.build_report(s, "fakeshare", T0 + HOUR, T0 + 2 * HOUR, as_of=as_of)
    assert outside.metrics.items == 0 and outside.metrics.median_hours_to_removal is None


def test_api_report_json_csv_and_bad_input(
    client: TestClient, headers: Headers, scenario: list[acc.Sighting]
) -> None:
    h = headers("auditor")
    day = T0.date().isoformat()
    url = f"/v1/accountability/report?platform=fakeshare&from={day}&to={day}"
    body = client.get(url, headers=h).json()
    assert {f["name"] for f in body["figures"]} == set(acc.FIGURES)
    assert len(body["items"]) == 3 and body["from"] == body["to"] == day
    answer = client.get(url + "&format=csv", headers=h)
    assert answer.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert [r["figure"] for r in rows] == list(acc.FIGURES)
    assert (
        rows[0]["to"] == day
        and rows[0]["value"] == "3"
        and re.fullmatch(r"(\d+@\d+ ?)+", rows[0]["ledger_entries"])
    )
    page = client.get(url + "&format=html", headers=h)
    assert page.headers["content-type"].startswith("text/html") and "<table>" in page.text
    pdf = client.get(url + "&format=pdf", headers=h)
    assert pdf.headers["content-type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    for query, status in (
        ("platform=nope&from=2026-01-01&to=2026-01-02", 404),
        ("platform=fakeshare&from=2026-13-01&to=2026-01-02", 400),
        ("platform=fakeshare&from=2026-02-01&to=2026-01-02", 400),
        (f"platform=fakeshare&from={day}&to={day}&format=doc", 400),
        ("platform=fakeshare&from=2026-01-01", 422),
    ):
        bad = client.get(f"/v1/accountability/report?{query}", headers=h)
        assert bad.status_code == status, query
        assert {"error", "message", "hint"} <= set(bad.json())
    assert client.get(url, headers=headers("scanner")).status_code == 403


def test_cli_report_files(
    amparo: Amparo,
    scenario: list[acc.Sighting],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(Runtime, "open", classmethod(lambda cls, settings, **kw: amparo))
    runner = CliRunner()
    day = T0.date().isoformat()
    base = ["accountability", "report", "--platform", "fakeshare", "--from", day, "--to", day]
    page = tmp_path / "r.html"
    done = runner.invoke(app, [*base, "--format", "html", "--out", str(page)])
    assert done.exit_code == 0, done.output
    text = page.read_text()
    assert text.count('src="data:image/png;base64,') == 2
    assert "/v1/ledger/records/" in text and "/v1/ledger/proofs/" in text
    assert not re.search(r'(src|href)="(https?:)?//', text)  # nothing loaded from elsewhere
    pdf = tmp_path / "r.pdf"
    assert runner.invoke(app, [*base, "--format", "pdf", "--out", str(pdf)]).exit_code == 0
    assert pdf.read_bytes().startswith(b"%PDF")
    printed = runner.invoke(app, base)
    assert printed.exit_code == 0 and printed.output.startswith("platform,from,to")
    no_file = runner.invoke(app, [*base, "--format", "pdf"])
    assert no_file.exit_code == 2 and "--out" in no_file.output
    bad = runner.invoke(app, [*base[:-1], "2025-01-01"])
    assert bad.exit_code == 2 and "before it starts" in bad.output
