"""The C2SP tlog-tiles layout: tile paths, tile widths, building tiles, reading nodes from tiles.

A tile at level ``L``, index ``N`` holds up to 256 consecutive hashes of tree level ``8 * L``.
A full level-``L`` tile hashes (as a perfect 256-leaf subtree) into one hash of level ``L + 1``.
Partial tiles are never hashed upwards.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from amparo.ledger._merkle import node_hash

__all__ = [
    "HASH",
    "TILE_WIDTH",
    "TileBuilder",
    "TileKey",
    "TileNodes",
    "parse_tile_path",
    "tile_hash",
    "tile_path",
    "tiles_for_size",
]

HASH = 32
TILE_WIDTH = 256
_TILE_RE = re.compile(
    r"^(?:(entries)|(0|[1-9][0-9]?))/((?:x\d{3}/)*\d{3})(?:\.p/([1-9][0-9]{0,2}))?$"
)


@dataclass(frozen=True, order=True)
class TileKey:
    """One tile resource: ``level`` (-1 for an entry bundle), ``index`` and ``width`` (1..256)."""

    level: int
    index: int
    width: int


def _encode_index(n: int) -> str:
    parts = []
    while True:
        parts.append(f"{n % 1000:03d}")
        n //= 1000
        if n == 0:
            break
    parts.reverse()
    return "/".join([f"x{p}" for p in parts[:-1]] + [parts[-1]])


def tile_path(key: TileKey) -> str:
    """``tile/<L>/<N>[.p/<W>]`` or ``tile/entries/<N>[.p/<W>]`` for ``key``."""
    level = "entries" if key.level < 0 else str(key.level)
    suffix = "" if key.width == TILE_WIDTH else f".p/{key.width}"
    return f"tile/{level}/{_encode_index(key.index)}{suffix}"


def parse_tile_path(path: str) -> TileKey | None:
    """The key for a path below ``tile/`` (without that prefix), or ``None`` if malformed."""
    m = _TILE_RE.match(path)
    if m is None:
        return None
    level = -1 if m.group(1) else int(m.group(2))
    if level > 63:
        return None
    parts = m.group(3).split("/")
    index = int("".join(p.lstrip("x") for p in parts))
    if len(parts) > 1 and parts[0] == "x000":
        return None  # leading zero groups are not canonical
    width = int(m.group(4)) if m.group(4) else TILE_WIDTH
    if width >= TILE_WIDTH and m.group(4):
        return None  # a partial tile has 1 to 255 hashes
    return TileKey(level, index, width)


def tiles_for_size(size: int) -> list[TileKey]:
    """Every hash tile (levels >= 0) that a tree of ``size`` leaves is served as."""
    keys: list[TileKey] = []
    level = 0
    while size >> (8 * level):
        count = size >> (8 * level)
        keys.extend(TileKey(level, n, TILE_WIDTH) for n in range(count // TILE_WIDTH))
        if count % TILE_WIDTH:
            keys.append(TileKey(level, count // TILE_WIDTH, count % TILE_WIDTH))
        level += 1
    return keys


def tile_hash(hashes: bytes, sublevel: int = 8, offset: int = 0) -> bytes:
    """The root of ``2**sublevel`` consecutive hashes of a tile starting at hash ``offset``."""
    level = [hashes[(offset + i) * HASH : (offset + i + 1) * HASH] for i in range(1 << sublevel)]
    while len(level) > 1:
        level = [node_hash(level[i], level[i + 1]) for i in range(0, len(level), 2)]
    return level[0]


class TileNodes:
    """A :class:`~amparo.ledger._merkle.NodeSource` over the tiles of a tree of ``size`` leaves.

    ``fetch(level, index, width)`` returns the tile's bytes; tiles are cached per instance.
    """

    def __init__(self, size: int, fetch: Callable[[int, int, int], bytes]) -> None:
        self.size = size
        self._fetch = fetch
        self._cache: dict[tuple[int, int], bytes] = {}

    def tile(self, level: int, index: int) -> bytes:
        key = (level, index)
        if key not in self._cache:
            count = self.size >> (8 * level)
            width = min(TILE_WIDTH, count - index * TILE_WIDTH)
            if width <= 0:
                raise ValueError(f"tile {level}/{index} is beyond a tree of size {self.size}")
            data = self._fetch(level, index, width)
            if len(data) != width * HASH:
                raise ValueError(
                    f"tile {tile_path(TileKey(level, index, width))} has {len(data)} bytes, "
                    f"expected {width * HASH}"
                )
            self._cache[key] = data
        return self._cache[key]

    def node(self, level: int, index: int) -> bytes:
        tile_level, sub = divmod(level, 8)
        first = index << sub
        data = self.tile(tile_level, first // TILE_WIDTH)
        return tile_hash(data, sub, first % TILE_WIDTH)


class TileBuilder:
    """Appends leaf hashes to a tiled tree and reports which tiles changed.

    ``load(level, index)`` returns the stored (possibly partial) tile bytes for the tiles that
    the tree's current right edge occupies; ``size`` is the current number of leaves.
    """

    def __init__(self, size: int, load: Callable[[int, int], bytes]) -> None:
        self.size = size
        self._load = load

    def append(self, leaves: Sequence[bytes]) -> dict[tuple[int, int], bytes]:
        """Add ``leaves``; return ``{(level, index): new tile bytes}`` for every changed tile."""
        changed: dict[tuple[int, int], bytes] = {}
        level = 0
        size = self.size
        pending = list(leaves)
        while pending:
            before = size >> (8 * level)
            index = before // TILE_WIDTH
            current = bytearray(self._load(level, index) if before % TILE_WIDTH else b"")
            if len(current) != (before % TILE_WIDTH) * HASH:
                raise ValueError(f"stored tile {level}/{index} has the wrong width")
            up: list[bytes] = []
            for h in pending:
                current += h
                if len(current) == TILE_WIDTH * HASH:
                    changed[(level, index)] = bytes(current)
                    up.append(tile_hash(bytes(current)))
                    current = bytearray()
                    index += 1
            if current:
                changed[(level, index)] = bytes(current)
            pending = up
            level += 1
        self.size = size + len(leaves)
        return changed
