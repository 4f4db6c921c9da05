"""Which :class:`Observations` the CLI and API use for a runtime.

The accountability package owns what Amparo observed; it (or whoever assembles the system)
calls :func:`bind_observations` once per runtime. Until then comparisons show the declared
side only (:class:`NoObservations`). Bound per runtime, held weakly: a closed runtime
leaves nothing behind, and tests never share a binding.
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from datetime import date

from amparo.dsa.base import Observations, ObservedDay

__all__ = ["NoObservations", "bind_observations", "observations_for"]

_BOUND: weakref.WeakKeyDictionary[object, Observations] = weakref.WeakKeyDictionary()


class NoObservations:
    """Observations of nothing: every day unobserved."""

    def observed(self, platform: str, start: date, end: date) -> Sequence[ObservedDay]:
        return ()


def bind_observations(owner: object, observations: Observations) -> None:
    """Use ``observations`` for comparisons made through ``owner`` (a runtime)."""
    _BOUND[owner] = observations


def observations_for(owner: object) -> Observations:
    """The observations bound to ``owner``, or :class:`NoObservations`."""
    return _BOUND.get(owner, NoObservations())
