"""A scripted exchange API for the exchange tests (no tests here).

:class:`FakeExchangeAPI` is a real ``SignalExchangeAPI`` subclass whose deltas come from a
script: a function from the batch number it resumes at to (updates, next batch) pairs. Hashes
are random benign values (digests of counters), never hashes of any real material.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from threatexchange.exchanges import fetch_state as state
from threatexchange.exchanges.auth import CredentialHelper
from threatexchange.exchanges.collab_config import CollaborationConfigWithDefaults
from threatexchange.exchanges.signal_exchange_api import SignalExchangeAPIWithSimpleUpdates
from threatexchange.signal_type.signal_base import SignalType

from amparo.exchanges._apis import EXCHANGE_APIS, ExchangeApiSpec
from amparo.exchanges._convert import convert_simple

Updates = dict[tuple[str, str], state.FetchedSignalMetadata | None]
Script = Callable[[int], Iterator[tuple[Updates, int]]]


def pdq(n: int, salt: str = "") -> str:
    """A benign pseudo-random PDQ-shaped hash (64 hex digits)."""
    return hashlib.sha256(f"amparo-test-{salt}-{n}".encode()).hexdigest()


@dataclass
class TaggedMeta(state.FetchedSignalMetadata):
    tags: set[str] = field(default_factory=set)
    category: state.SignalOpinionCategory = state.SignalOpinionCategory.POSITIVE_CLASS

    def get_as_opinions(self) -> Sequence[state.SignalOpinion]:
        return [state.SignalOpinion(False, self.category, set(self.tags))]


@dataclass
class FakeCheckpoint(state.FetchCheckpointBase):
    batch: int

    def get_progress_timestamp(self) -> int:
        return 1_700_000_000 + self.batch


@dataclass
class FakeCredentials(CredentialHelper):
    token: str


class FakeExchangeAPI(
    SignalExchangeAPIWithSimpleUpdates[
        CollaborationConfigWithDefaults, FakeCheckpoint, state.FetchedSignalMetadata
    ]
):
    script: ClassVar[Script]
    started_at: ClassVar[list[int]] = []
    seen_tokens: ClassVar[list[str]] = []

    def __init__(self, token: str) -> None:
        self.token = token

    @classmethod
    def get_name(cls) -> str:
        return "fake"

    @staticmethod
    def get_config_cls() -> type[CollaborationConfigWithDefaults]:
        return CollaborationConfigWithDefaults

    @staticmethod
    def get_checkpoint_cls() -> type[FakeCheckpoint]:
        return FakeCheckpoint

    @staticmethod
    def get_record_cls() -> type[state.FetchedSignalMetadata]:
        return state.FetchedSignalMetadata

    @classmethod
    def for_collab(  # type: ignore[override]
        cls, collab: CollaborationConfigWithDefaults, credentials: FakeCredentials | None = None
    ) -> FakeExchangeAPI:
        assert credentials is not None
        return cls(credentials.token)

    def fetch_iter(
        self, supported_signal_types: Sequence[type[SignalType]], checkpoint: Any
    ) -> Iterator[state.FetchDelta[tuple[str, str], state.FetchedSignalMetadata, FakeCheckpoint]]:
        start = checkpoint.batch if checkpoint is not None else 0
        type(self).started_at.append(start)
        type(self).seen_tokens.append(self.token)
        for updates, next_batch in type(self).script(start):
            yield state.FetchDelta(updates, FakeCheckpoint(next_batch))


def fake_apis(script: Script) -> Mapping[str, ExchangeApiSpec]:
    """The built-in APIs plus a ``fake`` one following ``script``."""
    api_cls = type("ScriptedAPI", (FakeExchangeAPI,), {"script": staticmethod(script)})
    api_cls.started_at = []
    api_cls.seen_tokens = []
    spec = ExchangeApiSpec(
        name="fake",
        description="scripted test exchange",
        api_cls=api_cls,
        convert=convert_simple,
        credential_cls=FakeCredentials,
        credential_fields=("token",),
        credential_format="TOKEN",
    )
    return {**EXCHANGE_APIS, "fake": spec}


def batches(plan: Sequence[Updates], fail_at: int | None = None) -> Script:
    """A script yielding ``plan`` (batch i resumes at i); raises on reaching ``fail_at``."""

    def script(start: int) -> Iterator[tuple[Updates, int]]:
        for i in range(start, len(plan)):
            if i == fail_at:
                raise ConnectionError("exchange went away")
            yield plan[i], i + 1

    return script
