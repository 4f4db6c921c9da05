"""The log: integrate committed entries into the tree, sign checkpoints, prove, disclose."""

from __future__ import annotations

import base64
import json
import logging
import time
from collections.abc import Callable, Collection, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from amparo.errors import FetchError, LedgerVerificationError, NotFoundError
from amparo.ledger import _repo
from amparo.ledger._checkpoint import Checkpoint
from amparo.ledger._events import ScanTally
from amparo.ledger._merkle import (
    ProofError,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    subtree_hash,
    verify_consistency,
)
from amparo.ledger._note import Signer, Verifier, sign_note
from amparo.ledger._proof import ProofFile
from amparo.ledger._record import append
from amparo.ledger._tiles import TileBuilder, TileKey, TileNodes
from amparo.ledger._verify import LocalReport, verify_local
from amparo.ledger._witness_client import WitnessPeer, request_cosignature
from amparo.store import LedgerEntryRow, utcnow

__all__ = ["ROUND_PAUSE", "ROUND_STEP", "Disclosure", "Ledger"]

ROUND_STEP = 500
"""Entries a server's ledger round integrates per transaction (~3 ms on SQLite here)."""
ROUND_PAUSE = 0.002
"""Seconds a round waits between its steps, for the scans waiting on the write lock."""

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Disclosure:
    """One entry in full, for an auditor: ``SHA-256(salt || record)`` is its leaf data."""

    entry_id: int
    index: int | None
    kind: str
    created_at: datetime
    record_text: str
    salt: bytes
    commitment: bytes

    def to_dict(self) -> dict[str, object]:
        return {
            "entry_id": self.entry_id,
            "index": self.index,
            "kind": self.kind,
            "created_at": self.created_at.isoformat(),
            "record": self.record_text,
            "salt": base64.b64encode(self.salt).decode(),
            "commitment": base64.b64encode(self.commitment).decode(),
        }


