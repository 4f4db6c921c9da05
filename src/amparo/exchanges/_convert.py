"""How one record of an exchange becomes one bank entry.

A converter gets a key and a value from a threatexchange ``FetchDelta`` (value None: the
exchange retracted the record) plus the exchange's configuration, and returns an
:class:`ExchangeItem`. An item without signals means "this record should not be in the
bank": retracted, deleted, filtered out, judged harmless by the exchange's members, or holding
only signal types Amparo does not match (SHA-1, PhotoDNA, URLs, ...).

Rules:

- NCMEC: one entry per NCMEC entry (``source_id`` ``MEMBER-ID``), image PDQ and MD5 and
  video MD5 fingerprints; the classification (A1, A2, B1, B2) becomes the category; entries of
  the generative-AI environments are tagged ``generative_ai``, of the exploitative ones
  ``exploitative``; a downvote from any member adds ``disputed``.
- Signal-keyed exchanges (StopNCII, ThreatExchange, Tech Against Terrorism, files, the sample):
  one entry per signal (``source_id`` ``TYPE:VALUE``); opinion tags are kept (made safe);
  records all members call harmless are dropped, mixed opinions add ``disputed``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from threatexchange.exchanges.clients.ncmec.hash_api import (
    FeedbackType,
    NCMECEntryType,
    NCMECEntryUpdate,
)
from threatexchange.exchanges.fetch_state import (
    AggregateSignalOpinionCategory,
    FetchedSignalMetadata,
)

from amparo.banks import CATEGORIES
from amparo.errors import InvalidSignalError
from amparo.signals import SIGNAL_TYPES, normalize_signal

__all__ = [
    "MAX_TAGS",
    "ExchangeItem",
    "clean_tags",
    "convert_ncmec",
    "convert_simple",
    "convert_threatexchange",
]

MAX_TAGS = 16
_MAX_SOURCE_ID = 255
_UNSAFE = re.compile(r"[^a-z0-9_.:-]+")
_NCMEC_CATEGORIES = {c for c in CATEGORIES if len(c) == 2}
# NCMEC fingerprint names (lower case) per entry type -> Amparo signal type.
_NCMEC_SIGNALS = {
    (NCMECEntryType.image, "pdq"): "pdq",
    (NCMECEntryType.image, "md5"): "md5",
    (NCMECEntryType.image, "sha256"): "sha256",
    (NCMECEntryType.video, "md5"): "video_md5",
}
# ThreatExchange indicator types -> Amparo signal type (HASH_MD5 of videos: see below).
_TE_TYPES = {
    "HASH_PDQ": "pdq",
    "HASH_MD5": "md5",
    "HASH_VIDEO_MD5": "video_md5",
    "HASH_SHA256": "sha256",
}


@dataclass(frozen=True)
class ExchangeItem:
    """A record as a bank entry; no ``signals`` means it must not (or no longer) be there."""

    source_id: str
    signals: Mapping[str, str]
    category: str | None = None
    tags: tuple[str, ...] = ()
    metadata: Mapping[str, Any] | None = None
    # True when the record exists at the exchange but Amparo cannot use it (counted apart).
    unusable: bool = False

    @classmethod
    def absent(cls, source_id: str, *, unusable: bool = False) -> ExchangeItem:
        return cls(source_id, {}, unusable=unusable)


def clean_tags(raw: Iterable[str]) -> tuple[str, ...]:
    """Tags made to fit Amparo's tag rule (lower case, safe characters, 64 long, 16 at most)."""
    out: list[str] = []
    for tag in raw:
        cleaned = _UNSAFE.sub("_", str(tag).strip().lower()).strip("_.:-")[:64]
        if cleaned and cleaned not in out:
            out.append(cleaned)
    return tuple(out[:MAX_TAGS])


def _signal(signal_type: str, value: str) -> dict[str, str]:
    if signal_type not in SIGNAL_TYPES:
        return {}
    try:
        return {signal_type: normalize_signal(signal_type, value)}
    except InvalidSignalError:
        return {}


