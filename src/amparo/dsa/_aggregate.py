"""Per-platform, per-day aggregates of one dump's tables, computed by DuckDB.

Each table (a CSV of up to 100,000 statements, or a Parquet file) is read by DuckDB with
only the columns the aggregates need; what is kept in Python is one small group per
(platform, decision day, dump day, scope) with a histogram of decision delays, so memory is
flat in the dump's size. Rows DuckDB cannot parse (a wrong number of fields, an unclosed
quote, bad UTF-8) and rows without a usable platform or date are counted by reason, never
fatal. A header without the needed columns is an :class:`InputError` naming them.
"""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb

from amparo.dsa import _columns as c
from amparo.dsa._dump import DumpMember
from amparo.errors import InputError

__all__ = ["Aggregator", "Group", "GroupKey"]

GroupKey = tuple[str, date, date, str]
"""(platform, decision day, dump day, scope)."""


@dataclass
class Group:
    """Counts of one (platform, decision day, dump day, scope)."""

    statements: int = 0
    automated_detection: int = 0
    automated_decision_fully: int = 0
    automated_decision_partially: int = 0
    content_removed: int = 0
    delays: Counter[int] = field(default_factory=Counter)
    """Days from the content's date to the decision -> statements."""

    def add(self, other: Group) -> None:
        self.statements += other.statements
        self.automated_detection += other.automated_detection
        self.automated_decision_fully += other.automated_decision_fully
        self.automated_decision_partially += other.automated_decision_partially
        self.content_removed += other.content_removed
        self.delays.update(other.delays)


def _text(column: str) -> str:
    # Lists (Parquet) and JSON-array strings (CSV) both become searchable text.
    return f"coalesce(CAST({column} AS VARCHAR), '')"


# One pass over the table, grouped by everything the aggregates need: the result has one
# row per distinct combination (a few hundred per platform and day), whatever the table's
# size. Dates are read from their first ten characters (YYYY-MM-DD). ``csam`` matches the
# CSAM keyword and its deepfake variant, the only keyword that extends it.
_GROUPED = f"""
SELECT
  platform, day, dump_day, date_diff('day', content_day, day) AS delay,
  CASE
    WHEN platform = '' THEN 'no platform_name'
    WHEN dump_day IS NULL THEN 'bad created_at'
    WHEN day IS NULL THEN 'bad application_date'
    WHEN content_day IS NULL THEN 'bad content_date'
  END AS bad,
  minors, csam, deepfake, grooming, auto_detected, fully, partially, removed, count(*)
FROM (
  SELECT
    coalesce(trim(CAST(platform_name AS VARCHAR)), '') AS platform,
    TRY_CAST(left(CAST(created_at AS VARCHAR), 10) AS DATE) AS dump_day,
    TRY_CAST(left(CAST(application_date AS VARCHAR), 10) AS DATE) AS day,
    TRY_CAST(left(CAST(content_date AS VARCHAR), 10) AS DATE) AS content_day,
    {_text("category")} = '{c.CATEGORY_PROTECTION_OF_MINORS}'
      OR contains({_text("category_addition")}, '{c.CATEGORY_PROTECTION_OF_MINORS}') AS minors,
    contains({_text("category_specification")}, '{c.KEYWORD_CSAM}') AS csam,
    contains({_text("category_specification")}, '{c.KEYWORD_CSAM_DEEPFAKE}') AS deepfake,
    contains({_text("category_specification")}, '{c.KEYWORD_GROOMING}') AS grooming,
    {_text("automated_detection")} = '{c.AUTOMATED_DETECTION_YES}' AS auto_detected,
    {_text("automated_decision")} = '{c.DECISION_FULLY}' AS fully,
    {_text("automated_decision")} = '{c.DECISION_PARTIALLY}' AS partially,
    contains({_text("decision_visibility")}, '{c.VISIBILITY_REMOVED}') AS removed
  FROM {{source}}
)
GROUP BY ALL
"""


