"""Review test helpers: an in-memory evidence vault and matched scans queued for review.

Everything here is benign and synthetic: "known material" is a bank entry holding the MD5
of a generated gradient or shapes picture.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass, field

from PIL import Image
from sqlalchemy.orm import Session

from amparo import banks, review
from amparo.auth import Principal
from amparo.errors import InputError, NotFoundError
from amparo.matching import Match
from amparo.media import synthetic
from amparo.runtime import Runtime
from amparo.scan import ScanRecord, insert_scans, new_scan_id

BANK = "KNOWN_TEST"


@dataclass
class MemoryVault:
    """A :class:`amparo.review.MediaSource` holding media in a dict, remembering each read."""

    media: dict[str, bytes] = field(default_factory=dict)
    reads: list[tuple[str, str, str]] = field(default_factory=list)

    def read(self, uow: Session, evidence_id: str, *, principal: Principal, reason: str) -> bytes:
        if not reason:
            raise InputError("a vault read needs a reason")
        if evidence_id not in self.media:
            raise NotFoundError(f"no evidence {evidence_id!r}")
        self.reads.append((evidence_id, principal.actor, reason))
        return self.media[evidence_id]


def picture(seed: int = 1, kind: synthetic.Kind = "shapes") -> bytes:
    """A benign synthetic JPEG."""
    return synthetic.encode(synthetic.make(kind, 320, 240, seed=seed), "JPEG", quality=90)


def animated_gif(frames: int = 3) -> bytes:
    """A benign animated GIF: flat frames of different greys."""
    images = [Image.new("RGB", (64, 48), (40 * i + 40, 90, 160)) for i in range(frames)]
    out = io.BytesIO()
    images[0].save(out, "GIF", save_all=True, append_images=images[1:], duration=100, loop=0)
    return out.getvalue()


@dataclass(frozen=True)
class Queued:
    item_id: int
    scan_id: str
    entry_id: int
    evidence_id: str


def queue_matched(
    amparo: Runtime,
    vault: MemoryVault | None = None,
    *,
    seed: int = 1,
    queue: str = "csam",
    priority: int = 5,
    source: str = "local",
    data: bytes | None = None,
) -> Queued:
    """Bank the MD5 of a synthetic picture, record a scan that matched it, preserve the
    picture in ``vault`` and queue the scan for review (as the policy would)."""
    data = data if data is not None else picture(seed)
    md5 = hashlib.md5(data).hexdigest()
    sha = hashlib.sha256(data).hexdigest()
    scan_id = new_scan_id()
    evidence_id = f"ev-{scan_id[:8]}"
    with amparo.session() as s:
        try:
            bank = banks.get_bank(s, BANK)
        except NotFoundError:
            bank = banks.create_bank(s, BANK)
        entry = banks.add_entry(
            s,
            BANK,
            banks.NewEntry(signals={"md5": md5}, source=source, source_id=f"t{seed}-{scan_id}"),
        )
        match = Match(BANK, entry.id, 0, "md5", 0, "A1", (), source, entry.source_id, True)
        insert_scans(
            s,
            [
                ScanRecord(
                    scan_id,
                    "upload",
                    "test.jpg",
                    {"md5": md5, "sha256": sha},
                    None,
                    (match,),
                    None,
                    None,
                )
            ],
        )
        item = review.enqueue_review(
            s,
            scan_id=scan_id,
            queue=queue,
            priority=priority,
            sla_seconds=3600,
            rule=f"rule-{bank.name.lower()}",
            evidence_id=evidence_id,
        )
    if vault is not None:
        vault.media[evidence_id] = data
    return Queued(item.id, scan_id, entry.id, evidence_id)


def ledger_kinds(amparo: Runtime) -> list[str]:
    """The kinds of every ledgered event, in order."""
    from sqlalchemy import select

    from amparo.store import LedgerEntryRow

    with amparo.session() as s:
        return list(s.scalars(select(LedgerEntryRow.kind).order_by(LedgerEntryRow.id)))


PASSWORD = "correct horse battery staple"


def make_user(amparo: Runtime, name: str, role: str = "reviewer") -> str:
    """Create an account with :data:`PASSWORD`; return its TOTP secret."""
    from amparo import accounts

    with amparo.session() as s:
        new = accounts.create_user(
            s, name=name, role=role, password=PASSWORD, box=amparo.credential_box()
        )
    return new.totp_secret


def totp(secret: str, offset: int = 0) -> str:
    """The TOTP code of ``secret`` now (``offset`` steps of 30 s later)."""
    import time

    import pyotp

    return pyotp.TOTP(secret).at(time.time() + 30 * offset)


def csrf_of(html: str) -> str:
    """The CSRF token in a console page's first form."""
    import re

    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "the page has no CSRF field"
    return found.group(1)
