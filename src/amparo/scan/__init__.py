"""Scans: the record of what a scan saw and matched, and the events it makes.

Scanning itself (hash, look up, read provenance, record) is the ``scan_media`` use case in
:mod:`amparo.usecases`; the runtime commits scan records in groups. Auditors read them back
with :func:`get_scan` and :func:`list_scans` (never the prompts a file held).
"""

from amparo.scan._events import (
    ActionFact,
    EvidenceFact,
    MatchFact,
    ScanDecided,
    ScanMatched,
    ScanProvenance,
)
from amparo.scan._model import ScanRecord, new_scan_id
from amparo.scan._repo import MAX_PAGE, StoredScan, get_scan, insert_scans, list_scans

__all__ = [
    "MAX_PAGE",
    "ActionFact",
    "EvidenceFact",
    "MatchFact",
    "ScanDecided",
    "ScanMatched",
    "ScanProvenance",
    "ScanRecord",
    "StoredScan",
    "get_scan",
    "insert_scans",
    "list_scans",
    "new_scan_id",
]
