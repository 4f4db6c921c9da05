"""Use cases: what the command line and both HTTP APIs do, written once.

Each is a function over narrow interfaces (:mod:`amparo.usecases.base`), with one unit of
work (or one scan record) per call. Adapters parse input, call one use case and render.
"""

from amparo.usecases._effects import ApplyDecision
from amparo.usecases._entries import MEDIA_SIGNALS, LowQualityError, add_media_entry, media_signals
from amparo.usecases._policy import (
    PolicyTest,
    activate_policy,
    active_policy_view,
    check_policy,
    policy_text,
    try_policy_on_media,
    try_policy_on_scan,
)
from amparo.usecases._scan import (
    HashMatches,
    ScanResult,
    match_hashes,
    observe,
    queries_for,
    scan_media,
)
from amparo.usecases.base import DecisionEffect, ScanContext, ScanSink, Transactional

__all__ = [
    "MEDIA_SIGNALS",
    "ApplyDecision",
    "DecisionEffect",
    "HashMatches",
    "LowQualityError",
    "PolicyTest",
    "ScanContext",
    "ScanResult",
    "ScanSink",
    "Transactional",
    "activate_policy",
    "active_policy_view",
    "add_media_entry",
    "check_policy",
    "match_hashes",
    "media_signals",
    "observe",
    "policy_text",
    "queries_for",
    "scan_media",
    "try_policy_on_media",
    "try_policy_on_scan",
]
