"""The vault: seal, open (with custody), hold, purge and export evidence.

Every method takes the caller's unit of work and emits its ledger events there, so a
record of an access exists exactly when the access committed. Plaintext exists only in
memory: :meth:`Vault.preserve` encrypts before anything is stored, :meth:`Vault.read`
returns bytes and writes nothing, :meth:`Vault.export_to` returns an ``age`` file.

Roles: reading plaintext needs ``reviewer`` or ``investigator`` (or ``admin``) and a reason;
exporting needs ``investigator`` (or ``admin``) and a reason; placing a legal hold needs
``investigator``; releasing one and purging named items needs ``admin``; metadata is for
``reviewer``, ``investigator`` and ``auditor``. Every access is a ledger event.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from amparo import inputs
from amparo.auth import Principal
from amparo.errors import ConflictError, InputError, NotFoundError
from amparo.evidence import _repo
from amparo.evidence._crypto import CIPHER, ItemBinding, open_sealed, seal
from amparo.evidence._errors import EvidenceIntegrityError
from amparo.evidence._events import (
    EvidenceExported,
    EvidenceHoldPlaced,
    EvidenceHoldReleased,
    EvidenceListed,
    EvidencePreserved,
    EvidencePurged,
    EvidenceRead,
)
from amparo.evidence._export import MAX_EXPORT_BYTES, parse_recipient, seal_export
from amparo.evidence._keys import KeyProvider
from amparo.evidence._model import DEFAULT_RETENTION_DAYS, EvidenceItem, Hold, new_item_id
from amparo.evidence._storage import BlobStore, blob_name
from amparo.store import EvidenceHoldRow, EvidenceItemRow, UnitOfWork, utcnow

__all__ = [
    "EXPORT_ROLES",
    "HOLD_ROLES",
    "METADATA_ROLES",
    "READ_ROLES",
    "Vault",
]

READ_ROLES = ("reviewer", "investigator")
"""Roles (besides admin) that may open an item's plaintext, giving a reason."""
EXPORT_ROLES = ("investigator",)
"""Roles (besides admin) that may export items encrypted to an age recipient."""
HOLD_ROLES = ("investigator",)
"""Roles (besides admin) that may place a legal hold (only admin releases one)."""
METADATA_ROLES = ("reviewer", "investigator", "auditor")
"""Roles (besides admin) that may list items and read their metadata."""

_MAX_RETENTION_DAYS = 100 * 366
_MAX_REASON = 1000
_MAX_EXPORT_ITEMS = 1000
_SOURCE = re.compile(r"^[a-z][a-z0-9_.-]{0,31}$")
_MEDIA_TYPE = re.compile(r"^[\w.+-]{1,127}/[\w.+-]{1,127}$")
_PURGE_JOB = "purge-job"


def _reason(reason: str | None, what: str) -> str:
    text = inputs.check_text(reason or "", what="the reason").strip()
    if not text:
        raise InputError(
            f"{what} needs a reason",
            hint="say why, e.g. --reason 'confirming report 2026-114' (API: \"reason\")",
        )
    if len(text) > _MAX_REASON:
        raise InputError(
            f"the reason is {len(text)} characters; the most is {_MAX_REASON}",
            hint="give a short reason and refer to the case or report",
        )
    return text


def _item_id(item_id: str) -> str:
    inputs.check_text(item_id, what="the evidence item id")
    if len(item_id) != 36:
        raise NotFoundError(
            f"no evidence item {item_id[:40]!r}",
            hint="item ids are 36-character UUIDs from `amparo evidence list`",
        )
    return item_id


