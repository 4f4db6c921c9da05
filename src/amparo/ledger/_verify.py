"""``amparo ledger verify`` on the local database: recompute everything from records + salts.

Read without locks: the tree is append-only below the integrated size, so the checkpoints
are read first, then the state, then only what lies below that state.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from amparo.errors import LedgerVerificationError
from amparo.ledger import _repo
from amparo.ledger._checkpoint import Checkpoint
from amparo.ledger._merkle import EMPTY_ROOT, leaf_hash, subtree_hash
from amparo.ledger._note import NoteError, Verifier, open_note
from amparo.ledger._record import commitment
from amparo.ledger._tiles import HASH, TILE_WIDTH, TileBuilder, TileNodes, tile_path, tiles_for_size

__all__ = ["LocalReport", "build_tiles", "verify_local"]

_MAX_SHOWN = 20


@dataclass(frozen=True)
class LocalReport:
    """A clean local verification: entries, tree size and root, checkpoints checked."""

    size: int
    root: bytes
    checkpoints: int


def build_tiles(leaves: list[bytes]) -> dict[tuple[int, int], bytes]:
    """All tiles of the tree with these leaf hashes, built in memory."""
    tiles: dict[tuple[int, int], bytes] = {}
    tiles.update(TileBuilder(0, lambda lv, ix: tiles.get((lv, ix), b"")).append(leaves))
    return tiles


def _memory_nodes(size: int, tiles: dict[tuple[int, int], bytes]) -> TileNodes:
    return TileNodes(size, lambda lv, ix, w: tiles.get((lv, ix), b"")[: w * HASH])


def _check_entries(s: Session, size: int, problems: list[str]) -> list[bytes]:
    leaves: list[bytes] = []
    for row in _repo.iter_placed(s, size):
        index = row.leaf_index
        assert index is not None  # filtered above
        while len(leaves) < index:
            problems.append(f"entry at index {len(leaves)} is missing (deleted from the database)")
            leaves.append(b"\x00" * HASH)
        recomputed = commitment(bytes(row.salt), bytes(row.record))
        if recomputed != bytes(row.commitment):
            problems.append(
                f"entry {row.id} at index {index} ({row.kind}): its record or salt was changed "
                "after it was logged"
            )
        leaves.append(leaf_hash(recomputed))
    while len(leaves) < size:
        problems.append(
            f"entries from index {len(leaves)} to {size - 1} are missing (log truncated)"
        )
        leaves.extend([b"\x00" * HASH] * (size - len(leaves)))
    return leaves


def _check_tiles(
    s: Session, size: int, tiles: dict[tuple[int, int], bytes], problems: list[str]
) -> None:
    stored = _repo.all_tiles(s)
    moved: list[int] = []
    for key in tiles_for_size(size):
        want = tiles.get((key.level, key.index), b"")[: key.width * HASH]
        have = stored.get((key.level, key.index), b"")[: key.width * HASH]
        if want == have:
            continue
        if key.level > 0:
            problems.append(f"stored tile {tile_path(key)} does not match the records")
            continue
        for j in range(key.width):
            if want[j * HASH : (j + 1) * HASH] != have[j * HASH : (j + 1) * HASH]:
                moved.append(key.index * TILE_WIDTH + j)
    have_at = {
        i: stored.get((0, i // TILE_WIDTH), b"")[(i % TILE_WIDTH) * HASH :][:HASH] for i in moved
    }
    want_at = {i: tiles[(0, i // TILE_WIDTH)][(i % TILE_WIDTH) * HASH :][:HASH] for i in moved}
    index_of = {h: i for i, h in have_at.items()}
    swapped = {i for i in moved if index_of.get(want_at[i], i) != i}
    if swapped:
        problems.append(
            "entries at indexes " + ", ".join(map(str, sorted(swapped))) + " were reordered"
        )
    for i in moved:
        if i not in swapped:
            problems.append(
                f"entry at index {i} differs from the logged tree (replaced or rewritten)"
            )


def verify_local(session: Session, log_key: Verifier) -> LocalReport:
    """Recompute the tree from stored records and salts and check it against the stored
    tiles, the integrated root and every signed checkpoint (signature by ``log_key``).

    Raises :class:`LedgerVerificationError` listing each problem with its entry, index, tile
    or checkpoint.
    """
    checkpoints = _repo.checkpoints(session)
    state = _repo.state(session)
    size = state.tree_size if state else 0
    problems: list[str] = []
    leaves = _check_entries(session, size, problems)
    tiles = build_tiles(leaves)
    _check_tiles(session, size, tiles, problems)
    nodes = _memory_nodes(size, tiles)
    root = subtree_hash(nodes, 0, size) if size else EMPTY_ROOT
    if state is not None and bytes(state.root_hash) != root:
        problems.append(f"the integrated root for size {size} does not match the records")
    for cp in checkpoints:
        where = f"checkpoint #{cp.id} (size {cp.tree_size}, signed {cp.created_at:%Y-%m-%d %H:%M})"
        try:
            text, _ = open_note(cp.note, [log_key])
            parsed = Checkpoint.parse(text)
        except NoteError as exc:
            problems.append(f"{where}: not validly signed by {log_key.vkey}: {exc}")
            continue
        if parsed.origin != log_key.name:
            problems.append(f"{where}: origin {parsed.origin!r} is not {log_key.name!r}")
        elif parsed.size > size:
            problems.append(
                f"{where}: covers {parsed.size} entries but only {size} are in the tree "
                "(log truncated)"
            )
        elif (
            subtree_hash(nodes, 0, parsed.size) != parsed.root
            if parsed.size
            else parsed.root != EMPTY_ROOT
        ):
            problems.append(f"{where}: its root does not match the stored records")
    if problems:
        shown = problems[:_MAX_SHOWN]
        more = f"\n  (and {len(problems) - _MAX_SHOWN} more)" if len(problems) > _MAX_SHOWN else ""
        raise LedgerVerificationError(
            f"ledger verification failed with {len(problems)} problem(s):\n  - "
            + "\n  - ".join(shown)
            + more,
            hint="restore the altered rows from a backup; the checkpoints and witnesses show "
            "what was published",
        )
    return LocalReport(size, root, len(checkpoints))
