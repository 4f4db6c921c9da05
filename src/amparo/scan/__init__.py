"""Scans: the record of what a scan saw and matched, and the events it makes.

Scanning itself (hash, look up, read provenance, record) is the ``scan_media`` use case in
:mod:`amparo.usecases`; the runtime commits scan records in groups.
"""

from amparo.scan._events import EvidenceFact, MatchFact, ScanMatched, ScanProvenance
from amparo.scan._model import ScanRecord, new_scan_id
from amparo.scan._repo import insert_scans

__all__ = [
    "EvidenceFact",
    "MatchFact",
    "ScanMatched",
    "ScanProvenance",
    "ScanRecord",
    "insert_scans",
    "new_scan_id",
]