class Vault:
    """Evidence sealed with AES-256-GCM per item, its data key wrapped by ``keys``, the
    ciphertext in ``store`` and the metadata in the database.

    ``retention_days``: how long an item is kept unless a call says otherwise (default one
    year, 18 U.S.C. 2258A(h)). ``clock``: the time source (tests inject one).
    """

    def __init__(
        self,
        store: BlobStore,
        keys: KeyProvider,
        *,
        retention_days: int = DEFAULT_RETENTION_DAYS,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.store = store
        self.keys = keys
        self.retention_days = self._days(retention_days)
        self.clock = clock

    @staticmethod
    def _days(days: int) -> int:
        if (
            isinstance(days, bool)
            or not isinstance(days, int)
            or not 1 <= days <= _MAX_RETENTION_DAYS
        ):
            raise InputError(
                f"a retention of {days!r} days is not possible",
                hint=f"give a whole number of days from 1 to {_MAX_RETENTION_DAYS}",
            )
        return days

    # -- sealing and opening ------------------------------------------------------------------

    def preserve(
        self,
        uow: UnitOfWork,
        data: bytes,
        *,
        source: str,
        scan_id: str | None = None,
        media_type: str | None = None,
        retention_days: int | None = None,
    ) -> EvidenceItem:
        """Seal ``data`` into the vault and record :class:`EvidencePreserved` (its digest
        and size, never bytes). ``source`` says where it came from (``scan``,
        ``sighting``...); it is kept ``retention_days`` (default: the vault's)."""
        if not _SOURCE.match(source):
            raise InputError(
                f"evidence source {source[:40]!r} is not a short lower-case name",
                hint="use e.g. 'scan' or 'sighting'",
            )
        if media_type is not None and not _MEDIA_TYPE.match(media_type):
            raise InputError(
                f"{media_type[:60]!r} is not a media type", hint="e.g. image/jpeg, or none"
            )
        if scan_id is not None and not 0 < len(scan_id) <= 36:
            raise InputError("a scan id has 1 to 36 characters", hint="pass the scan's scan_id")
        days = self._days(self.retention_days if retention_days is None else retention_days)
        now = self.clock()
        binding = ItemBinding(
            item_id=new_item_id(),
            sha256=hashlib.sha256(data).hexdigest(),
            size=len(data),
            media_type=media_type,
            source=source,
            scan_id=scan_id,
        )
        sealed = seal(data, binding)
        key_id = self.keys.key_id
        row = EvidenceItemRow(
            id=binding.item_id,
            sha256=binding.sha256,
            size=binding.size,
            media_type=media_type,
            scan_id=scan_id,
            source=source,
            cipher=CIPHER,
            key_id=key_id,
            wrapped_key=self.keys.wrap(sealed.data_key, context=binding.key_context()),
            nonce=sealed.nonce,
            storage_path=blob_name(binding.item_id),
            created_at=now,
            retain_until=now + timedelta(days=days),
            legal_hold=False,
        )
        uow.add(row)
        uow.flush()  # a row that cannot be stored fails before its blob is written
        self.store.put(row.storage_path, sealed.blob)
        uow.emit(
            EvidencePreserved(
                item_id=row.id,
                sha256=row.sha256,
                size=row.size,
                media_type=media_type,
                source=source,
                scan_id=scan_id,
                key_id=key_id,
                retain_until=row.retain_until,
            )
        )
        return _repo.item(row)

    def _open(self, row: EvidenceItemRow) -> bytes:
        """The plaintext of a row, checked (GCM tag, digest, size), or an error."""
        if row.purged_at is not None or row.wrapped_key is None:
            raise NotFoundError(
                f"evidence item {row.id} was purged on {row.purged_at:%Y-%m-%d} "
                "(its retention ended)",
                hint="purged evidence cannot be opened; its metadata stays for the record",
            )
        binding = ItemBinding(row.id, row.sha256, row.size, row.media_type, row.source, row.scan_id)
        data_key = self.keys.unwrap(
            row.wrapped_key, key_id=row.key_id, context=binding.key_context()
        )
        if data_key is None:
            raise EvidenceIntegrityError(
                f"the wrapped data key of evidence item {row.id} fails its check under "
                f"key-encryption key {row.key_id}: its row was changed; nothing was decrypted",
                hint="restore the evidence_items row from a backup and check the ledger's "
                "evidence.preserve entry for this item",
            )
        blob = self.store.get(row.storage_path)
        if blob is None:
            raise EvidenceIntegrityError(
                f"the sealed blob of evidence item {row.id} is missing "
                f"({self.store.location}/{row.storage_path})",
                hint="restore the vault's storage from a backup",
            )
        # The GCM tag authenticates the plaintext together with the row's facts (digest and
        # size included), so a plaintext that opens is the one sealed: no second digest.
        data = open_sealed(data_key, row.nonce, blob, binding)
        if data is None or len(data) != row.size:
            raise EvidenceIntegrityError(
                f"evidence item {row.id} failed its authentication check: its blob "
                f"({self.store.location}/{row.storage_path}) or its metadata was changed, or "
                "swapped with another item's; nothing was decrypted",
                hint="restore the blob and row from a backup; the ledger's evidence.preserve "
                "entry gives the item's SHA-256 and size",
            )
        return data

    def read(self, uow: UnitOfWork, item_id: str, *, principal: Principal, reason: str) -> bytes:
        """An item's plaintext, in memory, for a ``reviewer``, ``investigator`` or ``admin``
        who gives a reason; recorded as :class:`EvidenceRead` (who, why; the entry's time
        is when). Never write the result to a disk."""
        principal.require(*READ_ROLES)
        why = _reason(reason, "reading evidence")
        row = _repo.item_row(uow, _item_id(item_id))
        data = self._open(row)
        uow.emit(
            EvidenceRead(
                item_id=row.id,
                sha256=row.sha256,
                actor_key_id=principal.key_id,
                actor=principal.name,
                role=principal.role,
                reason=why,
            )
        )
        return data

    # -- metadata -------------------------------------------------------------------------

    def list_items(
        self,
        uow: UnitOfWork,
        *,
        principal: Principal,
        after: str | None = None,
        limit: int = 100,
        scan_id: str | None = None,
        source: str | None = None,
        legal_hold: bool | None = None,
        include_purged: bool = False,
    ) -> list[EvidenceItem]:
        """Items' metadata (never media) in creation order, one page after ``after``;
        recorded as :class:`EvidenceListed`."""
        principal.require(*METADATA_ROLES)
        if not 1 <= limit <= _repo.MAX_PAGE:
            raise InputError(
                f"a page has 1 to {_repo.MAX_PAGE} items, not {limit}", hint="pass a smaller limit"
            )
        for text, what in ((after, "after"), (scan_id, "scan_id"), (source, "source")):
            if text is not None:
                inputs.check_text(text, what=what)
        rows = _repo.list_rows(
            uow,
            after=after,
            limit=limit,
            scan_id=scan_id,
            source=source,
            legal_hold=legal_hold,
            include_purged=include_purged,
        )
        holds = _repo.holds_of(uow, [r.id for r in rows])
        items = [_repo.item(r, holds.get(r.id, ())) for r in rows]
        self._listed(uow, principal, items)
        return items

    def show(self, uow: UnitOfWork, item_id: str, *, principal: Principal) -> EvidenceItem:
        """One item's metadata and holds (never media); recorded as :class:`EvidenceListed`."""
        principal.require(*METADATA_ROLES)
        row = _repo.item_row(uow, _item_id(item_id))
        item = _repo.item(row, _repo.holds_of(uow, [row.id]).get(row.id, ()))
        self._listed(uow, principal, [item])
        return item

    @staticmethod
    def _listed(uow: UnitOfWork, principal: Principal, items: Sequence[EvidenceItem]) -> None:
        uow.emit(
            EvidenceListed(
                item_ids=tuple(i.item_id for i in items),
                actor_key_id=principal.key_id,
                actor=principal.name,
                role=principal.role,
            )
        )

    # -- legal holds ----------------------------------------------------------------------

    def place_hold(
        self, uow: UnitOfWork, item_id: str, *, principal: Principal, reason: str
    ) -> Hold:
        """Place a legal hold on an item: it is not purged until every hold is released."""
        principal.require(*HOLD_ROLES)
        why = _reason(reason, "a legal hold")
        row = _repo.item_row(uow, _item_id(item_id), lock=True)
        if row.purged_at is not None:
            raise ConflictError(
                f"evidence item {row.id} was purged on {row.purged_at:%Y-%m-%d}; nothing to hold",
                hint="a hold must be placed before an item's retention ends",
            )
        hold = EvidenceHoldRow(
            item_id=row.id,
            placed_by=principal.name,
            placed_by_key_id=principal.key_id,
            placed_at=self.clock(),
            reason=why,
        )
        uow.add(hold)
        row.legal_hold = True
        uow.flush()
        uow.emit(
            EvidenceHoldPlaced(
                hold_id=hold.id,
                item_id=row.id,
                actor_key_id=principal.key_id,
                actor=principal.name,
                role=principal.role,
                reason=why,
            )
        )
        return _repo.hold(hold)

    def release_hold(
        self, uow: UnitOfWork, hold_id: int, *, principal: Principal, reason: str
    ) -> Hold:
        """Release a legal hold (admin only); the item stays held while others remain."""
        principal.require("admin")
        why = _reason(reason, "releasing a legal hold")
        hold = _repo.hold_row(uow, hold_id)
        if hold.released_at is not None:
            raise ConflictError(
                f"legal hold {hold.id} was already released on {hold.released_at:%Y-%m-%d} "
                f"by {hold.released_by}",
                hint="`amparo evidence show ITEM` lists an item's holds",
            )
        row = _repo.item_row(uow, hold.item_id, lock=True)
        hold.released_at = self.clock()
        hold.released_by = principal.name
        hold.released_by_key_id = principal.key_id
        hold.release_reason = why
        uow.flush()
        row.legal_hold = bool(_repo.active_holds(uow, row.id))
        uow.emit(
            EvidenceHoldReleased(
                hold_id=hold.id,
                item_id=row.id,
                actor_key_id=principal.key_id,
                actor=principal.name,
                role=principal.role,
                reason=why,
            )
        )
        return _repo.hold(hold)

    # -- purging --------------------------------------------------------------------------

    def purge(
        self,
        uow: UnitOfWork,
        *,
        now: datetime | None = None,
        item_ids: Sequence[str] | None = None,
        principal: Principal | None = None,
        limit: int = 500,
    ) -> list[EvidenceItem]:
        """Destroy the blob and wrapped key of items whose retention ended and that no hold
        keeps (at most ``limit`` per call); each is recorded as :class:`EvidencePurged` and
        its metadata stays as a tombstone.

        Without ``principal`` this is the purge job; a ``principal`` (an admin) is recorded
        as the actor. ``item_ids`` targets items explicitly (an admin's): an item under a
        legal hold, still within its retention, or already purged refuses the whole call
        with a :class:`ConflictError` naming it, and nothing is purged.
        """
        when = now or self.clock()
        if principal is not None:
            principal.require("admin")
        if item_ids is None:
            rows = _repo.expired_rows(uow, when, limit)
        else:
            if principal is None:
                raise InputError("purging named items needs a principal", hint="pass principal")
            rows = _repo.item_rows(uow, [_item_id(i) for i in dict.fromkeys(item_ids)], lock=True)
            for row in rows:
                self._check_purgeable(uow, row, when)
        actor = principal.name if principal is not None else _PURGE_JOB
        actor_key = principal.key_id if principal is not None else 0
        for row in rows:
            row.wrapped_key = None  # crypto-shredded even if the blob's delete fails
            row.purged_at = when
        uow.flush()
        purged = []
        for row in rows:
            self.store.delete(row.storage_path)
            uow.emit(
                EvidencePurged(
                    item_id=row.id,
                    sha256=row.sha256,
                    retain_until=row.retain_until,
                    actor_key_id=actor_key,
                    actor=actor,
                )
            )
            purged.append(_repo.item(row))
        return purged

    @staticmethod
    def _check_purgeable(uow: UnitOfWork, row: EvidenceItemRow, when: datetime) -> None:
        if row.purged_at is not None:
            raise ConflictError(
                f"evidence item {row.id} was already purged on {row.purged_at:%Y-%m-%d}",
                hint="leave it out of the list",
            )
        holds = _repo.active_holds(uow, row.id)
        if row.legal_hold or holds:
            shown = "; ".join(
                f"hold {h.hold_id} by {h.placed_by} on {h.placed_at:%Y-%m-%d}: {h.reason}"
                for h in holds
            )
            raise ConflictError(
                f"evidence item {row.id} is under legal hold ({shown}); nothing was purged",
                hint="a hold blocks deletion until an admin releases it: "
                "amparo evidence release HOLD_ID --reason TEXT",
            )
        if row.retain_until > when:
            raise ConflictError(
                f"evidence item {row.id} must be kept until {row.retain_until:%Y-%m-%d}; "
                "nothing was purged",
                hint="items are purged only after their retention ends "
                "(18 U.S.C. 2258A: one year by default)",
            )

    # -- export ---------------------------------------------------------------------------

    def export_to(
        self,
        uow: UnitOfWork,
        item_ids: Sequence[str],
        recipient: str,
        *,
        principal: Principal,
        reason: str,
    ) -> bytes:
        """The items (plaintext and a manifest) as one ``age`` file encrypted to
        ``recipient`` — the only way media leaves the vault — for an ``investigator`` or
        ``admin`` who gives a reason; recorded as :class:`EvidenceExported`."""
        principal.require(*EXPORT_ROLES)
        why = _reason(reason, "an export")
        target = parse_recipient(recipient)
        ids = list(dict.fromkeys(_item_id(i) for i in item_ids))
        if not ids:
            raise InputError("an export needs at least one item", hint="name the items' ids")
        if len(ids) > _MAX_EXPORT_ITEMS:
            raise InputError(
                f"{len(ids)} items in one export; the most is {_MAX_EXPORT_ITEMS}",
                hint="export them in several files",
            )
        rows = _repo.item_rows(uow, ids)
        total = sum(r.size for r in rows)
        if total > MAX_EXPORT_BYTES:
            raise InputError(
                f"the export would carry {total:,} bytes; the most is {MAX_EXPORT_BYTES:,}",
                hint="export the items in several files",
            )
        opened = [(_repo.item(r), self._open(r)) for r in rows]
        when = self.clock()
        archive = seal_export(opened, target, exported_by=principal.name, reason=why, when=when)
        uow.emit(
            EvidenceExported(
                item_ids=tuple(ids),
                items_sha256=hashlib.sha256(
                    "".join(f"{r.id} {r.sha256}\n" for r in rows).encode()
                ).hexdigest(),
                recipient=recipient.strip(),
                archive_sha256=hashlib.sha256(archive).hexdigest(),
                actor_key_id=principal.key_id,
                actor=principal.name,
                role=principal.role,
                reason=why,
            )
        )
        return archive
