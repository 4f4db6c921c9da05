"""What a match answer needs besides the index: which entry a signal belongs to, the entry's
fields (bank, category, tags, source, enabled state) and the banks' names and thresholds.

Why columnar: a lookup must not touch the database, so this lives in memory next to the
indexes, for millions of entries. Python objects would cost ~200 bytes an entry; here an
entry costs ~50 bytes in numpy columns (strings interned or packed into one blob), plus a
small overlay of recent changes held in dicts. The overlay is folded into new columns when
it grows (:meth:`Catalog.compact`).

One writer (the runtime's follower) changes the catalog; readers never lock. The writer
puts entries before the signals that point at them and removes signals before entries, so a
reader never finds a signal whose entry is missing. Banks live in one small dict that is
replaced whole on every change.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
import numpy.typing as npt

from amparo.errors import InputError

__all__ = ["BankInfo", "Catalog", "EntryInfo"]

I64 = npt.NDArray[np.int64]
_NO_SOURCE_ID = -1
_FORMAT_VERSION = 1


@dataclass(frozen=True)
class BankInfo:
    """A bank as lookups see it."""

    bank_id: int
    name: str
    pdq_threshold: int
    matching_enabled_ratio: float


@dataclass(frozen=True)
class EntryInfo:
    """An entry as lookups see it. ``disable_until_ts``: 1 enabled, 0 disabled, else a Unix
    time until which it is disabled (HMA's rule)."""

    entry_id: int
    bank_id: int
    category: str | None
    tags: tuple[str, ...]
    source: str
    source_id: str | None
    disable_until_ts: int


@dataclass(frozen=True, eq=False)
class _Columns:
    """Entries in columns, sorted by id; strings interned (``strings``) or packed (``blob``)."""

    ids: I64
    bank: I64
    until: I64
    category: npt.NDArray[np.int32]  # index into strings, -1 for none
    tags: npt.NDArray[np.int32]  # index into tag_sets
    source: npt.NDArray[np.int32]  # index into strings
    sid_start: I64  # source_id in blob[sid_start:sid_end]; -1: none
    sid_end: I64
    blob: bytes
    strings: tuple[str, ...]
    tag_sets: tuple[tuple[str, ...], ...]

    def get(self, entry_id: int) -> EntryInfo | None:
        at = int(np.searchsorted(self.ids, entry_id))
        if at >= self.ids.size or int(self.ids[at]) != entry_id:
            return None
        cat = int(self.category[at])
        start = int(self.sid_start[at])
        return EntryInfo(
            entry_id=entry_id,
            bank_id=int(self.bank[at]),
            category=self.strings[cat] if cat >= 0 else None,
            tags=self.tag_sets[int(self.tags[at])],
            source=self.strings[int(self.source[at])],
            source_id=None
            if start == _NO_SOURCE_ID
            else self.blob[start : int(self.sid_end[at])].decode(),
            disable_until_ts=int(self.until[at]),
        )

    def merged(self, other: _Columns, drop: I64) -> _Columns:
        """These columns without ``drop`` ids and ``other``'s ids, plus ``other``; vectorised
        (string tables are merged and ``other``'s codes remapped)."""
        keep = ~np.isin(self.ids, drop) & ~np.isin(self.ids, other.ids)
        strings = {s: i for i, s in enumerate(self.strings)}
        for text in other.strings:
            strings.setdefault(text, len(strings))
        tag_sets = {t: i for i, t in enumerate(self.tag_sets)}
        for tags in other.tag_sets:
            tag_sets.setdefault(tags, len(tag_sets))
        string_map = np.array([strings[t] for t in other.strings] or [0], dtype=np.int32)
        tags_map = np.array([tag_sets[t] for t in other.tag_sets], dtype=np.int32)
        other_category = np.where(other.category >= 0, string_map[other.category.clip(0)], -1)
        shift = len(self.blob)
        has_sid = other.sid_start != _NO_SOURCE_ID

        def join(mine: npt.NDArray[Any], theirs: npt.NDArray[Any]) -> npt.NDArray[Any]:
            return np.concatenate([mine[keep], theirs])

        ids = join(self.ids, other.ids)
        order = np.argsort(ids, kind="stable")
        return _Columns(
            ids=ids[order],
            bank=join(self.bank, other.bank)[order],
            until=join(self.until, other.until)[order],
            category=join(self.category, other_category.astype(np.int32))[order],
            tags=join(self.tags, tags_map[other.tags])[order],
            source=join(self.source, string_map[other.source])[order],
            sid_start=join(self.sid_start, np.where(has_sid, other.sid_start + shift, -1))[order],
            sid_end=join(self.sid_end, np.where(has_sid, other.sid_end + shift, -1))[order],
            blob=self.blob + other.blob,
            strings=tuple(strings),
            tag_sets=tuple(tag_sets),
        )

    @classmethod
    def build(cls, infos: Iterable[EntryInfo]) -> _Columns:
        strings: dict[str, int] = {}
        tag_sets: dict[tuple[str, ...], int] = {(): 0}
        rows: list[tuple[int, int, int, int, int, int, int, int]] = []
        blob = bytearray()
        for e in infos:
            cat = -1 if e.category is None else strings.setdefault(e.category, len(strings))
            src = strings.setdefault(e.source, len(strings))
            tags = tag_sets.setdefault(e.tags, len(tag_sets))
            start = end = _NO_SOURCE_ID
            if e.source_id is not None:
                start = len(blob)
                blob += e.source_id.encode()
                end = len(blob)
            rows.append((e.entry_id, e.bank_id, e.disable_until_ts, cat, tags, src, start, end))
        table = np.array(rows, dtype=np.int64).reshape(-1, 8)
        table = table[np.argsort(table[:, 0], kind="stable")]
        return cls(
            ids=np.ascontiguousarray(table[:, 0]),
            bank=np.ascontiguousarray(table[:, 1]),
            until=np.ascontiguousarray(table[:, 2]),
            category=table[:, 3].astype(np.int32),
            tags=table[:, 4].astype(np.int32),
            source=table[:, 5].astype(np.int32),
            sid_start=np.ascontiguousarray(table[:, 6]),
            sid_end=np.ascontiguousarray(table[:, 7]),
            blob=bytes(blob),
            strings=tuple(strings),
            tag_sets=tuple(tag_sets),
        )


_EMPTY_COLUMNS = _Columns.build(())
_EMPTY_IDS = np.empty(0, dtype=np.int64)


@dataclass(eq=False)
class _State:
    """Columns plus overlays. The overlays map to None for what was removed."""

    entries: _Columns = _EMPTY_COLUMNS
    signal_ids: I64 = field(default_factory=lambda: _EMPTY_IDS)  # sorted
    signal_entry: I64 = field(default_factory=lambda: _EMPTY_IDS)
    entry_overlay: dict[int, EntryInfo | None] = field(default_factory=dict)
    signal_overlay: dict[int, int | None] = field(default_factory=dict)


class Catalog:
    """Signals -> entries -> banks, in memory. See the module docstring for the rules."""

    def __init__(self, *, compact_threshold: int = 100_000) -> None:
        self._state = _State()
        self._banks: Mapping[int, BankInfo] = MappingProxyType({})
        self._threshold = compact_threshold

    # -- reads (any thread) ---------------------------------------------------------------

    @property
    def banks(self) -> Mapping[int, BankInfo]:
        """Every bank by id (a read-only snapshot)."""
        return self._banks

    def entry_of(self, signal_id: int) -> EntryInfo | None:
        """The entry holding signal ``signal_id``, or None if either is gone."""
        state = self._state
        if signal_id in state.signal_overlay:
            entry_id = state.signal_overlay[signal_id]
        else:
            at = int(np.searchsorted(state.signal_ids, signal_id))
            found = at < state.signal_ids.size and int(state.signal_ids[at]) == signal_id
            entry_id = int(state.signal_entry[at]) if found else None
        return None if entry_id is None else self.entry(entry_id)

    def entry(self, entry_id: int) -> EntryInfo | None:
        state = self._state
        if entry_id in state.entry_overlay:
            return state.entry_overlay[entry_id]
        return state.entries.get(entry_id)

    @property
    def overlay_size(self) -> int:
        state = self._state
        return len(state.entry_overlay) + len(state.signal_overlay)

    # -- writes (one thread) --------------------------------------------------------------

    def set_banks(self, banks: Iterable[BankInfo]) -> None:
        """Replace every bank."""
        self._banks = MappingProxyType({b.bank_id: b for b in banks})

    def put_bank(self, bank: BankInfo) -> None:
        self._banks = MappingProxyType({**self._banks, bank.bank_id: bank})

    def drop_bank(self, bank_id: int) -> None:
        self._banks = MappingProxyType({k: v for k, v in self._banks.items() if k != bank_id})

    def put_entries(self, entries: Iterable[EntryInfo]) -> None:
        """Add or replace entries (put them before signals that point at them)."""
        overlay = self._state.entry_overlay
        for entry in entries:
            overlay[entry.entry_id] = entry

    def drop_entries(self, entry_ids: Iterable[int]) -> None:
        overlay = self._state.entry_overlay
        for entry_id in entry_ids:
            overlay[entry_id] = None

    def put_signals(self, pairs: Iterable[tuple[int, int]]) -> None:
        """Point signals at entries: (signal id, entry id) pairs."""
        overlay = self._state.signal_overlay
        for signal_id, entry_id in pairs:
            overlay[signal_id] = entry_id

    def drop_signals(self, signal_ids: Iterable[int]) -> None:
        overlay = self._state.signal_overlay
        for signal_id in signal_ids:
            overlay[signal_id] = None

    def load(self, entries: Iterable[EntryInfo], signal_ids: I64, signal_entry: I64) -> None:
        """Replace everything but the banks with these entries and signal -> entry pairs
        (a full load; a Python loop over the entries: about a second per million)."""
        order = np.argsort(signal_ids, kind="stable")
        self._state = _State(
            _Columns.build(entries),
            np.ascontiguousarray(signal_ids[order], dtype=np.int64),
            np.ascontiguousarray(signal_entry[order], dtype=np.int64),
        )

    def compact_if_needed(self) -> None:
        if self.overlay_size >= self._threshold:
            self.compact()

    def compact(self) -> None:
        """Fold the overlays into new columns (vectorised; on the writer's thread)."""
        state = self._state
        if not state.entry_overlay and not state.signal_overlay:
            return
        puts = [e for e in state.entry_overlay.values() if e is not None]
        drops = [k for k, e in state.entry_overlay.items() if e is None]
        entries = state.entries.merged(_Columns.build(puts), np.array(drops, dtype=np.int64))
        ids, owners = state.signal_ids, state.signal_entry
        if state.signal_overlay:
            changed = np.fromiter(state.signal_overlay, dtype=np.int64)
            keep = ~np.isin(ids, changed)
            added = [(s, e) for s, e in state.signal_overlay.items() if e is not None]
            new = np.array(added, dtype=np.int64).reshape(-1, 2)
            ids = np.concatenate([ids[keep], new[:, 0]])
            owners = np.concatenate([owners[keep], new[:, 1]])
        order = np.argsort(ids, kind="stable")
        self._state = _State(entries, ids[order], owners[order])

    # -- persistence ----------------------------------------------------------------------

    def save(self, path: Path) -> None:
        """Write the catalog (compacted) and the banks to ``path`` atomically (``.npz``)."""
        self.compact()
        state, cols = self._state, self._state.entries
        banks = [
            [b.bank_id, b.name, b.pdq_threshold, b.matching_enabled_ratio]
            for b in self._banks.values()
        ]
        meta = {"strings": cols.strings, "tag_sets": cols.tag_sets, "banks": banks}
        tmp = path.with_name(path.name + ".tmp")
        with open(tmp, "wb") as f:
            np.savez(
                f,
                format=np.array([_FORMAT_VERSION]),
                meta=np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8),
                blob=np.frombuffer(cols.blob, dtype=np.uint8),
                columns=np.stack(
                    [
                        cols.ids,
                        cols.bank,
                        cols.until,
                        cols.category.astype(np.int64),
                        cols.tags.astype(np.int64),
                        cols.source.astype(np.int64),
                        cols.sid_start,
                        cols.sid_end,
                    ]
                )
                if cols.ids.size
                else np.empty((8, 0), dtype=np.int64),
                signals=np.stack([state.signal_ids, state.signal_entry]),
            )
        os.replace(tmp, path)

    @classmethod
    def load_file(cls, path: Path) -> Catalog:
        """Read a file written by :meth:`save`."""
        hint = "it is rebuilt from the database"
        try:
            with np.load(path, allow_pickle=False) as data:
                version = data["format"].tolist()
                meta: dict[str, Any] = json.loads(data["meta"].tobytes())
                blob = data["blob"].tobytes()
                columns, signals = data["columns"], data["signals"]
        except (OSError, KeyError, ValueError) as exc:
            raise InputError(f"{path} is not a catalog saved by Amparo: {exc}", hint=hint) from exc
        if version != [_FORMAT_VERSION] or columns.shape[0] != 8 or signals.shape[0] != 2:
            raise InputError(f"{path} has an unknown format", hint=hint)
        catalog = cls()
        catalog._state = _State(
            _Columns(
                ids=np.ascontiguousarray(columns[0]),
                bank=np.ascontiguousarray(columns[1]),
                until=np.ascontiguousarray(columns[2]),
                category=columns[3].astype(np.int32),
                tags=columns[4].astype(np.int32),
                source=columns[5].astype(np.int32),
                sid_start=np.ascontiguousarray(columns[6]),
                sid_end=np.ascontiguousarray(columns[7]),
                blob=blob,
                strings=tuple(meta["strings"]),
                tag_sets=tuple(tuple(t) for t in meta["tag_sets"]),
            ),
            np.ascontiguousarray(signals[0]),
            np.ascontiguousarray(signals[1]),
        )
        catalog.set_banks(
            BankInfo(int(b[0]), str(b[1]), int(b[2]), float(b[3])) for b in meta["banks"]
        )
        return catalog