def _quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _csv_header(member: DumpMember) -> list[str]:
    try:
        with member.path.open(encoding="utf-8-sig", errors="replace", newline="") as f:
            return next(csv.reader(f), [])
    except (OSError, csv.Error) as exc:
        raise InputError(f"{member.name}: cannot read the header: {exc}") from None


class Aggregator:
    """Adds dump tables into groups; ``rows`` and ``bad`` count what was read.

    ``platform`` (case-insensitive) keeps only that platform's statements (a global dump
    holds every platform's).
    """

    def __init__(self, workdir: Path, *, platform: str | None = None) -> None:
        self.workdir = workdir
        self.platform = platform
        self.groups: dict[GroupKey, Group] = {}
        self.rows = 0
        self.bad: Counter[str] = Counter()
        self.in_scope: Counter[tuple[str, date]] = Counter()
        """Statements in any scope per (platform, dump day)."""

    def _connect(self) -> duckdb.DuckDBPyConnection:
        con = duckdb.connect(config={"memory_limit": "1GB", "preserve_insertion_order": False})
        con.execute(f"SET temp_directory = {_quote(str(self.workdir / 'duckdb'))}")
        return con

    def _source(self, con: duckdb.DuckDBPyConnection, member: DumpMember) -> str:
        path = _quote(str(member.path))
        if member.format == "parquet":
            try:
                header = [
                    r[0]
                    for r in con.execute(f"DESCRIBE SELECT * FROM read_parquet({path})").fetchall()
                ]
            except duckdb.Error as exc:
                raise InputError(f"{member.name} is not a readable Parquet file: {exc}") from None
            self._check_header(member, header)
            return f"read_parquet({path})"
        header = _csv_header(member)
        self._check_header(member, header)
        columns = ", ".join(f"{_quote(h)}: 'VARCHAR'" for h in header)
        return (
            f"read_csv({path}, header = true, auto_detect = false, columns = {{{columns}}}, "
            "delim = ',', quote = '\"', escape = '\"', ignore_errors = true, "
            "store_rejects = true, null_padding = false, max_line_size = 16777216)"
        )

    def _check_header(self, member: DumpMember, header: list[str]) -> None:
        missing = [col for col in c.REQUIRED_COLUMNS if col not in header]
        if missing:
            raise InputError(
                f"{member.name}: the header lacks the column(s) {', '.join(missing)}",
                hint="give a statements-of-reasons dump of the DSA Transparency Database "
                "(full or light); its first line names the columns",
            )

    def add(self, member: DumpMember) -> int:
        """Aggregate one table; return how many rows it held (good and bad)."""
        con = self._connect()
        try:
            source = self._source(con, member)
            try:
                grouped = con.execute(_GROUPED.format(source=source)).fetchall()
            except duckdb.Error as exc:
                raise InputError(f"{member.name} cannot be read as a dump: {exc}") from None
            rows = 0
            if member.format == "csv":
                rejected = con.execute(
                    "SELECT error_type, count(*) FROM (SELECT line, min(error_type) AS "
                    "error_type FROM reject_errors GROUP BY line) GROUP BY error_type"
                ).fetchall()
                for error_type, count in rejected:
                    rows += count
                    self.bad[f"unreadable CSV row ({str(error_type).lower()})"] += count
        finally:
            con.close()
        wanted = self.platform.lower() if self.platform is not None else None
        for platform, day, dump_day, delay, bad, *flags, n in grouped:
            rows += n
            if bad is not None:
                self.bad[bad] += n
                continue
            minors, csam, deepfake, grooming, detected, fully, partially, removed = flags
            if wanted is not None and platform.lower() != wanted:
                continue
            scopes = [
                s for s, on in zip(c.SCOPES, (minors, csam, deepfake, grooming), strict=True) if on
            ]
            if not scopes:
                continue
            self.in_scope[(platform, dump_day)] += n
            part = Group(
                n,
                n if detected else 0,
                n if fully else 0,
                n if partially else 0,
                n if removed else 0,
                Counter({int(delay): n}),
            )
            for scope in scopes:
                self.groups.setdefault((platform, day, dump_day, scope), Group()).add(part)
        self.rows += rows
        return rows
