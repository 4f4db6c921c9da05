"""The narrow interfaces use cases take. :class:`amparo.runtime.Runtime` provides them all;
tests may pass anything with the same members."""

from __future__ import annotations

from concurrent.futures import Future
from contextlib import AbstractContextManager
from typing import Protocol

from amparo.matching import Matcher
from amparo.provenance import ProvenanceOptions
from amparo.remote import UrlFetcher
from amparo.scan import ScanRecord
from amparo.signals import Hasher
from amparo.store import UnitOfWork

__all__ = ["ScanContext", "ScanSink", "Transactional"]


class ScanSink(Protocol):
    """Where scan records go: committed in groups; unmatched lookups only counted."""

    def submit(self, record: ScanRecord) -> Future[None]: ...

    def count(self, scans: int = 1) -> None: ...


class Transactional(Protocol):
    def session(self) -> AbstractContextManager[UnitOfWork]: ...


class ScanContext(Protocol):
    """What scanning needs: hashing, provenance options, lookups, a place for records."""

    @property
    def hasher(self) -> Hasher: ...

    @property
    def provenance_options(self) -> ProvenanceOptions: ...

    @property
    def matcher(self) -> Matcher: ...

    @property
    def scans(self) -> ScanSink: ...

    @property
    def fetcher(self) -> UrlFetcher: ...
