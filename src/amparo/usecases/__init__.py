"""Use cases: what the command line and both HTTP APIs do, written once.

Each is a function over narrow interfaces (:mod:`amparo.usecases.base`), with one unit of
work (or one scan record) per call. Adapters parse input, call one use case and render.
"""

from amparo.usecases._entries import MEDIA_SIGNALS, LowQualityError, add_media_entry, media_signals
from amparo.usecases._scan import (
    HashMatches,
    ScanResult,
    match_hashes,
    queries_for,
    scan_media,
)
from amparo.usecases.base import DecisionEffect, ScanContext, ScanSink, Transactional

__all__ = [
    "MEDIA_SIGNALS",
    "DecisionEffect",
    "HashMatches",
    "LowQualityError",
    "ScanContext",
    "ScanResult",
    "ScanSink",
    "Transactional",
    "add_media_entry",
    "match_hashes",
    "media_signals",
    "queries_for",
    "scan_media",
]
