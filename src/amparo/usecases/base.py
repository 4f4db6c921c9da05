"""The narrow interfaces use cases take. :class:`amparo.runtime.Runtime` provides them all;
tests may pass anything with the same members."""

from __future__ import annotations

from concurrent.futures import Future
from contextlib import AbstractContextManager
from typing import Protocol

from amparo.matching import Matcher
from amparo.policy import Decision, Policy
from amparo.provenance import ProvenanceOptions
from amparo.remote import UrlFetcher
from amparo.scan import ScanRecord
from amparo.signals import Hasher
from amparo.store import UnitOfWork

__all__ = ["DecisionEffect", "ScanContext", "ScanSink", "Transactional"]


class DecisionEffect(Protocol):
    """What a decision makes happen, in the transaction that commits its scan (the vault,
    the outbox, review queues...): the seam between policy and its effects.

    The runtime's scan writer calls :meth:`apply` for every scan record that carries a
    decision, inside the unit of work that inserts the record, so the scan and its effects
    commit together or not at all (an effect that raises fails that scan, never others in
    its group). ``media`` is the scanned bytes only when the decision needs them
    (``preserve`` or ``quarantine``: :attr:`Decision.needs_media`), else None; an effect
    must not keep media in any other case. Don't commit, and don't do slow I/O here
    (delivering a webhook belongs after the commit: write an outbox row instead).
    """

    def apply(
        self, uow: UnitOfWork, record: ScanRecord, decision: Decision, media: bytes | None
    ) -> None: ...


class ScanSink(Protocol):
    """Where scan records go: committed in groups; unmatched lookups only counted.
    ``media`` goes with a record only when its decision needs it (see
    :class:`DecisionEffect`)."""

    def submit(self, record: ScanRecord, media: bytes | None = None) -> Future[None]: ...

    def count(self, scans: int = 1) -> None: ...


class Transactional(Protocol):
    def session(self) -> AbstractContextManager[UnitOfWork]: ...


class ScanContext(Protocol):
    """What scanning needs: hashing, provenance options, lookups, the active policy, a
    place for records."""

    @property
    def hasher(self) -> Hasher: ...

    @property
    def provenance_options(self) -> ProvenanceOptions: ...

    @property
    def matcher(self) -> Matcher: ...

    @property
    def policy(self) -> Policy: ...

    @property
    def scans(self) -> ScanSink: ...

    @property
    def fetcher(self) -> UrlFetcher: ...
