"""When to try a failed delivery again: exponential backoff with full jitter.

The ``n``-th retry waits a random time between 0 and ``min(max_seconds, base * 2**(n-1))``
("full jitter", as in AWS's *Exponential Backoff And Jitter*): receivers that failed
together are not hit together again, and the wait never exceeds ``max_seconds``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

__all__ = ["Backoff"]

_MAX_DOUBLINGS = 64  # 2**64 times any positive base is past every cap: no float overflow


@dataclass(frozen=True)
class Backoff:
    """The retry schedule: ``base`` seconds caps the first retry's wait, each later cap
    doubles, and no cap passes ``max_seconds``."""

    base: float
    max_seconds: float

    def __post_init__(self) -> None:
        if not 0 < self.base <= self.max_seconds:
            raise ValueError(f"need 0 < base <= max_seconds, not {self.base}, {self.max_seconds}")

    def ceiling(self, retry: int) -> float:
        """The longest wait before retry number ``retry`` (1 = the first retry)."""
        doublings = min(max(retry, 1) - 1, _MAX_DOUBLINGS)
        return min(self.max_seconds, self.base * 2.0**doublings)

    def delay(self, retry: int, rng: random.Random) -> float:
        """A wait drawn uniformly from ``[0, ceiling(retry)]``."""
        return rng.uniform(0.0, self.ceiling(retry))
