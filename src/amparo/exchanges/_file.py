"""A local hash-list file as an exchange, read in batches.

threatexchange's ``LocalFileSignalExchangeAPI`` reads the whole file into one delta; this
one streams it ``BATCH_LINES`` lines at a time so a file of millions of hashes never sits in
memory, and checkpoints the byte offset so an interrupted read resumes. Every fetch reads the
whole file again (the checkpoint of a finished or changed file is stale), and the fetch
engine deletes entries no longer in it.

Format (as threatexchange's): one signal per line, ``TYPE VALUE`` (e.g. ``pdq f8f8...``), or
just ``VALUE`` when the exchange is configured with a ``signal_type``. Blank lines and lines
starting with ``#`` are skipped.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from threatexchange.exchanges import fetch_state as state
from threatexchange.exchanges.impl.file_api import FileCollaborationConfig
from threatexchange.exchanges.signal_exchange_api import SignalExchangeAPIWithSimpleUpdates
from threatexchange.signal_type.signal_base import SignalType

__all__ = ["BATCH_LINES", "FileCheckpoint", "StreamingFileExchangeAPI"]

BATCH_LINES = 10_000

_Delta = state.FetchDelta[tuple[str, str], state.FetchedSignalMetadata, "FileCheckpoint"]


@dataclass
class FileCheckpoint(state.FetchCheckpointBase):
    """How far a read of one version (size, mtime) of a file got."""

    path: str
    size: int
    mtime_ns: int
    offset: int

    def is_stale(self) -> bool:
        """A finished read, or a file that changed since, starts over."""
        try:
            st = os.stat(self.path)
        except OSError:
            return True
        return (
            self.offset >= self.size or st.st_size != self.size or st.st_mtime_ns != self.mtime_ns
        )


class StreamingFileExchangeAPI(
    SignalExchangeAPIWithSimpleUpdates[
        FileCollaborationConfig, FileCheckpoint, state.FetchedSignalMetadata
    ]
):
    """Signals from a local file, ``BATCH_LINES`` per delta."""

    def __init__(self, collab: FileCollaborationConfig) -> None:
        self.collab = collab

    @classmethod
    def get_name(cls) -> str:
        return "local_file"

    @staticmethod
    def get_config_cls() -> type[FileCollaborationConfig]:
        return FileCollaborationConfig

    @staticmethod
    def get_checkpoint_cls() -> type[FileCheckpoint]:
        return FileCheckpoint

    @staticmethod
    def get_record_cls() -> type[state.FetchedSignalMetadata]:
        return state.FetchedSignalMetadata

    @classmethod
    def for_collab(cls, collab: FileCollaborationConfig) -> StreamingFileExchangeAPI:
        return cls(collab)

    def fetch_iter(
        self,
        supported_signal_types: Sequence[type[SignalType]],
        checkpoint: Any,
    ) -> Iterator[_Delta]:
        path = self.collab.filename
        with open(path, "rb") as f:
            st = os.fstat(f.fileno())
            if isinstance(checkpoint, FileCheckpoint) and not checkpoint.is_stale():
                f.seek(checkpoint.offset)
            updates: dict[tuple[str, str], state.FetchedSignalMetadata | None] = {}
            while True:
                raw = f.readline()
                if raw:
                    key = self._parse(raw)
                    if key is not None:
                        updates[key] = state.FetchedSignalMetadata()
                if updates and (not raw or len(updates) >= BATCH_LINES):
                    cp = FileCheckpoint(path, st.st_size, st.st_mtime_ns, f.tell())
                    yield _Delta(updates, cp)
                    updates = {}
                if not raw:
                    return

    def _parse(self, raw: bytes) -> tuple[str, str] | None:
        line = raw.decode("utf-8", errors="replace").strip()
        if not line or line.startswith("#"):
            return None
        signal_type = self.collab.signal_type
        if signal_type is None:
            signal_type, _, line = line.partition(" ")
        value = line.strip()
        return (signal_type.strip().lower(), value) if signal_type and value else None
