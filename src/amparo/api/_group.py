"""Readiness of a group of ``amparo serve --workers N`` processes.

Each worker loads its own indexes, and a probe reaches whichever worker the kernel hands the
connection to: a worker that has loaded must not call the server ready while another still
answers lookups with 503. ``amparo serve`` names a fresh folder and the group's size in
:data:`~amparo.config.SERVE_GROUP_ENV`; each worker writes a file named by its process id
there once its indexes are loaded, and ``/readyz`` and ``/status`` answer ready only when
every worker has (files of workers that died, and that uvicorn replaced, are not counted).
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path

from amparo.config import SERVE_GROUP_ENV

__all__ = ["WorkerGroup"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WorkerGroup:
    """The workers of one ``amparo serve``: how many, and the folder they report in."""

    size: int
    folder: Path

    @classmethod
    def from_environment(cls) -> WorkerGroup | None:
        """The group this process serves in, or None (one worker, or not ``amparo serve``)."""
        size, _, folder = os.environ.get(SERVE_GROUP_ENV, "").partition(":")
        if not size.isdigit() or int(size) < 2 or not folder:
            return None
        return cls(int(size), Path(folder))

    def announce_when(self, loaded: threading.Event) -> None:
        """Write this worker's file once ``loaded`` is set (on a daemon thread)."""

        def wait() -> None:
            loaded.wait()
            try:
                (self.folder / str(os.getpid())).touch()
            except OSError as exc:  # the folder went with its serve command: stay not ready
                log.warning("cannot report this worker ready in %s: %s", self.folder, exc)

        threading.Thread(target=wait, name="amparo-group-ready", daemon=True).start()

    def loaded_workers(self) -> int:
        """How many live workers of the group have loaded their indexes."""
        try:
            names = [p.name for p in self.folder.iterdir()]
        except OSError:
            return 0
        return sum(1 for name in names if name.isdigit() and _alive(int(name)))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