def _opinion_item(
    source_id: str,
    signals: Mapping[str, str],
    value: FetchedSignalMetadata,
    config: Mapping[str, Any],
) -> ExchangeItem:
    if not signals:
        return ExchangeItem.absent(source_id, unusable=True)
    opinion = value.get_as_aggregate_opinion()
    if opinion.category == AggregateSignalOpinionCategory.NEGATIVE_CLASS:
        return ExchangeItem.absent(source_id, unusable=True)
    extra = ["disputed"] if opinion.category == AggregateSignalOpinionCategory.DISPUTED else []
    tags = clean_tags([*config.get("tags", ()), *sorted(clean_tags(opinion.tags)), *extra])
    return ExchangeItem(source_id, signals, tags=tags)


def _source_id(key: tuple[str, str]) -> str | None:
    sid = f"{key[0]}:{key[1]}"
    return sid if len(sid) <= _MAX_SOURCE_ID else None


def convert_simple(key: Any, value: Any, config: Mapping[str, Any]) -> ExchangeItem:
    """A ``(signal type, value)`` keyed record (StopNCII, TAT, files, the sample)."""
    type_name, signal = str(key[0]), str(key[1])
    sid = _source_id((type_name, signal))
    if sid is None:
        return ExchangeItem.absent(f"{type_name}:", unusable=True)
    if value is None:
        return ExchangeItem.absent(sid)
    return _opinion_item(sid, _signal(type_name.lower(), signal), value, config)


def convert_threatexchange(key: Any, value: Any, config: Mapping[str, Any]) -> ExchangeItem:
    """A ThreatExchange ``(indicator type, indicator)`` record."""
    threat_type, indicator = str(key[0]), str(key[1])
    sid = _source_id((threat_type, indicator))
    if sid is None:
        return ExchangeItem.absent(f"{threat_type}:", unusable=True)
    if value is None:
        return ExchangeItem.absent(sid)
    signal_type = _TE_TYPES.get(threat_type, "")
    if threat_type == "HASH_MD5":
        tags = {t for o in value.get_as_opinions() for t in o.tags}
        signal_type = "video_md5" if "media_type_video" in tags else "md5"
    return _opinion_item(sid, _signal(signal_type, indicator), value, config)


def convert_ncmec(key: Any, value: Any, config: Mapping[str, Any]) -> ExchangeItem:
    """An NCMEC hash-sharing entry (an :class:`NCMECEntryUpdate`)."""
    sid = str(key)
    entry: NCMECEntryUpdate | None = value
    if entry is None or entry.deleted:
        return ExchangeItem.absent(sid)
    only = config.get("only_esp_ids") or ()
    if only and entry.member_id not in only:
        return ExchangeItem.absent(sid, unusable=True)
    signals: dict[str, str] = {}
    for name, fingerprint in entry.fingerprints.items():
        signal_type = _NCMEC_SIGNALS.get((entry.entry_type, name.lower()))
        if signal_type:
            signals.update(_signal(signal_type, fingerprint))
    if not signals:
        return ExchangeItem.absent(sid, unusable=True)
    classification = (entry.classification or "").strip().upper() or None
    category = classification if classification in _NCMEC_CATEGORIES else None
    environment = str(config.get("environment", "")).lower()
    tags = list(config.get("tags", ()))
    if "generative_ai" in environment:
        tags.append("generative_ai")
    if "exploitative" in environment:
        tags.append("exploitative")
    downvoted = any(
        f.feedback_type == FeedbackType.downvote for fs in entry.feedback.values() for f in fs
    )
    if downvoted:
        tags.append("disputed")
    metadata: dict[str, Any] = {
        "ncmec_member_id": entry.member_id,
        "ncmec_entry_id": entry.id,
        "ncmec_entry_type": entry.entry_type.value,
    }
    if classification and category is None:
        metadata["ncmec_classification"] = entry.classification
    return ExchangeItem(sid, signals, category=category, tags=clean_tags(tags), metadata=metadata)
