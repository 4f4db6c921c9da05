"""The aggregation of dump tables, without a database: the rule that aggregates of a
generated dump equal a naive count, bad rows counted, headers checked, every layout read."""

from __future__ import annotations

import json
import tempfile
from collections import Counter
from pathlib import Path

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from amparo.dsa import FULL_COLUMNS, LIGHT_COLUMNS
from amparo.dsa._aggregate import Aggregator
from amparo.dsa._dump import members
from amparo.errors import InputError
from dumpfactory import (
    CATEGORIES,
    KEYWORDS,
    Statement,
    csv_bytes,
    day_of,
    random_statements,
    write_dump,
)


def _aggregate(path: Path, work: Path, platform: str | None = None) -> Aggregator:
    agg = Aggregator(work, platform=platform)
    for member in members(path, work):
        agg.add(member)
    return agg


def _naive(statements: list[Statement], platform: str | None = None) -> Counter[tuple[object, ...]]:
    """(platform, day, dump day, scope, what) -> count, by reading each statement."""
    out: Counter[tuple[object, ...]] = Counter()
    for s in statements:
        if platform is not None and s.platform.lower() != platform.lower():
            continue
        scopes = []
        if s.category == CATEGORIES[0] or CATEGORIES[0] in s.category_addition:
            scopes.append("protection_of_minors")
        if KEYWORDS[0] in s.keywords or KEYWORDS[1] in s.keywords:
            scopes.append("csam")
        if KEYWORDS[1] in s.keywords:
            scopes.append("csam_deepfake")
        if KEYWORDS[2] in s.keywords:
            scopes.append("grooming")
        key = (s.platform, day_of(s.application_date), day_of(s.created_at))
        delay = (day_of(s.application_date) - day_of(s.content_date)).days
        for scope in scopes:
            out[(*key, scope, "statements")] += 1
            out[(*key, scope, "detected")] += s.automated_detection == "Yes"
            out[(*key, scope, "fully")] += s.automated_decision == "AUTOMATED_DECISION_FULLY"
            out[(*key, scope, "partially")] += (
                s.automated_decision == "AUTOMATED_DECISION_PARTIALLY"
            )
            out[(*key, scope, "removed")] += "DECISION_VISIBILITY_CONTENT_REMOVED" in s.visibility
            out[(*key, scope, f"delay{delay}")] += 1
    return +out


def _flat(agg: Aggregator) -> Counter[tuple[object, ...]]:
    out: Counter[tuple[object, ...]] = Counter()
    for key, g in agg.groups.items():
        out[(*key, "statements")] += g.statements
        out[(*key, "detected")] += g.automated_detection
        out[(*key, "fully")] += g.automated_decision_fully
        out[(*key, "partially")] += g.automated_decision_partially
        out[(*key, "removed")] += g.content_removed
        for delay, n in g.delays.items():
            out[(*key, f"delay{delay}")] += n
    return +out


@settings(max_examples=15, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    n=st.integers(0, 120),
    per_csv=st.integers(1, 50),
    version=st.sampled_from(["full", "light"]),
    platform=st.sampled_from([None, "A", "b"]),
)
def test_aggregates_equal_a_naive_count(
    seed: int, n: int, per_csv: int, version: str, platform: str | None
) -> None:
    statements = random_statements(n, seed=seed, platforms=("A", "B", "Ünïcode, Inc."))
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        dump = write_dump(work, statements, version=version, per_csv=per_csv, per_part=2)
        agg = _aggregate(dump, work, platform)
    assert agg.rows == n
    assert not agg.bad
    assert _flat(agg) == _naive(statements, platform)


def test_bad_rows_are_counted_by_reason_and_the_rest_is_kept(tmp_path: Path) -> None:
    good = [Statement()] * 5
    broken = [
        Statement(platform=""),
        Statement(created_at="yesterday"),
        Statement(application_date="2025-02-30 00:00:00"),
        Statement(content_date="n/a"),
    ]
    tail = b'short,row\n"unterminated,quote\n'
    dump = write_dump(tmp_path, [*good, *broken], raw_tail=tail)
    agg = _aggregate(dump, tmp_path)
    assert agg.bad["no platform_name"] == 1
    assert agg.bad["bad created_at"] == 1
    assert agg.bad["bad application_date"] == 1
    assert agg.bad["bad content_date"] == 1
    assert sum(n for why, n in agg.bad.items() if why.startswith("unreadable CSV row")) == 2
    assert agg.rows == 11
    assert sum(g.statements for (*_, scope), g in agg.groups.items() if scope == "csam") == 5


