"""``amparo ledger verify --url``: audit a remote log through its tlog-tiles, knowing only its
verifier key, and remember the last checkpoint seen so a rewritten history is caught.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

import httpx

from amparo.errors import FetchError, LedgerVerificationError
from amparo.ledger._checkpoint import Checkpoint
from amparo.ledger._merkle import (
    EMPTY_ROOT,
    ProofError,
    consistency_proof,
    leaf_hash,
    subtree_hash,
    verify_consistency,
)
from amparo.ledger._note import NoteError, Verifier, open_note
from amparo.ledger._tiles import HASH, TileKey, TileNodes, tile_path, tiles_for_size
from amparo.ledger._verify import build_tiles
from amparo.store import utcnow

__all__ = ["AuditReport", "audit_remote"]


@dataclass(frozen=True)
class AuditReport:
    """A clean audit: the verified checkpoint and the size last seen before it (if any)."""

    origin: str
    size: int
    root: bytes
    previous_size: int | None
    cosigned_by: tuple[str, ...]


def _get(client: httpx.Client, url: str) -> bytes:
    try:
        resp = client.get(url)
    except httpx.HTTPError as exc:
        raise FetchError(f"cannot fetch {url}: {exc}") from None
    if resp.status_code != 200:
        raise FetchError(f"{url} answered HTTP {resp.status_code}")
    return resp.content


def _bundle_leaves(data: bytes, key: TileKey, where: str) -> list[bytes]:
    leaves, pos = [], 0
    while pos < len(data):
        n = int.from_bytes(data[pos : pos + 2], "big")
        if pos + 2 + n > len(data):
            raise LedgerVerificationError(f"{where}: entry bundle is cut short")
        leaves.append(leaf_hash(data[pos + 2 : pos + 2 + n]))
        pos += 2 + n
    if len(leaves) != key.width:
        raise LedgerVerificationError(
            f"{where}: entry bundle holds {len(leaves)} entries, expected {key.width}"
        )
    return leaves


def _state_file(state_dir: Path, log_key: Verifier) -> Path:
    return state_dir / (hashlib.sha256(log_key.vkey.encode()).hexdigest()[:24] + ".json")


def _checkpoint(
    http: httpx.Client, base: str, log_key: Verifier, witness_keys: tuple[Verifier, ...]
) -> tuple[Checkpoint, str, tuple[str, ...]]:
    note = _get(http, f"{base}/checkpoint").decode()
    try:
        text, signed = open_note(note, [log_key, *witness_keys])
        cp = Checkpoint.parse(text)
    except NoteError as exc:
        raise LedgerVerificationError(
            f"checkpoint at {base}/checkpoint is not signed by {log_key.vkey}: {exc}",
            hint="either the log's signing key was replaced or this is not that log",
        ) from None
    if log_key.vkey not in signed:
        raise LedgerVerificationError(f"checkpoint at {base} lacks the log's signature")
    missing = [w.vkey for w in witness_keys if w.vkey not in signed]
    if missing:
        raise LedgerVerificationError(f"checkpoint lacks a cosignature from {missing[0]}")
    if cp.origin != log_key.name:
        raise LedgerVerificationError(f"checkpoint origin {cp.origin!r} is not {log_key.name!r}")
    return cp, note, tuple(k for k in signed if k != log_key.vkey)


def _recomputed(http: httpx.Client, base: str, size: int) -> TileNodes:
    """Fetch every entry bundle, rebuild every tile, and compare each with the tile served."""
    leaves: list[bytes] = []
    for key in tiles_for_size(size):
        if key.level == 0:
            bkey = TileKey(-1, key.index, key.width)
            where = f"{base}/{tile_path(bkey)}"
            leaves.extend(_bundle_leaves(_get(http, where), bkey, where))
    tiles = build_tiles(leaves)
    for key in tiles_for_size(size):
        where = f"{base}/{tile_path(key)}"
        served = _get(http, where)
        want = tiles[(key.level, key.index)][: key.width * HASH]
        if served != want:
            first = (
                next(
                    j
                    for j in range(key.width)
                    if served[j * HASH : (j + 1) * HASH] != want[j * HASH : (j + 1) * HASH]
                )
                if len(served) == len(want)
                else 0
            )
            raise LedgerVerificationError(
                f"tile {where} does not match the tile recomputed from the entries "
                f"(first difference at hash {first} of {key.width})"
            )
    return TileNodes(size, lambda lv, ix, w: tiles[(lv, ix)][: w * HASH])


def _served(http: httpx.Client, base: str, size: int) -> TileNodes:
    """The served tiles, fetched only as proofs need them (O(log n) requests)."""

    def fetch(level: int, index: int, width: int) -> bytes:
        return _get(http, f"{base}/{tile_path(TileKey(level, index, width))}")

    return TileNodes(size, fetch)


def audit_remote(
    url: str,
    log_key: Verifier,
    state_dir: Path,
    *,
    witness_keys: tuple[Verifier, ...] = (),
    full: bool = True,
    client: httpx.Client | None = None,
) -> AuditReport:
    """Audit the log served at ``url`` (the prefix holding ``checkpoint`` and ``tile/``).

    1. the checkpoint is signed by ``log_key`` (and cosigned by each of ``witness_keys``);
    2. ``full``: every entry bundle is fetched and hashed, every tile recomputed and
       compared with the tile served (O(n)); otherwise only the tiles the checks below
       need are fetched (O(log n), as a tlog-tiles client follows a log);
    3. the tree's root equals the checkpoint's root;
    4. the tree extends the checkpoint remembered from the previous audit (no truncation,
       no split view); then the new checkpoint is remembered.
    """
    base = url.rstrip("/")
    http = client or httpx.Client(timeout=30.0, follow_redirects=True)
    try:
        cp, note, cosigners = _checkpoint(http, base, log_key, witness_keys)
        nodes = _recomputed(http, base, cp.size) if full else _served(http, base, cp.size)
        try:
            root = subtree_hash(nodes, 0, cp.size) if cp.size else EMPTY_ROOT
        except ValueError as exc:  # a served tile of the wrong size
            raise LedgerVerificationError(f"{base}: {exc}") from None
        if root != cp.root:
            what = "entries" if full else "tiles"
            raise LedgerVerificationError(
                f"the {what} served by {base} do not hash to the root of the checkpoint of "
                f"size {cp.size}"
            )
        previous = _check_previous(_state_file(state_dir, log_key), cp, nodes)
        _remember(_state_file(state_dir, log_key), cp, note)
    finally:
        if client is None:
            http.close()
    return AuditReport(cp.origin, cp.size, cp.root, previous, cosigners)


def _check_previous(path: Path, cp: Checkpoint, nodes: TileNodes) -> int | None:
    if not path.exists():
        return None
    seen = json.loads(path.read_text())
    size, root = int(seen["size"]), base64.b64decode(seen["root"])
    if cp.size < size:
        raise LedgerVerificationError(
            f"the log shrank: it now has {cp.size} entries, but a checkpoint of size {size} was "
            f"seen on {seen['seen_at']} (log truncated or rolled back)",
            hint=f"keep the earlier checkpoint ({path}) as evidence",
        )
    # A consistency proof, verified against both signed roots, is sound whatever the tiles
    # it was computed from (served tiles need not be mutually consistent).
    if size == 0:
        return size
    try:
        proof = consistency_proof(nodes, size, cp.size) if size < cp.size else []
    except ValueError as exc:
        raise LedgerVerificationError(f"served tiles are malformed: {exc}") from None
    try:
        verify_consistency(size, cp.size, proof, root, cp.root)
    except ProofError as exc:
        raise LedgerVerificationError(
            f"split view: the checkpoint of size {size} seen on {seen['seen_at']} is not a "
            f"prefix of the log now served at size {cp.size} (history was rewritten: {exc})",
            hint=f"keep the earlier checkpoint ({path}) as evidence",
        ) from None
    return size


def _remember(path: Path, cp: Checkpoint, note: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    body = {
        "size": cp.size,
        "root": base64.b64encode(cp.root).decode(),
        "note": note,
        "seen_at": utcnow().isoformat(timespec="seconds"),
    }
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(body, indent=1))
    with open(tmp, "rb") as f:
        os.fsync(f.fileno())
    os.replace(tmp, path)
