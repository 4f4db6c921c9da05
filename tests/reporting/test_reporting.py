"""Report drafts: stored with the scan's facts in one unit of work, ledgered, listed, read
(library, CLI, HTTP), and refused clearly on bad input."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from amparo import reporting
from amparo.cli import app as cli_app
from amparo.config import Settings
from amparo.errors import InputError, NotFoundError
from amparo.matching import Match
from amparo.provenance import ProvenanceReport
from amparo.runtime import Amparo
from amparo.scan import ScanRecord, new_scan_id

MD5 = "0" * 32
SHA = "1" * 64
PDQ = "f" * 64


def _record(verdict: str = "no_ai_signal") -> ScanRecord:
    match = Match("KNOWN", 7, 70, "pdq", 3, "A1", ("t",), "ncmec", "x-9", True)
    return ScanRecord(
        scan_id=new_scan_id(),
        source="upload",
        filename="a.jpg",
        hashes={"md5": MD5, "sha256": SHA, "pdq": PDQ},
        pdq_quality=90,
        matches=(match,),
        provenance=ProvenanceReport(verdict, ()),  # type: ignore[arg-type]
        key_id=None,
    )


META = {"content_id": "c-1", "uploader_id": "u-9", "surface": "chat", "country": "ES"}


def test_a_draft_holds_the_facts_and_is_ledgered(amparo: Amparo) -> None:
    record = _record()
    with amparo.session() as s:
        draft = reporting.draft_report(s, "ncmec", record, META, rule="known-material")
        events = list(s.events)
    assert [type(e).__name__ for e in events] == ["ReportDrafted"]
    with amparo.session() as s:
        stored = reporting.get_draft(s, draft.id)
    facts = stored.facts
    assert facts["ncmec"]["fileDetails"] == {
        "originalFileName": "a.jpg",
        "md5": MD5,
        "sha256": SHA,
        "pdq": PDQ,
        "generativeAi": False,
    }
    assert facts["ncmec"]["reportedPerson"] == {"espIdentifier": "u-9"}
    assert facts["matches"][0]["bank"] == "KNOWN"
    assert facts["content"] == META
    assert stored.status == "draft" and stored.scan_id == record.scan_id


@pytest.mark.parametrize(
    ("verdict", "keyword", "generative"),
    [
        ("declared_ai", "KEYWORD_CHILD_SEXUAL_ABUSE_MATERIAL_DEEPFAKE", True),
        ("likely_ai", "KEYWORD_CHILD_SEXUAL_ABUSE_MATERIAL_DEEPFAKE", True),
        ("no_ai_signal", "KEYWORD_CHILD_SEXUAL_ABUSE_MATERIAL", False),
        ("stripped", "KEYWORD_CHILD_SEXUAL_ABUSE_MATERIAL", False),
    ],
)
def test_ai_generated_material_is_flagged_in_both_kinds(
    verdict: str, keyword: str, generative: bool
) -> None:
    record = _record(verdict)
    dsa = reporting.report_facts("dsa", record, META, rule="r")["dsa"]
    assert dsa["category"] == "STATEMENT_CATEGORY_PROTECTION_OF_MINORS"
    assert dsa["category_specification"] == [keyword]
    assert dsa["territorial_scope"] == ["ES"]
    ncmec = reporting.report_facts("ncmec", record, META, rule="r")["ncmec"]
    assert ncmec["fileDetails"]["generativeAi"] is generative


@given(
    st.dictionaries(
        st.sampled_from(["content_id", "uploader_id", "surface", "country"]),
        st.one_of(st.none(), st.text(max_size=20)),
    ),
    st.sampled_from(reporting.REPORT_KINDS),
)
def test_facts_are_plain_json_whatever_the_metadata(meta: dict[str, str | None], kind: str) -> None:
    facts = reporting.report_facts(kind, _record(), meta, rule="r")
    assert json.loads(json.dumps(facts)) == facts
    assert set(facts["content"]) == {"content_id", "uploader_id", "surface", "country"}


def test_bad_kind_and_missing_draft_are_clear_errors(amparo: Amparo) -> None:
    with pytest.raises(InputError, match="unknown report kind 'email'"), amparo.session() as s:
        reporting.draft_report(s, "email", _record(), META, rule="r")
    with amparo.session() as s:
        with pytest.raises(NotFoundError, match="no report draft 99"):
            reporting.get_draft(s, 99)
        with pytest.raises(InputError, match="limit"):
            reporting.list_drafts(s, limit=0)


def test_routes_list_and_show_drafts_to_reviewers_and_auditors(
    amparo: Amparo, client: TestClient, headers: Callable[[str], dict[str, str]]
) -> None:
    with amparo.session() as s:
        first = reporting.draft_report(s, "ncmec", _record(), META, rule="r1")
        reporting.draft_report(s, "dsa", _record("declared_ai"), META, rule="r2")
    for role in ("reviewer", "auditor", "admin"):
        r = client.get("/v1/reports", params={"kind": "dsa"}, headers=headers(role))
        assert r.status_code == 200, r.text
        assert [d["rule"] for d in r.json()["reports"]] == ["r2"]
    page = client.get("/v1/reports", params={"limit": 1}, headers=headers("auditor")).json()
    assert page["next_after"] == first.id
    one = client.get(f"/v1/reports/{first.id}", headers=headers("auditor")).json()
    assert one["facts"]["ncmec"]["fileDetails"]["md5"] == MD5
    assert client.get("/v1/reports", headers=headers("scanner")).status_code == 403
    for url, status, error in [
        ("/v1/reports/424242", 404, "not_found"),
        ("/v1/reports?kind=email", 400, "invalid_input"),
        (f"/v1/reports/{2**70}", 422, "invalid_input"),
    ]:
        r = client.get(url, headers=headers("auditor"))
        assert r.status_code == status, (url, r.text)
        assert r.json()["error"] == error


def test_cli_lists_and_shows_drafts(amparo: Amparo, settings: Settings) -> None:
    with amparo.session() as s:
        draft = reporting.draft_report(s, "dsa", _record(), META, rule="r1")
    env = {
        "AMPARO_DATA_DIR": str(settings.data_dir),
        "AMPARO_DATABASE_URL": settings.resolved_database_url,
    }
    runner = CliRunner()
    listed = runner.invoke(cli_app, ["reports", "list", "--json"], env=env)
    assert listed.exit_code == 0, listed.output
    assert json.loads(listed.output.splitlines()[0])["id"] == draft.id
    shown = runner.invoke(cli_app, ["reports", "show", str(draft.id)], env=env)
    assert json.loads(shown.output)["facts"]["dsa"]["puid"] == "c-1"
    missing = runner.invoke(cli_app, ["reports", "show", "999"], env=env)
    assert missing.exit_code == 2
    assert "no report draft 999" in missing.output
