"""Reports a policy asks for: drafts of NCMEC CyberTipline reports and DSA statements of
reasons, stored with the facts they need (hashes, matches, provenance, the caller's content
metadata — never media) in the scan's own transaction, and ledgered. Sending them is a
separate step; a draft is what it will send.
"""

from amparo.reporting._drafts import MAX_PAGE, ReportDraft, draft_report, get_draft, list_drafts
from amparo.reporting._events import ReportDrafted
from amparo.reporting._facts import REPORT_KINDS, report_facts

__all__ = [
    "MAX_PAGE",
    "REPORT_KINDS",
    "ReportDraft",
    "ReportDrafted",
    "draft_report",
    "get_draft",
    "list_drafts",
    "report_facts",
]
