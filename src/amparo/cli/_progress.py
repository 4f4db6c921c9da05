"""Progress of long work (imports, exchange fetches, many-file scans, ledger audits).

On a terminal: a ``rich`` progress bar on stderr with the count, the rate and, when the
total is known, the time left; it disappears when the work ends. Otherwise (a pipe, a log
file, cron): a log line every :data:`INTERVAL` seconds through the ``amparo.progress``
logger, and a last line when the work ends if any line was written, so short work stays
silent. ``quiet`` shows nothing.
"""

from __future__ import annotations

import logging
import time
from types import TracebackType

from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from amparo.cli._common import err

__all__ = ["INTERVAL", "Reporter"]

INTERVAL = 10.0
"""Seconds between progress log lines when stderr is not a terminal."""

log = logging.getLogger("amparo.progress")


class _Rate(ProgressColumn):
    """Items per second, in the work's unit."""

    def __init__(self, unit: str) -> None:
        super().__init__()
        self.unit = unit

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{speed:,.0f} {self.unit}/s" if speed else f"- {self.unit}/s")


class Reporter:
    """``with Reporter("import NCMEC", "rows", total=None, quiet=False) as p: p.update(n)``.

    ``update`` sets how many items are done (and the total, once known); ``advance`` adds.
    """

    def __init__(self, what: str, unit: str, *, total: int | None = None, quiet: bool = False):
        self.what = what
        self.unit = unit
        self.total = total
        self.done = 0
        self.quiet = quiet
        self._bar: Progress | None = None
        self._task = TaskID(0)
        self._started = time.monotonic()
        self._last_line = self._started
        self._lines = 0

    def __enter__(self) -> Reporter:
        if not self.quiet and err.is_terminal:
            self._bar = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                _Rate(self.unit),
                TimeElapsedColumn(),
                TextColumn("left"),
                TimeRemainingColumn(),
                console=err,
                transient=True,
            )
            self._bar.start()
            self._task = self._bar.add_task(self.what, total=self.total)
        return self

    def update(self, done: int, total: int | None = None) -> None:
        """``done`` items so far (of ``total``, when it becomes known)."""
        self.done = done
        if total is not None:
            self.total = total
        if self._bar is not None:
            self._bar.update(self._task, completed=done, total=self.total)
        elif not self.quiet and time.monotonic() - self._last_line >= INTERVAL:
            self._line()

    def advance(self, count: int = 1) -> None:
        """``count`` more items done."""
        self.update(self.done + count)

    def describe(self, what: str) -> None:
        """Change what the bar says is being done (e.g. the phase of a fetch)."""
        self.what = what
        if self._bar is not None:
            self._bar.update(self._task, description=what)

    def _line(self) -> None:
        now = time.monotonic()
        elapsed = max(now - self._started, 1e-9)
        rate = self.done / elapsed
        of = f"/{self.total:,}" if self.total else ""
        left = ""
        if self.total and rate > 0 and self.done < self.total:
            left = f", about {(self.total - self.done) / rate:,.0f} s left"
        log.info(
            "%s: %s%s %s, %s %s/s%s",
            self.what,
            f"{self.done:,}",
            of,
            self.unit,
            f"{rate:,.0f}",
            self.unit,
            left,
        )
        self._last_line = now
        self._lines += 1

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._bar is not None:
            self._bar.stop()
        elif self._lines and not self.quiet:
            self._line()
