"""Exports: items leave the vault only as one ``age`` file encrypted to a recipient.

The file decrypts (``age -d -i KEY FILE``) to an uncompressed tar holding ``manifest.json``
(format ``amparo-evidence-export/1``: each item's id, SHA-256, size, media type, source,
scan and file name; who exported it, why and when) and ``items/<id><ext>``. The tar is built
and encrypted in memory: plaintext never reaches a disk.
"""

from __future__ import annotations

import io
import json
import mimetypes
import tarfile
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import pyrage

from amparo import inputs
from amparo.errors import InputError
from amparo.evidence._model import EvidenceItem

__all__ = ["EXPORT_FORMAT", "MAX_EXPORT_BYTES", "MAX_RECIPIENT", "parse_recipient", "seal_export"]

EXPORT_FORMAT = "amparo-evidence-export/1"
MAX_RECIPIENT = 4096
"""The longest recipient accepted (an SSH RSA-4096 public key is about 750 characters)."""
MAX_EXPORT_BYTES = 1024**3
"""The most plaintext one export carries (it is assembled in memory, never on disk)."""

_RECIPIENT_HINT = (
    "give an age X25519 recipient (age1..., printed by `age-keygen`) or an SSH public key "
    "(ssh-ed25519 AAAA... or ssh-rsa AAAA...)"
)


def parse_recipient(text: str) -> Any:  # pyrage ships no type information
    """The pyrage recipient for ``text``, or :class:`InputError`."""
    inputs.check_text(text, what="the recipient")
    value = text.strip()
    shown = value if len(value) <= 80 else value[:77] + "..."
    if len(value) > MAX_RECIPIENT:
        raise InputError(
            f"the recipient is {len(value):,} characters; the most is {MAX_RECIPIENT:,}",
            hint=_RECIPIENT_HINT,
        )
    try:
        if value.startswith("age1"):
            return pyrage.x25519.Recipient.from_str(value)
        if value.startswith("ssh-"):
            return pyrage.ssh.Recipient.from_str(value)
    except pyrage.RecipientError as exc:
        raise InputError(
            f"{shown!r} is not a valid age recipient ({exc})", hint=_RECIPIENT_HINT
        ) from None
    raise InputError(f"{shown!r} is not an age recipient", hint=_RECIPIENT_HINT)


def _file_name(item: EvidenceItem) -> str:
    ext = mimetypes.guess_extension(item.media_type or "") or ".bin"
    return f"items/{item.item_id}{ext}"


def _add(tar: tarfile.TarFile, name: str, data: bytes, when: datetime) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(when.timestamp())
    info.mode = 0o600
    tar.addfile(info, io.BytesIO(data))


def seal_export(
    items: Sequence[tuple[EvidenceItem, bytes]],
    recipient: Any,
    *,
    exported_by: str,
    reason: str,
    when: datetime,
) -> bytes:
    """The age-encrypted tar of ``items`` (metadata and plaintext) for ``recipient``."""
    manifest = {
        "format": EXPORT_FORMAT,
        "exported_at": when.isoformat(),
        "exported_by": exported_by,
        "reason": reason,
        "items": [
            {
                "item_id": item.item_id,
                "sha256": item.sha256,
                "size": item.size,
                "media_type": item.media_type,
                "source": item.source,
                "scan_id": item.scan_id,
                "preserved_at": item.created_at.isoformat(),
                "file": _file_name(item),
            }
            for item, _ in items
        ],
    }
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        _add(tar, "manifest.json", json.dumps(manifest, indent=2).encode() + b"\n", when)
        for item, data in items:
            _add(tar, _file_name(item), data, when)
    sealed: bytes = pyrage.encrypt(buffer.getvalue(), [recipient])
    buffer.close()
    return sealed
