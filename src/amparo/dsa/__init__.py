"""The DSA Transparency Database cross-check: what platforms declared, against what Amparo saw.

:func:`import_dump` streams the database's daily dumps (zip of zipped CSVs, full or light,
global or per platform; Parquet) through DuckDB and keeps per-platform, per-day aggregates of
statements of reasons under protection of minors and the CSAM keywords: counts, automated
detection and decision shares, decision delays. :func:`compare` sets them beside what
Amparo observed (an :class:`Observations`, bound to the accountability package) for the same
platform and days.
"""

from amparo.dsa._binding import NoObservations, bind_observations, observations_for
from amparo.dsa._columns import FULL_COLUMNS, LIGHT_COLUMNS, REQUIRED_COLUMNS, SCOPES
from amparo.dsa._events import DsaDumpImported
from amparo.dsa._service import MAX_COMPARE_DAYS, Transactional, compare, import_dump
from amparo.dsa.base import (
    BadRows,
    Comparison,
    ComparisonDay,
    DeclaredDay,
    ImportReport,
    Observations,
    ObservedDay,
)

__all__ = [
    "FULL_COLUMNS",
    "LIGHT_COLUMNS",
    "MAX_COMPARE_DAYS",
    "REQUIRED_COLUMNS",
    "SCOPES",
    "BadRows",
    "Comparison",
    "ComparisonDay",
    "DeclaredDay",
    "DsaDumpImported",
    "ImportReport",
    "NoObservations",
    "Observations",
    "ObservedDay",
    "Transactional",
    "bind_observations",
    "compare",
    "import_dump",
    "observations_for",
]
