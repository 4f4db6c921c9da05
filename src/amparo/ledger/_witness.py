"""``amparo witness serve``: a C2SP tlog-witness that cosigns checkpoints (``cosignature/v1``).

The witness keeps, per log origin, the size and root of the latest checkpoint it cosigned,
in its own SQLite file. The check against the stored size and the update happen in one
``BEGIN IMMEDIATE`` transaction, so concurrent requests can never roll the state back.
"""

from __future__ import annotations

import base64
import binascii
import logging
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from amparo.ledger._checkpoint import Checkpoint
from amparo.ledger._merkle import ProofError, verify_consistency
from amparo.ledger._note import (
    ALG_COSIGNATURE_V1,
    NoteError,
    Signer,
    Verifier,
    open_note,
    split_note,
)

__all__ = ["WitnessResult", "WitnessState", "add_checkpoint", "create_witness_app"]

log = logging.getLogger(__name__)

_MAX_BODY = 64 * 1024
_MAX_PROOF = 63


class WitnessState:
    """The witness's memory: ``origin -> (size, root)``, updated atomically."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        with self._connect() as db:
            db.execute(
                "CREATE TABLE IF NOT EXISTS witness_state "
                "(origin TEXT PRIMARY KEY, size INTEGER NOT NULL, root BLOB NOT NULL)"
            )

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, isolation_level=None, timeout=30)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")
        return db

    def latest(self, origin: str) -> tuple[int, bytes] | None:
        """The size and root last cosigned for ``origin``, or None."""
        db = self._connect()
        try:
            row = db.execute(
                "SELECT size, root FROM witness_state WHERE origin = ?", (origin,)
            ).fetchone()
        finally:
            db.close()
        return (int(row[0]), bytes(row[1])) if row else None

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """An exclusive write transaction: committed when the block succeeds."""
        with self._lock:
            db = self._connect()
            try:
                db.execute("BEGIN IMMEDIATE")
                yield db
                db.execute("COMMIT")
            finally:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                db.close()


@dataclass(frozen=True)
class WitnessResult:
    """An HTTP answer: status, body and content type."""

    status: int
    body: str
    content_type: str = "text/plain; charset=utf-8"


def _parse_body(body: bytes) -> tuple[int, list[bytes], str] | WitnessResult:
    bad = WitnessResult(400, "malformed add-checkpoint request\n")
    try:
        text = body.decode()
    except UnicodeDecodeError:
        return bad
    head, sep, note = text.partition("\n\n")
    lines = head.split("\n")
    if not sep or not lines[0].startswith("old "):
        return bad
    old_s = lines[0][4:]
    if not old_s.isdigit() or (old_s != "0" and old_s.startswith("0")):
        return bad
    if len(lines) - 1 > _MAX_PROOF:
        return bad
    try:
        proof = [base64.b64decode(ln, validate=True) for ln in lines[1:]]
    except binascii.Error:
        return bad
    if any(len(h) != 32 for h in proof):
        return bad
    return int(old_s), proof, note


def _refuse(
    old: int, proof: list[bytes], cp: Checkpoint, seen: tuple[int, bytes] | None
) -> WitnessResult | None:
    size, root = seen or (0, b"")
    if old != size or (seen is not None and old == cp.size and root != cp.root):
        return WitnessResult(409, f"{size}\n", "text/x.tlog.size")
    if old == 0 and proof:
        return WitnessResult(400, "a consistency proof from size 0 must be empty\n")
    if 0 < old < cp.size:
        try:
            verify_consistency(old, cp.size, proof, root, cp.root)
        except ProofError as exc:
            return WitnessResult(422, f"consistency proof from size {old} fails: {exc}\n")
    return None


def add_checkpoint(
    state: WitnessState, signer: Signer, logs: Sequence[Verifier], body: bytes
) -> WitnessResult:
    """Handle one ``add-checkpoint`` request body as C2SP tlog-witness prescribes."""
    if len(body) > _MAX_BODY:
        return WitnessResult(400, "request too large\n")
    parsed = _parse_body(body)
    if isinstance(parsed, WitnessResult):
        return parsed
    old, proof, note = parsed
    try:
        split_note(note)
    except NoteError as exc:
        return WitnessResult(400, f"malformed checkpoint note: {exc}\n")
    origin = note.split("\n", 1)[0]
    keys = [k for k in logs if k.name == origin]
    if not keys:
        return WitnessResult(404, f"unknown log origin {origin!r}\n")
    try:
        text, _ = open_note(note, keys)
        cp = Checkpoint.parse(text)
    except NoteError as exc:
        return WitnessResult(403, f"checkpoint not signed by a known key of this log: {exc}\n")
    if cp.origin != origin:
        return WitnessResult(400, "malformed checkpoint\n")
    if old > cp.size:
        return WitnessResult(400, f"old size {old} exceeds checkpoint size {cp.size}\n")
    with state.transaction() as db:
        row = db.execute(
            "SELECT size, root FROM witness_state WHERE origin = ?", (origin,)
        ).fetchone()
        refused = _refuse(old, proof, cp, (int(row[0]), bytes(row[1])) if row else None)
        if refused is not None:
            # Kept in the log: a validly signed but inconsistent checkpoint is evidence.
            log.warning(
                "witness: refused %s (%d): %s%s", origin, refused.status, refused.body, note
            )
            return refused  # nothing was written
        db.execute(
            "INSERT INTO witness_state (origin, size, root) VALUES (?, ?, ?) "
            "ON CONFLICT(origin) DO UPDATE SET size = excluded.size, root = excluded.root",
            (origin, cp.size, cp.root),
        )
    return WitnessResult(200, signer.signature_line(text, int(time.time())))


def create_witness_app(signer: Signer, logs: Sequence[Verifier], state: WitnessState) -> FastAPI:
    """The witness HTTP service: ``POST /add-checkpoint`` (no other routes)."""
    if signer.alg != ALG_COSIGNATURE_V1:
        raise ValueError("a witness key must be a cosignature key (amparo ledger keygen --witness)")
    app = FastAPI(title="Amparo witness", docs_url=None, redoc_url=None, openapi_url=None)

    @app.post("/add-checkpoint")
    async def add(request: Request) -> Response:
        body = await request.body()
        result = await run_in_threadpool(add_checkpoint, state, signer, logs, body)
        # Set the header itself: Starlette would append a charset to text/x.tlog.size.
        headers = {"content-type": result.content_type}
        return Response(result.body.encode(), result.status, headers=headers)

    return app
