"""Prosecutors' case packages: a case gathers sightings and scans; an export writes one
archive a prosecutor or hotline can check without Amparo.

:func:`create_case`, :func:`add_items`, :func:`export_case` (evidence from the vault
age-encrypted to the recipient, manifest of hashes, custody record, timeline, ledger
inclusion proofs with the checkpoint and its cosignatures, a PDF summary) and
:func:`verify_archive` (offline, naming anything changed). The items' data comes through
:class:`CaseSources` (bound per runtime with :func:`bind_sources`).
"""

from amparo.cases._age import Recipients, parse_identity, parse_recipients
from amparo.cases._binding import ScanSources, VaultSources, bind_sources, sources_for
from amparo.cases._events import (
    CaseCreated,
    CaseExported,
    CaseExportFailed,
    CaseExportSealed,
    CaseItemAdded,
)
from amparo.cases._export import ARCHIVE_FORMAT, ExportContext, Opener, export_case
from amparo.cases._service import (
    CASE_ROLES,
    Transactional,
    add_items,
    create_case,
    get_case,
    list_cases,
    parse_item,
)
from amparo.cases._verify import verify_archive
from amparo.cases.base import (
    ITEM_KINDS,
    CaseItem,
    CaseSources,
    CaseSummary,
    CustodyEvent,
    EvidenceInfo,
    ExportReport,
    ItemInfo,
    ItemKind,
    TimelineEvent,
    VerifyReport,
)

__all__ = [
    "ARCHIVE_FORMAT",
    "CASE_ROLES",
    "ITEM_KINDS",
    "CaseCreated",
    "CaseExportFailed",
    "CaseExportSealed",
    "CaseExported",
    "CaseItem",
    "CaseItemAdded",
    "CaseSources",
    "CaseSummary",
    "CustodyEvent",
    "EvidenceInfo",
    "ExportContext",
    "ExportReport",
    "ItemInfo",
    "ItemKind",
    "Opener",
    "Recipients",
    "ScanSources",
    "TimelineEvent",
    "Transactional",
    "VaultSources",
    "VerifyReport",
    "add_items",
    "bind_sources",
    "create_case",
    "export_case",
    "get_case",
    "list_cases",
    "parse_identity",
    "parse_item",
    "parse_recipients",
    "sources_for",
    "verify_archive",
]
