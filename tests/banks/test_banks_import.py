from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from amparo import banks
from amparo.errors import ImportRowsError, InputError
from amparo.runtime import Amparo

PDQ = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"
MD5 = "d41d8cd98f00b204e9800998ecf8427e"

GOOD_AND_BAD = f"""signal_type,value,source_id,category,tags
pdq,{PDQ},a,A1,generative_ai
md5,{MD5},b,,
pdq,nothex,c,,
md5,{MD5},d,Z9,
sha256,{"0" * 64},e,B2,x|y
"""


def _lines(text: str) -> Iterator[str]:
    return iter(text.splitlines(keepends=True))


def _import(amparo: Amparo, text: str, fmt: str = "csv", skip: bool = False) -> banks.ImportResult:
    with amparo.session() as s:
        banks.create_bank(s, "IMP") if "IMP" not in {b.name for b in banks.list_banks(s)} else None
    return banks.import_entries(
        amparo.session,
        "IMP",
        lambda: _lines(text),
        fmt,
        skip_bad_rows=skip,  # type: ignore[arg-type]
    )


def test_bad_rows_are_reported_by_row_number_and_nothing_imported(amparo: Amparo) -> None:
    with pytest.raises(ImportRowsError) as info:
        _import(amparo, GOOD_AND_BAD)
    assert [n for n, _ in info.value.rows] == [4, 5]
    assert "invalid pdq" in info.value.rows[0][1].lower()
    assert "unknown category" in info.value.rows[1][1]
    with amparo.session() as s:
        assert banks.bank_sizes(s)["IMP"] == 0


def test_skip_bad_rows_imports_the_good_ones(amparo: Amparo) -> None:
    result = _import(amparo, GOOD_AND_BAD, skip=True)
    assert result.imported == 3
    assert [n for n, _ in result.bad_rows] == [4, 5]
    with amparo.session() as s:
        entries = banks.list_entries(s, "IMP")
    assert [e.source_id for e in entries] == ["a", "b", "e"]
    assert entries[0].tags == ("generative_ai",) and entries[2].tags == ("x", "y")


def test_per_type_columns_make_one_entry(amparo: Amparo) -> None:
    result = _import(amparo, f"pdq,md5,note\n{PDQ},{MD5},both\n")
    assert result.imported == 1
    with amparo.session() as s:
        (entry,) = banks.list_entries(s, "IMP")
    assert entry.signals == {"pdq": PDQ, "md5": MD5}


def test_jsonl(amparo: Amparo) -> None:
    text = (
        f'{{"signals": {{"pdq": "{PDQ}"}}, "tags": ["generative_ai"], "category": "A"}}\n'
        "\n"
        "not json\n"
        f'{{"signal_type": "md5", "value": "{MD5.upper()}"}}\n'
        "[1, 2]\n"
    )
    with pytest.raises(ImportRowsError) as info:
        _import(amparo, text, "jsonl")
    assert [n for n, _ in info.value.rows] == [3, 5]
    result = _import(amparo, text, "jsonl", skip=True)
    assert result.imported == 2


def test_unknown_column_is_refused(amparo: Amparo) -> None:
    with pytest.raises(InputError, match="unknown CSV column"):
        _import(amparo, "hash,value\nx,y\n")


def test_file_import_via_path(amparo: Amparo, tmp_path: Path) -> None:
    path = tmp_path / "list.csv"
    path.write_text(f"md5\n{MD5}\n")
    with amparo.session() as s:
        banks.create_bank(s, "FILE")

    def open_lines() -> Iterator[str]:
        with path.open() as fh:
            yield from fh

    result = banks.import_entries(amparo.session, "FILE", open_lines, "csv")
    assert result.imported == 1


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.booleans(), min_size=1, max_size=30))
def test_every_row_is_imported_or_reported(amparo: Amparo, good_rows: list[bool]) -> None:
    """Rule: with skip_bad_rows, good rows are imported and exactly the bad rows are reported."""
    lines = ["signal_type,value"]
    for i, good in enumerate(good_rows):
        lines.append(f"md5,{i:032x}" if good else f"md5,bad{i}")
    text = "\n".join(lines) + "\n"
    with amparo.session() as s:
        for b in banks.list_banks(s):
            banks.delete_bank(s, b.name)
    result = _import(amparo, text, skip=True)
    assert result.imported == sum(good_rows)
    assert [n for n, _ in result.bad_rows] == [i + 2 for i, g in enumerate(good_rows) if not g]


def test_text_with_tabs_newlines_and_backslashes_round_trips(amparo: Amparo) -> None:
    """PostgreSQL imports go through COPY's text format: its escapes must be right."""
    awkward = "a\tb\\c\nd\re \\N"
    line = json.dumps({"md5": MD5, "source_id": awkward, "note": awkward, "tags": ["x"]})
    result = _import(amparo, line + "\n", fmt="jsonl")
    assert result.imported == 1
    with amparo.session() as s:
        (entry,) = banks.list_entries(s, "IMP")
    assert entry.source_id == awkward and entry.note == awkward and entry.tags == ("x",)
