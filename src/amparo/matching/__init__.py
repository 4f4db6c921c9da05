"""Matching in memory: indexes of every signal type, the catalog of entries and banks, lookups.

    index = PdqIndex.from_arrays(ids, hashes)       # bulk load: (n,) ids, (n, 32) uint8
    index.add([42], ["f8f8" + "0" * 60])            # matchable at once
    index.query(pdq_hex)                             # [(id, distance), ...], exact, radius 31
    matcher = Matcher({"pdq": index, "md5": ExactIndex(16)}, Catalog())
    matcher.lookup([Query("pdq", pdq_hex)])          # [[Match, ...]]

The runtime keeps indexes and catalog in step with the database's change feed; this package
never touches SQL or files other than the ones given to ``save``/``load``.
"""

from amparo.matching._catalog import BankInfo, Catalog, EntryInfo
from amparo.matching._exact_index import ExactIndex
from amparo.matching._matcher import Matcher, is_enabled, merge_matches
from amparo.matching._pdq_index import DEFAULT_RADIUS, PdqIndex, PdqIndexStats
from amparo.matching.base import Match, Query, SignalIndex

__all__ = [
    "DEFAULT_RADIUS",
    "BankInfo",
    "Catalog",
    "EntryInfo",
    "ExactIndex",
    "Match",
    "Matcher",
    "PdqIndex",
    "PdqIndexStats",
    "Query",
    "SignalIndex",
    "is_enabled",
    "merge_matches",
]