class Ledger:
    """A tamper-evident log stored in Amparo's database.

    ``signer`` (the log key; its name is the origin) is needed only to sign checkpoints.
    Entries are written with :func:`amparo.ledger.record` in callers' transactions; this class
    moves committed entries into the tree (:meth:`integrate`), signs checkpoints after
    checking they extend the previous one (:meth:`checkpoint`) and serves proofs and tiles.
    """

    def __init__(
        self,
        engine: Engine,
        *,
        signer: Signer | None = None,
        origin: str | None = None,
        witnesses: Sequence[WitnessPeer] = (),
        quorum: int | None = None,
        tally_seconds: float = 3600.0,
        http: httpx.Client | None = None,
        writer_lock: Callable[[], AbstractContextManager[None]] = nullcontext,
        round_lock: Callable[[], AbstractContextManager[bool]] = lambda: nullcontext(True),
    ) -> None:
        self.engine = engine
        # Held around each write transaction and each round: a server passes its
        # WriterLock's, so that on SQLite its scan writers wait for a step of a round in the
        # kernel, not in SQLite's sleeps, and one worker process at a time runs rounds.
        self._writer_lock = writer_lock
        self._round_lock = round_lock
        self.signer = signer
        self.origin = signer.name if signer else (origin or "")
        self.witnesses = tuple(witnesses)
        self.quorum = len(self.witnesses) if quorum is None else quorum
        self.tally_seconds = tally_seconds
        self._http = http
        self._witness_sizes: dict[str, int] = {}

    @property
    def verifier(self) -> Verifier | None:
        """The log's public key (its vkey is what auditors are given)."""
        return self.signer.verifier if self.signer else None

    def session(self) -> Session:
        return Session(self.engine, expire_on_commit=False)

    # -- writing -----------------------------------------------------------------------------

    def integrate(self, limit: int = 100_000) -> int:
        """Place committed entries (and a due scan tally) into the tree; return the new size.

        Runs under the state lock, so concurrent integrators never interleave: leaf indexes
        are consecutive, assigned once, in sequence-number order of what was committed.
        """
        return self._integrate(limit)[1]

    def _integrate(self, limit: int) -> tuple[int, int]:
        """:meth:`integrate`: (entries placed, new tree size)."""
        with self._writer_lock(), self.session() as s, s.begin():
            state = _repo.lock_state(s)
            now = utcnow()
            due = state.last_tally_at is None or now - state.last_tally_at >= timedelta(
                seconds=self.tally_seconds
            )
            if due:
                scans = _repo.take_scan_ticks(s)
                since = state.last_tally_at.isoformat() if state.last_tally_at else None
                append(s, [ScanTally(scans=scans, since=since, until=now.isoformat())])
                state.last_tally_at = now
            pending = _repo.pending_entries(s, limit)
            if not pending:
                return 0, state.tree_size
            size = state.tree_size
            existing: set[tuple[int, int]] = set()

            def load(level: int, index: int) -> bytes:
                existing.add((level, index))
                return _repo.read_tile(s, level, index)

            tiles = TileBuilder(size, load).append([leaf_hash(c) for _, c in pending])
            _repo.place_entries(s, [e for e, _ in pending], size)
            _repo.write_tiles(s, tiles, existing)
            s.flush()
            new_size = size + len(pending)
            state.tree_size = new_size
            state.root_hash = subtree_hash(_repo.tile_nodes(s, new_size), 0, new_size)
            return len(pending), new_size

    def checkpoint(self) -> str:
        """Sign (and have witnessed) a checkpoint of the integrated tree; return its note.

        Refuses, with :class:`LedgerVerificationError`, to sign a tree that does not extend
        the last signed checkpoint, or whose stored tiles do not match the stored root.
        Returns the last checkpoint unchanged when the tree has not grown.
        """
        if self.signer is None:
            raise LedgerVerificationError(
                "this ledger has no signing key", hint="set AMPARO_LEDGER_KEY_FILE"
            )
        # Sign and gather cosignatures without holding the write lock (witnesses may be
        # slow; SQLite would block every writer meanwhile). Safe: the tree below the
        # integrated size never changes, and the lock is taken again to store.
        with self.session() as s:
            state = _repo.state(s)
            size = state.tree_size if state else 0
            nodes = _repo.tile_nodes(s, size)
            root = subtree_hash(nodes, 0, size)
            if state is not None and root != bytes(state.root_hash):
                raise LedgerVerificationError(
                    f"stored tiles for tree size {size} do not hash to the integrated root: "
                    "the tree was altered; refusing to sign",
                    hint="run `amparo ledger verify` to locate the change",
                )
            last = _repo.latest_checkpoint(s)
            if last is not None:
                if size == last.tree_size and root == bytes(last.root_hash):
                    return last.note
                self._check_extends(last.tree_size, bytes(last.root_hash), size, root, nodes)
            note = sign_note(Checkpoint(self.origin, size, root).text(), [self.signer])
            note += self._cosign(note, size, last.tree_size if last else 0, nodes)
            last_id = last.id if last else None
        with self._writer_lock(), self.session() as s, s.begin():
            _repo.lock_state(s)
            newest = _repo.latest_checkpoint(s)
            if newest is not None and newest.id != last_id:
                # Another process stored a checkpoint meanwhile: keep the larger, consistent one.
                if newest.tree_size >= size:
                    return newest.note
                nodes = _repo.tile_nodes(s, size)
                self._check_extends(newest.tree_size, bytes(newest.root_hash), size, root, nodes)
            _repo.add_checkpoint(s, size, root, note)
            return note

    @staticmethod
    def _check_extends(old: int, old_root: bytes, size: int, root: bytes, nodes: TileNodes) -> None:
        if size < old:
            raise LedgerVerificationError(
                f"the tree has {size} entries but checkpoint {old} was signed: entries were "
                "removed; refusing to sign"
            )
        try:
            if old > 0:
                proof = consistency_proof(nodes, old, size)
                verify_consistency(old, size, proof, old_root, root)
        except ProofError as exc:
            raise LedgerVerificationError(
                f"the tree of size {size} does not extend the signed checkpoint of size {old} "
                f"({exc}); refusing to sign",
                hint="run `amparo ledger verify` to locate the change",
            ) from None

    def _cosign(self, note: str, size: int, prior: int, nodes: TileNodes) -> str:
        if not self.witnesses:
            return ""

        def proof_from(old: int) -> list[bytes]:
            return consistency_proof(nodes, old, size) if 0 < old < size else []

        lines: list[str] = []
        client = self._http or httpx.Client(timeout=10.0)
        try:
            for peer in self.witnesses:
                old = self._witness_sizes.get(peer.url, prior)
                try:
                    lines.append(request_cosignature(client, peer, note, old, proof_from, size))
                    self._witness_sizes[peer.url] = size
                except FetchError as exc:
                    log.warning("ledger: no cosignature: %s", exc.message)
        finally:
            if self._http is None:
                client.close()
        got = [ln for ln in lines if ln]
        if len(got) < self.quorum:
            raise FetchError(
                f"checkpoint of size {size} got {len(got)} cosignature(s), {self.quorum} needed; "
                "not published",
                hint="check that the witnesses are up and know this log's key",
            )
        return "".join(got)

    # -- reading -----------------------------------------------------------------------------

    def latest_note(self) -> str | None:
        """The newest signed checkpoint note, or None before the first one."""
        with self.session() as s:
            row = _repo.latest_checkpoint(s)
            return row.note if row else None

    def tile(self, key: TileKey) -> bytes | None:
        """Bytes of a tile or entry bundle resource, or None when it does not exist (yet)."""
        with self.session() as s:
            if key.level < 0:
                return _repo.entry_bundle(s, key.index, key.width)
            data = _repo.read_tile(s, key.level, key.index)
        if len(data) < key.width * 32:
            return None
        return data[: key.width * 32]

    def disclose(self, entry_id: int) -> Disclosure:
        """The full record and salt of entry ``entry_id`` (for auditors only)."""
        with self.session() as s:
            row = _repo.entry_row(s, entry_id)
            if row is None:
                raise NotFoundError(f"ledger entry {entry_id} does not exist")
            return _disclosure(row)

    def disclose_index(self, index: int) -> Disclosure:
        """The entry at leaf ``index`` in full (for auditors only)."""
        with self.session() as s:
            row = _repo.entry_at(s, index)
            if row is None:
                raise NotFoundError(f"no ledger entry at index {index}")
            return _disclosure(row)

    def tallies(self) -> list[Disclosure]:
        """Every ``scan.tally`` entry in full, oldest first: their ``scans`` add up to the
        number of scans ever run, and each can be proven like any entry."""
        with self.session() as s:
            return entries_of_kinds(s, [ScanTally.kind])

    def entries_of_kinds(self, *kinds: str) -> list[Disclosure]:
        """Every entry of these kinds in full, oldest first (case exports gather their own)."""
        with self.session() as s:
            return entries_of_kinds(s, kinds)

    def prove(self, entry_id: int) -> str:
        """A tlog-proof file for entry ``entry_id`` against the newest checkpoint."""
        d = self.disclose(entry_id)
        with self.session() as s:
            cp = _repo.latest_checkpoint(s)
            if d.index is None or cp is None or cp.tree_size <= d.index:
                raise NotFoundError(
                    f"ledger entry {entry_id} is not yet covered by a signed checkpoint",
                    hint="wait for the next checkpoint or run `amparo ledger checkpoint`",
                )
            hashes = inclusion_proof(_repo.tile_nodes(s, cp.tree_size), d.index, cp.tree_size)
            note = cp.note
        extra = {"entry": d.entry_id, "record": d.record_text, "salt": d.to_dict()["salt"]}
        raw = json.dumps(extra, sort_keys=True, separators=(",", ":")).encode()
        return ProofFile(d.index, tuple(hashes), note, raw).text()

    def verify_local(
        self, log_key: Verifier | None = None, progress: Callable[[int, int], None] | None = None
    ) -> LocalReport:
        """Recompute the tree from stored records and salts; see :func:`verify_local`."""
        key = log_key or self.verifier
        if key is None:
            raise LedgerVerificationError(
                "no log key to check checkpoints against", hint="pass --vkey"
            )
        with self.session() as s:
            return verify_local(s, key, progress)

    def round(self) -> None:
        """One round of the server's checkpointer: integrate, then sign if there is a key.

        Integrates in steps of :data:`ROUND_STEP` entries, each its own transaction, with a
        pause of :data:`ROUND_PAUSE` seconds between them: on SQLite a step holds the one
        write lock, and every scan waits for it, so a round after a busy minute must not take
        it for the whole backlog, nor take it back before the waiting scans had it (a
        lookup's p99). Skipped while another process's round runs (see ``round_lock``)."""
        with self._round_lock() as ours:
            if not ours:
                return
            while self._integrate(ROUND_STEP)[0] == ROUND_STEP:
                time.sleep(ROUND_PAUSE)
            if self.signer is not None:
                self.checkpoint()


def entries_of_kinds(session: Session, kinds: Collection[str]) -> list[Disclosure]:
    """Every entry of these kinds in full (record and salt: for auditors only), oldest
    first; ``index`` is None until the entry is integrated into the tree. For reports and
    case packages that cite the entries behind what they say."""
    return [_disclosure(r) for r in _repo.entries_of_kinds(session, kinds)]


def _disclosure(row: LedgerEntryRow) -> Disclosure:
    return Disclosure(
        row.id,
        row.leaf_index,
        row.kind,
        row.created_at,
        bytes(row.record).decode(),
        bytes(row.salt),
        bytes(row.commitment),
    )