def test_a_wrong_header_names_the_missing_columns(tmp_path: Path) -> None:
    columns = [c for c in FULL_COLUMNS if c not in ("category", "platform_name")]
    dump = write_dump(tmp_path, [Statement()], columns=columns)
    with pytest.raises(InputError) as info:
        _aggregate(dump, tmp_path)
    assert "lacks the column(s) category, platform_name" in info.value.message
    assert "sor-global-2025-03-03-full.zip/" in info.value.message


def test_a_bare_csv_a_single_part_and_parquet_are_read(tmp_path: Path) -> None:
    statements = random_statements(40, seed=3)
    bare = tmp_path / "statements.csv"
    bare.write_bytes(csv_bytes(statements, "light"))
    expected = _naive(statements)
    assert _flat(_aggregate(bare, tmp_path)) == expected
    parquet = tmp_path / "statements.parquet"
    con = duckdb.connect()
    con.execute(
        f"COPY (SELECT * FROM read_csv('{bare}', all_varchar = true)) TO '{parquet}' "
        "(FORMAT parquet)"
    )
    assert _flat(_aggregate(parquet, tmp_path)) == expected
    # Parquet with real lists for the array columns, as a converter may write them.
    listy = tmp_path / "lists.parquet"
    con.execute(
        f"COPY (SELECT * REPLACE (CAST(json(category_specification) AS VARCHAR[]) AS "
        f"category_specification) FROM read_parquet('{parquet}')) TO '{listy}' (FORMAT parquet)"
    )
    con.close()
    assert _flat(_aggregate(listy, tmp_path)) == expected


def test_keyword_prefixes_do_not_match_longer_keywords(tmp_path: Path) -> None:
    only_deepfake = Statement(keywords=("KEYWORD_CHILD_SEXUAL_ABUSE_MATERIAL_DEEPFAKE",))
    other = Statement(category="STATEMENT_CATEGORY_VIOLENCE", keywords=("KEYWORD_OTHER",))
    agg = _aggregate(write_dump(tmp_path, [only_deepfake, other]), tmp_path)
    scopes = Counter({k[3]: g.statements for k, g in agg.groups.items()})
    assert scopes == Counter({"protection_of_minors": 1, "csam": 1, "csam_deepfake": 1})


def test_not_a_dump_is_refused(tmp_path: Path) -> None:
    odd = tmp_path / "notes.txt"
    odd.write_text("hello")
    with pytest.raises(InputError, match="not a DSA dump"):
        list(members(odd, tmp_path))
    fake = tmp_path / "fake.zip"
    fake.write_bytes(b"PK not really")
    with pytest.raises(InputError, match="not a readable zip"):
        list(members(fake, tmp_path))


def test_light_columns_are_the_full_ones_without_free_text() -> None:
    assert set(FULL_COLUMNS) - set(LIGHT_COLUMNS) == {
        "illegal_content_explanation",
        "incompatible_content_explanation",
        "territorial_scope",
        "decision_facts",
    }
    assert json.dumps(LIGHT_COLUMNS[-3:]) == '["platform_name", "platform_uid", "created_at"]'


def test_an_error_in_a_later_table_stops_the_unzip_thread(tmp_path: Path) -> None:
    import threading
    import zipfile

    from amparo.dsa._dump import prefetched

    good = csv_bytes([Statement()] * 3)
    bad = b"uuid,category\n1,2\n"
    dump = tmp_path / "sor-global-2025-03-03-full.zip"
    with zipfile.ZipFile(dump, "w") as z:
        for n in range(6):
            z.writestr(f"part-{n:05d}.csv", bad if n == 2 else good)
    work = tmp_path / "work"
    work.mkdir()
    agg = Aggregator(work)
    with pytest.raises(InputError, match=r"part-00002\.csv: the header lacks"):
        for member in prefetched(members(dump, work)):
            try:
                agg.add(member)
            finally:
                member.discard()
    assert agg.rows == 6
    assert not [t for t in threading.enumerate() if t.name == "amparo-dsa-unzip"]
    assert [p.name for p in work.iterdir() if p.name.startswith("member-")] == []
