"""Accountability: what platforms were told about illegal items, when, how long the items
stayed up, how often they came back — measured, and provable from the ledger.

- **Platforms** (:func:`add_platform`): name, host names, notice channel (``email``,
  ``webhook`` or ``api`` through a :class:`NoticeAdapter`), legal contact, trusted-flagger
  flag.
- **Sightings** (:func:`record_sighting`): an investigator's observation of an item at a
  URL; fetched SSRF-safely, scanned (hashes, bank matches, provenance) and preserved through
  an :class:`EvidenceSink` — the only place its bytes go.
- **Notices** (:meth:`Accountability.notice_round`): DSA Art. 16 notices, re-sent on a
  schedule until removal and escalated to the legal contact after N.
- **Takedown monitoring** (:meth:`Accountability.check_round`): each noticed URL checked
  again (status, hash of what is served, removal pages, geo-blocks) with per-host spacing,
  jitter and back-off; replicas share the schedule without double checks.
- **Re-uploads** (:func:`link_reuploads`): a scan or sighting that matches a noticed item.
- **Observations** (:class:`SightingObservations`): per platform and day, what the DSA
  cross-check (:mod:`amparo.dsa`) sets beside the platform's declarations.
- **Conduct reports** (:func:`build_report`, :func:`render_report`): per platform and
  period, every figure citing the ledger entries behind it.

Every change is a typed ledger event (``accountability.*``) in the same unit of work.
Detection itself is not here: intake uses :func:`amparo.usecases.scan_media`.
"""

from amparo.accountability._cases import SightingSources
from amparo.accountability._channels import Notifier, SmtpConfig
from amparo.accountability._dates import parse_period, parse_time
from amparo.accountability._events import (
    ItemRemoved,
    NoticeAnswered,
    NoticeFailed,
    NoticeSent,
    PlatformConfigured,
    ReuploadLinked,
    SightingRecorded,
    TakedownChecked,
)
from amparo.accountability._metrics import ConductMetrics, ItemTimeline, conduct_metrics, percentile
from amparo.accountability._model import (
    AI_VERDICTS,
    CHANNELS,
    Channel,
    EvidenceSink,
    Notice,
    NoticeAdapter,
    Platform,
    Sighting,
    VaultSink,
)
from amparo.accountability._monitor import REMOVAL_KINDS, CheckPolicy, Classified, classify
from amparo.accountability._notices import NoticePolicy, explanation
from amparo.accountability._observations import SightingObservations
from amparo.accountability._platforms import (
    add_platform,
    get_platform,
    list_platforms,
    platform_for_url,
)
from amparo.accountability._render import FORMATS
from amparo.accountability._render import render as render_report
from amparo.accountability._report import (
    FIGURES,
    ConductReport,
    FigureRow,
    LedgerRef,
    build_report,
)
from amparo.accountability._reuploads import (
    Reupload,
    ReuploadEffect,
    link_reuploads,
    load_noticed,
)
from amparo.accountability._service import Accountability
from amparo.accountability._sightings import (
    IntakeContext,
    get_sighting,
    list_sightings,
    record_answer,
    record_sighting,
)
from amparo.accountability._timeline import TimelineEntry, sighting_timeline

__all__ = [
    "AI_VERDICTS",
    "CHANNELS",
    "FIGURES",
    "FORMATS",
    "REMOVAL_KINDS",
    "Accountability",
    "Channel",
    "CheckPolicy",
    "Classified",
    "ConductMetrics",
    "ConductReport",
    "EvidenceSink",
    "FigureRow",
    "IntakeContext",
    "ItemRemoved",
    "ItemTimeline",
    "LedgerRef",
    "Notice",
    "NoticeAdapter",
    "NoticeAnswered",
    "NoticeFailed",
    "NoticePolicy",
    "NoticeSent",
    "Notifier",
    "Platform",
    "PlatformConfigured",
    "Reupload",
    "ReuploadEffect",
    "ReuploadLinked",
    "Sighting",
    "SightingObservations",
    "SightingRecorded",
    "SightingSources",
    "SmtpConfig",
    "TakedownChecked",
    "TimelineEntry",
    "VaultSink",
    "add_platform",
    "build_report",
    "classify",
    "conduct_metrics",
    "explanation",
    "get_platform",
    "get_sighting",
    "link_reuploads",
    "list_platforms",
    "list_sightings",
    "load_noticed",
    "parse_period",
    "parse_time",
    "percentile",
    "platform_for_url",
    "record_answer",
    "record_sighting",
    "render_report",
    "sighting_timeline",
]
