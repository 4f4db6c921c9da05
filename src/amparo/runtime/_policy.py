"""The active policy, held in memory and kept current.

Every scan is decided by :attr:`PolicyHolder.policy` (read without a lock: one attribute).
It is the built-in policy until one is activated. It is refreshed right after this process
activates one (the runtime listens for :class:`~amparo.policy.PolicyActivated`), and every
``index_refresh_seconds`` by the ``policy`` worker, which reads the newest activation's
number (one indexed read) and loads the policy only when that changed: another replica's
activation takes effect within that interval. Polling rather than the change feed: the
feed's follower rebuilds the lookup catalog, and a policy is one small row beside it.

A stored policy that no longer parses (a downgrade, a hand-edited row) is logged and the
built-in policy decides instead: fail closed, never "no policy".
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager

from sqlalchemy.orm import Session

from amparo import policies
from amparo.errors import InputError
from amparo.policies import ActivePolicy
from amparo.policy import Policy, default_policy

__all__ = ["PolicyHolder"]

log = logging.getLogger(__name__)

Sessions = Callable[[], AbstractContextManager[Session]]


class PolicyHolder:
    """Holds the active policy (see the module docstring). Thread-safe."""

    def __init__(self, sessions: Sessions) -> None:
        self._sessions = sessions
        self._lock = threading.Lock()
        self.policy: Policy = default_policy()
        """The policy every scan is decided by now."""
        self.active: ActivePolicy | None = None
        """The stored active policy with its activation, None while the built-in decides."""
        self._seq: int | None = None
        self._last_sync: float | None = None

    def sync(self) -> bool:
        """Load the active policy if another was activated since the last sync; True if
        the policy changed."""
        with self._lock:
            with self._sessions() as session:
                seq = policies.newest_activation(session)
                self._last_sync = time.monotonic()
                if seq == self._seq:
                    return False
                try:
                    active = policies.active_policy(session)
                except InputError:
                    log.exception("the active policy does not parse; the built-in one decides")
                    active = None
            self._seq = seq
            self.active = active
            self.policy = active.policy if active is not None else default_policy()
            log.info(
                "policy %s (version %s) is active",
                self.policy.name,
                self.policy.version if self.policy.version is not None else "built-in",
            )
            return True

    def sync_if_older(self, seconds: float) -> None:
        """:meth:`sync` unless synced in the last ``seconds`` (the command line's way)."""
        if self._last_sync is None or time.monotonic() - self._last_sync >= seconds:
            self.sync()
