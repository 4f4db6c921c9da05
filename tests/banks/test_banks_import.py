from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from amparo import banks
from amparo.banks._import import _plain_entries, _plain_hash_list
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


def _reference_csv(text: str) -> list[tuple[int, object]]:
    """parse_csv as it read every file before plain hash lists got their own path: a dict
    per row, text checked, then the entry."""
    import csv as _csv

    from amparo import inputs
    from amparo.banks._import import _checked

    reader = _csv.DictReader(iter(text.splitlines(keepends=True)))
    reader.fieldnames = [h.strip().lower() for h in reader.fieldnames or []]
    out: list[tuple[int, object]] = []
    rows = iter(reader)
    while True:
        try:
            fields = next(rows)
        except StopIteration:
            return out
        except _csv.Error as exc:
            out.append((reader.line_num + 1, f"not readable as CSV: {exc}"))
            continue
        if None in fields:
            out.append((reader.line_num, "more values than header columns"))
            continue
        problem = next(
            (
                f"column {k} {p}"
                for k, v in fields.items()
                if isinstance(v, str) and (p := inputs.text_problem(v))
            ),
            None,
        )
        out.append((reader.line_num, problem) if problem else _checked(reader.line_num, fields))


_CELL = st.one_of(
    st.just(""),
    st.just("00" * 16),
    st.just("AB" * 32),
    st.just(" " + "0f" * 32 + " "),
    st.just("0f" * 31),
    st.just("zz" * 32),
    st.just("a\x00b"),
    st.just('"quoted, with comma"'),
    st.text(alphabet='0123456789abcdefXYZ ,"\x00\ud800', max_size=70),
)


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(["pdq", "md5,sha256", "PDQ , md5", "sha256,pdq,video_md5"]),
    st.lists(st.lists(_CELL, min_size=0, max_size=5), max_size=12),
)
def test_hash_list_csv_reads_as_the_general_path_does(header: str, rows: list[list[str]]) -> None:
    """A plain hash list takes a faster path: every row and every reason must be what the
    general path gives (bad hex, NUL, surrogates, too many or too few values, blank lines)."""
    text = header + "\n" + "".join(",".join(r) + "\n" for r in rows)
    lines = text.splitlines(keepends=True)
    assert list(banks.parse_csv(iter(lines))) == _reference_csv(text)


_LINE = st.one_of(
    st.just("ab" * 32),
    st.just("AB" * 32),
    st.just("00" * 16),
    st.just(" " + "0f" * 32),
    st.just("0f" * 31),
    st.just(""),
    st.just('"' + "ab" * 32 + '"'),
    st.text(alphabet="0123456789abcdefABCDEF \r", min_size=30, max_size=66),
)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(["pdq", "md5", "PDQ ", "sha256", "pdq,md5", '"pdq"']),
    st.lists(_LINE, max_size=12),
    st.sampled_from(["\n", "\r\n"]),
    st.booleans(),
)
def test_a_plain_hash_file_skips_the_check_and_imports_what_the_general_path_would(
    header: str, rows: list[str], newline: str, last_newline: bool
) -> None:
    """A one-column file of hashes alone is checked by one regular expression; it must be
    taken for one only when the general path finds no bad row, and then give its entries."""
    text = newline.join([header, *rows]) + (newline if last_newline else "")
    lines = text.splitlines(keepends=True)
    general = list(banks.parse_csv(iter(lines)))
    plain = _plain_hash_list(lambda: iter(lines))
    if plain is None:
        return
    assert all(not isinstance(r, str) for _, r in general), general
    assert plain == (header.strip().lower(), len(general))
    assert list(_plain_entries(lambda: iter(lines), plain[0])) == [r for _, r in general]


@settings(max_examples=100)
@given(st.lists(st.booleans(), min_size=1, max_size=30))
def test_lines_that_stopped_being_hashes_are_skipped(hashes: list[bool]) -> None:
    """A file changed between the check and the import: its entries are its hash lines."""
    lines = ["md5\n"] + [f"{i:032X}\n" if h else f"row {i}\n" for i, h in enumerate(hashes)]
    got = list(_plain_entries(lambda: iter(lines), "md5"))
    assert [e.signals["md5"] for e in got] == [f"{i:032x}" for i, h in enumerate(hashes) if h]


def test_a_plain_hash_file_is_taken_for_one() -> None:
    text = "pdq\r\n" + "AB" * 32 + "\r\n" + "0f" * 32
    assert _plain_hash_list(lambda: iter(text.splitlines(keepends=True))) == ("pdq", 2)
