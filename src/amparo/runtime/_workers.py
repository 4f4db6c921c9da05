"""Background workers: a thread that runs one round of work every interval."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

__all__ = ["PeriodicWorker"]

log = logging.getLogger(__name__)


class PeriodicWorker:
    """Runs ``round`` every ``interval`` seconds on a daemon thread until :meth:`stop`.

    A failing round is logged and retried at the next interval: a worker never dies of one.
    :meth:`wake` runs the next round now (e.g. right after a commit that it should see);
    :meth:`run_now` also waits for it, so tests and commands never poll or sleep.
    ``first_delay`` defers the first round (a server that starts and stops at once does
    nothing it was not asked to).
    """

    def __init__(
        self,
        name: str,
        interval: float,
        round: Callable[[], object],
        *,
        first_delay: float = 0.0,
        final_round: bool = False,
    ) -> None:
        self.name = name
        self.interval = interval
        self._round = round
        self._first_delay = first_delay
        self._final_round = final_round
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._done = threading.Condition()
        self._running = False
        self.rounds = 0
        self._thread = threading.Thread(target=self._run, name=f"amparo-{name}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def _run(self) -> None:
        # Stopped during the first delay, it still runs the final round: a server stopped
        # within a minute of its start still saves its index snapshot.
        if not (self._first_delay and self._wait(self._first_delay)):
            while not self._stop.is_set():
                self._run_round()
                if self._wait(self.interval):
                    break
        if self._final_round:
            self._run_round()

    def _wait(self, seconds: float) -> bool:
        """Sleep ``seconds`` or until woken; True when stopping."""
        self._wake.wait(seconds)
        self._wake.clear()
        return self._stop.is_set()

    def _run_round(self) -> None:
        with self._done:
            self._running = True
        try:
            self._round()
        except Exception:
            log.exception("%s: round failed; retrying at the next interval", self.name)
        with self._done:
            self.rounds += 1
            self._running = False
            self._done.notify_all()

    def run_now(self, timeout: float = 30.0) -> bool:
        """Run a round now and wait until one that started after this call has finished
        (True), or ``timeout`` passed."""
        with self._done:
            target = self.rounds + (2 if self._running else 1)
            self._wake.set()
            return self._done.wait_for(lambda: self.rounds >= target, timeout)

    def stop(self, timeout: float = 10.0) -> None:
        """Stop after the current round (and run the final round, if asked)."""
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout)
