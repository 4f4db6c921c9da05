"""Scanning: hash media, look the hashes up in every bank, record what was found."""

from amparo.scan._follower import IndexFollower, IndexStatus
from amparo.scan._match import Match, Matcher, Query, merge_matches
from amparo.scan._pipeline import ScanResult, match_hashes, queries_for, scan_media

__all__ = [
    "IndexFollower",
    "IndexStatus",
    "Match",
    "Matcher",
    "Query",
    "ScanResult",
    "match_hashes",
    "merge_matches",
    "queries_for",
    "scan_media",
]
