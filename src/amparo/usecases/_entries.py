"""Adding an entry to a bank from media: the one set of rules for the API, HMA and the CLI."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

from amparo import banks
from amparo.banks import Entry, NewEntry
from amparo.errors import InputError, InvalidSignalError
from amparo.signals import SIGNAL_TYPES, Hasher
from amparo.usecases.base import Transactional

__all__ = ["MEDIA_SIGNALS", "LowQualityError", "add_media_entry", "media_signals"]

MEDIA_SIGNALS: tuple[str, ...] = ("pdq", "md5", "sha256")
"""What an entry made from an image holds, unless the caller picks."""
_PDQ = SIGNAL_TYPES["pdq"]


class LowQualityError(InvalidSignalError):
    """The image's PDQ is below the quality threshold: too unreliable to match on."""

    code = "low_quality"

    def __init__(self, quality: int, threshold: int) -> None:
        super().__init__(
            f"the image's PDQ quality ({quality}) is below {threshold}, too low to match on",
            hint="use a larger or more detailed image; its MD5/SHA-256 can be added as hashes",
        )
        self.quality = quality
        self.threshold = threshold


def media_signals(
    hasher: Hasher, data: bytes, types: Sequence[str] = MEDIA_SIGNALS
) -> tuple[dict[str, str], dict[str, int]]:
    """The ``types`` signals of ``data`` and their qualities. A PDQ needs a decodable image
    (else the media error is raised) of sufficient quality (else :class:`LowQualityError`);
    digests are of the bytes as they are (``video_md5`` is HMA's name for a video's MD5)."""
    if not data:
        raise InputError("the file is empty", hint="send the media's bytes")
    signals: dict[str, str] = {}
    qualities: dict[str, int] = {}
    if _PDQ.name in types:
        hashed = hasher.hash(data)
        if hashed.decode_error is not None:  # an entry from media needs its PDQ
            hashed.decode_error.raise_error()
        pdq = hashed.pdq
        if pdq is None or pdq.low_quality:
            raise LowQualityError(pdq.quality if pdq else 0, hasher.quality_threshold)
        signals[_PDQ.name] = pdq.hex
        qualities[_PDQ.name] = pdq.quality
    digests = {
        "md5": lambda: hashlib.md5(data).hexdigest(),
        "video_md5": lambda: hashlib.md5(data).hexdigest(),
        "sha256": lambda: hashlib.sha256(data).hexdigest(),
    }
    for name in types:
        if name in digests:
            signals[name] = digests[name]()
        elif name != _PDQ.name:
            raise InputError(f"cannot hash media as {name!r}", hint="use pdq, md5 or sha256")
    return signals, qualities


def add_media_entry(
    ctx: Transactional,
    hasher: Hasher,
    bank: str,
    data: bytes,
    *,
    types: Sequence[str] = MEDIA_SIGNALS,
    source: str = "upload",
    source_id: str | None = None,
    category: str | None = None,
    tags: Sequence[str] | str | None = None,
    note: str | None = None,
    metadata: Mapping[str, Any] | None = None,
) -> Entry:
    """Hash ``data`` and add it to ``bank`` as one entry (see :func:`media_signals`)."""
    with ctx.session() as uow:
        banks.get_bank(uow, bank)  # before hashing: a missing bank is the first error
    signals, qualities = media_signals(hasher, data, types)
    new = NewEntry(
        signals=signals,
        source=source,
        source_id=source_id,
        category=banks.check_category(category),
        tags=banks.check_tags(tags),
        note=banks.check_note(note),
        metadata=metadata,
        qualities=qualities,
    )
    with ctx.session() as uow:
        return banks.add_entry(uow, bank, new)
