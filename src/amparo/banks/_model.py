"""Domain values of banks and their entries, and the rules their fields follow."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from amparo.errors import InputError
from amparo.matching import is_enabled

__all__ = [
    "CATEGORIES",
    "DEFAULT_PDQ_THRESHOLD",
    "Bank",
    "Entry",
    "NewEntry",
    "check_bank_name",
    "check_category",
    "check_note",
    "check_tags",
]

DEFAULT_PDQ_THRESHOLD = 31
# NCMEC industry classification (A1, A2, B1, B2) and IWF categories (A, B, C).
CATEGORIES: tuple[str, ...] = ("A1", "A2", "B1", "B2", "A", "B", "C")
_BANK_NAME = re.compile(r"[A-Z_][A-Z0-9_]*")
_TAG = re.compile(r"[a-z0-9][a-z0-9_.:-]{0,63}")
MAX_NOTE = 255


def check_bank_name(name: str) -> str:
    """Bank names are UPPER_WITH_UNDERSCORE (as in HMA), at most 255 characters."""
    if not isinstance(name, str) or not _BANK_NAME.fullmatch(name) or len(name) > 255:
        raise InputError(
            f"invalid bank name {name!r}: bank names must be UPPER_WITH_UNDERSCORE",
            hint="use capital letters, digits and underscores, not starting with a digit, "
            "e.g. NCMEC_INDUSTRY",
        )
    return name


def check_category(category: str | None) -> str | None:
    """The category in canonical form (upper case) or None; :class:`InputError` if unknown."""
    if category is None or category == "":
        return None
    value = category.strip().upper()
    if value in ("NONE", ""):
        return None
    if value not in CATEGORIES:
        raise InputError(
            f"unknown category {category!r}",
            hint="use an NCMEC industry class (A1, A2, B1, B2), an IWF category (A, B, C) or none",
        )
    return value


def check_tags(tags: Iterable[str] | str | None) -> tuple[str, ...]:
    """Tags lower-cased, checked and de-duplicated; a string is split on ``|``, ``;`` or ``,``."""
    if tags is None:
        return ()
    items = re.split(r"[|;,]", tags) if isinstance(tags, str) else list(tags)
    out: list[str] = []
    for raw in items:
        if not isinstance(raw, str):
            raise InputError(f"tag {raw!r} is not a string", hint="tags are short strings")
        tag = raw.strip().lower()
        if not tag:
            continue
        if not _TAG.fullmatch(tag):
            raise InputError(
                f"invalid tag {raw!r}",
                hint="tags are 1-64 characters of a-z, 0-9, '_', '.', ':' or '-', "
                "e.g. generative_ai",
            )
        if tag not in out:
            out.append(tag)
    return tuple(out)


def check_note(note: str | None) -> str | None:
    """The note, or None for none; :class:`InputError` over 255 characters."""
    if note is None or note == "":
        return None
    if not isinstance(note, str) or len(note) > MAX_NOTE:
        raise InputError(
            f"note must be at most {MAX_NOTE} characters",
            hint=f"this one has {len(note)}; shorten it",
        )
    return note


@dataclass(frozen=True)
class Bank:
    id: int
    name: str
    description: str | None
    matching_enabled_ratio: float
    pdq_threshold: int
    created_at: datetime
    updated_at: datetime

    @property
    def enabled(self) -> bool:
        return self.matching_enabled_ratio > 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "enabled": self.enabled,
            "matching_enabled_ratio": self.matching_enabled_ratio,
            "pdq_threshold": self.pdq_threshold,
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
        }


@dataclass(frozen=True)
class NewEntry:
    """An entry to add: validated signals (``{type: normalised value}``) with the quality of
    those that have one, plus descriptive fields."""

    signals: Mapping[str, str]
    source: str = "local"
    source_id: str | None = None
    category: str | None = None
    tags: tuple[str, ...] = ()
    note: str | None = None
    metadata: Mapping[str, Any] | None = None
    original_media_uri: str | None = None
    qualities: Mapping[str, int] = field(default_factory=dict)
    enabled: bool = True


@dataclass(frozen=True)
class Entry:
    id: int
    bank_id: int
    bank: str
    signals: Mapping[str, str]
    source: str
    source_id: str | None
    category: str | None
    tags: tuple[str, ...]
    note: str | None
    disable_until_ts: int
    metadata: Mapping[str, Any] | None
    original_media_uri: str | None
    created_at: datetime
    updated_at: datetime
    qualities: Mapping[str, int] = field(default_factory=dict)

    @property
    def enabled(self) -> bool:
        return is_enabled(self.disable_until_ts)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "bank": self.bank,
            "signals": dict(self.signals),
            "source": self.source,
            "source_id": self.source_id,
            "category": self.category,
            "tags": list(self.tags),
            "note": self.note,
            "enabled": self.enabled,
            "disable_until_ts": self.disable_until_ts,
            "metadata": dict(self.metadata) if self.metadata is not None else None,
            "original_media_uri": self.original_media_uri,
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
        }
