from __future__ import annotations

import copy
import dataclasses
import time
from collections.abc import Iterator
from typing import Any, ClassVar

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select
from test_exchanges_support import pdq
from threatexchange.exchanges.clients.ncmec import hash_api as ncmec
from threatexchange.exchanges.clients.stopncii import api as stopncii
from threatexchange.exchanges.fetch_state import NoCheckpointing, SignalOpinionCategory
from threatexchange.exchanges.impl.fb_threatexchange_api import (
    FBThreatExchangeCheckpoint,
    FBThreatExchangeIndicatorRecord,
    FBThreatExchangeOpinion,
)
from threatexchange.exchanges.impl.ncmec_api import (
    NCMECCheckpoint,
    NCMECSignalExchangeAPI,
    _NCMECPagingInfo,
)
from threatexchange.exchanges.impl.stop_ncii_api import StopNCIICheckpoint, StopNCIISignalMetadata
from threatexchange.exchanges.impl.techagainstterrorism_api import TATCheckpoint

from amparo import banks
from amparo.errors import InputError
from amparo.exchanges._apis import EXCHANGE_APIS
from amparo.exchanges._config import create_exchange
from amparo.exchanges._convert import (
    clean_tags,
    convert_ncmec,
    convert_simple,
    convert_threatexchange,
)
from amparo.exchanges._fetch import fetch_exchange
from amparo.exchanges._state import checkpoint_from_json, checkpoint_to_json
from amparo.runtime import Amparo
from amparo.store import ExchangeRow

MD5 = "0123456789abcdef0123456789abcdef"


def _ncmec_entry(
    entry_id: str,
    *,
    member: int = 7,
    kind: ncmec.NCMECEntryType = ncmec.NCMECEntryType.image,
    classification: str | None = "A1",
    fingerprints: dict[str, str] | None = None,
    deleted: bool = False,
    downvoted: bool = False,
) -> ncmec.NCMECEntryUpdate:
    feedback: dict[str, list[ncmec.Feedback]] = {}
    if downvoted:
        member_info = ncmec.StatusResult(9, "other esp")
        feedback["PDQ"] = [ncmec.Feedback(ncmec.FeedbackType.downvote, member_info, "x")]
    return ncmec.NCMECEntryUpdate(
        id=entry_id,
        member_id=member,
        entry_type=kind,
        deleted=deleted,
        classification=classification,
        fingerprints={"pdq": pdq(1), "md5": MD5, "sha1": "ab" * 20}
        if fingerprints is None
        else fingerprints,
        feedback=feedback,
    )


def test_ncmec_entries_become_categorised_tagged_entries() -> None:
    config = {"environment": "NGO_Generative_AI", "only_esp_ids": [], "tags": ["ncmec"]}
    item = convert_ncmec("7-1", _ncmec_entry("1", classification="b2"), config)
    assert item.signals == {"pdq": pdq(1), "md5": MD5}
    assert item.category == "B2" and item.tags == ("ncmec", "generative_ai")
    assert item.metadata == {
        "ncmec_member_id": 7,
        "ncmec_entry_id": "1",
        "ncmec_entry_type": "image",
    }
    video = _ncmec_entry("2", kind=ncmec.NCMECEntryType.video, fingerprints={"MD5": MD5})
    industry = {"environment": "Industry_Exploitative"}
    converted = convert_ncmec("7-2", video, industry)
    assert converted.signals == {"video_md5": MD5}
    assert converted.tags == ("exploitative",)
    odd = convert_ncmec("7-3", _ncmec_entry("3", classification="Z9", downvoted=True), industry)
    assert odd.category is None and odd.metadata and odd.metadata["ncmec_classification"] == "Z9"
    assert "disputed" in odd.tags


def test_ncmec_deleted_filtered_and_unusable_entries_are_absent() -> None:
    env = {"environment": "Industry"}
    assert not convert_ncmec("7-1", _ncmec_entry("1", deleted=True), env).signals
    filtered = convert_ncmec("7-1", _ncmec_entry("1"), {**env, "only_esp_ids": [8]})
    assert not filtered.signals and filtered.unusable
    sha1_only = convert_ncmec("7-1", _ncmec_entry("1", fingerprints={"sha1": "ab" * 20}), env)
    assert not sha1_only.signals and sha1_only.unusable


def test_threatexchange_records() -> None:
    def record(*tags: str, category: SignalOpinionCategory = SignalOpinionCategory.POSITIVE_CLASS):
        return FBThreatExchangeIndicatorRecord(
            [FBThreatExchangeOpinion(False, category, set(tags), 1, 2)]
        )

    item = convert_threatexchange(("HASH_PDQ", pdq(2)), record("Tag One"), {})
    assert item.signals == {"pdq": pdq(2)} and item.tags == ("tag_one",)
    assert item.source_id == f"HASH_PDQ:{pdq(2)}"
    video = convert_threatexchange(("HASH_MD5", MD5), record("media_type_video"), {})
    assert video.signals == {"video_md5": MD5}
    assert convert_threatexchange(("HASH_MD5", MD5), record(), {}).signals == {"md5": MD5}
    harmless = record(category=SignalOpinionCategory.NEGATIVE_CLASS)
    assert not convert_threatexchange(("HASH_PDQ", pdq(2)), harmless, {}).signals
    assert not convert_threatexchange(("URI", "https://x.test"), record(), {}).signals
    assert not convert_threatexchange(("HASH_PDQ", pdq(2)), None, {}).signals


def test_stopncii_feedback_becomes_tags_and_disputes() -> None:
    blocked = stopncii.StopNCIICSPFeedback(stopncii.StopNCIICSPFeedbackValue.Blocked, {"ncii"})
    not_blocked = stopncii.StopNCIICSPFeedback(stopncii.StopNCIICSPFeedbackValue.NotBlocked)
    item = convert_simple(("pdq", pdq(3)), StopNCIISignalMetadata([blocked]), {})
    assert item.signals == {"pdq": pdq(3)} and item.tags == ("ncii",)
    mixed = convert_simple(("pdq", pdq(3)), StopNCIISignalMetadata([blocked, not_blocked]), {})
    assert "disputed" in mixed.tags


@given(st.lists(st.text(max_size=80), max_size=30))
def test_clean_tags_always_satisfy_the_tag_rule(raw: list[str]) -> None:
    cleaned = clean_tags(raw)
    assert banks.check_tags(cleaned) == cleaned and len(cleaned) <= 16


@pytest.mark.parametrize(
    "checkpoint",
    [
        NCMECCheckpoint(1_700_000_000),
        NCMECCheckpoint(1_700_000_000, _NCMECPagingInfo("https://x.test/next?start=3", 17, 5)),
        StopNCIICheckpoint(12, 34),
        FBThreatExchangeCheckpoint(5, 6),
        TATCheckpoint("1704085200,124"),
        NoCheckpointing(),
    ],
)
def test_checkpoints_round_trip_through_json(checkpoint: Any) -> None:
    data = checkpoint_to_json(checkpoint)
    assert checkpoint_from_json(type(checkpoint), data) == checkpoint


def test_unreadable_checkpoint_means_start_over() -> None:
    assert checkpoint_from_json(NCMECCheckpoint, {"get_entries_max_ts": "soon"}) is None
    assert checkpoint_from_json(NCMECCheckpoint, ["not", "an", "object"]) is None


@pytest.mark.parametrize(
    ("api", "credentials", "config"),
    [
        ("ncmec", "u:p", {"environment": "Industry"}),
        ("stop_ncii", "fk,sk", {}),
        ("fb_threatexchange", "123|abc", {"privacy_group": "42"}),
        ("tat", "u:p", {}),
    ],
)
def test_real_clients_are_built_with_stored_credentials(
    api: str, credentials: str, config: dict[str, Any]
) -> None:
    spec = EXCHANGE_APIS[api]
    fields = spec.parse_credentials(credentials)
    client = spec.make_api("x", spec.checked_config(config), fields)
    assert isinstance(client, spec.api_cls)
    with pytest.raises(InputError, match="no credentials"):
        spec.make_api("x", spec.checked_config(config), None)


def test_credentials_in_the_wrong_shape_are_refused() -> None:
    with pytest.raises(InputError, match="need user, password"):
        EXCHANGE_APIS["ncmec"].parse_credentials("no-colon")
    with pytest.raises(InputError, match="need fetch_function_key"):
        EXCHANGE_APIS["stop_ncii"].parse_credentials({"fetch_function_key": "a"})


class _FakeNCMECClient:
    pages: ClassVar[list[list[ncmec.NCMECEntryUpdate]]] = []
    calls: ClassVar[list[int]] = []

    def get_entries_iter(
        self, *, start_timestamp: int, end_timestamp: int, resume_paging_url: str
    ) -> Iterator[ncmec.GetEntriesResponse]:
        type(self).calls.append(start_timestamp)
        if self.pages:
            yield ncmec.GetEntriesResponse(self.pages.pop(0), end_timestamp, "")


class _OfflineNCMEC(NCMECSignalExchangeAPI):
    def get_client(self, environment: ncmec.NCMECEnvironment) -> Any:
        return _FakeNCMECClient()


def test_ncmec_fetch_end_to_end_with_an_offline_client(amparo: Amparo) -> None:
    apis = {"ncmec": dataclasses.replace(EXCHANGE_APIS["ncmec"], api_cls=_OfflineNCMEC)}
    box = amparo.credential_box()
    with amparo.session() as s:
        banks.create_bank(s, "NCMEC_GENAI")
        create_exchange(
            s,
            "ncmec-genai",
            api="ncmec",
            bank="NCMEC_GENAI",
            config={"environment": "NGO_Generative_AI"},
            credentials="user:pw",
            box=box,
            apis=apis,
        )
    _FakeNCMECClient.pages = [[_ncmec_entry("1"), _ncmec_entry("2", classification="A2")]]
    first = fetch_exchange(amparo.session, "ncmec-genai", box=box, apis=apis)
    assert first.counts.added == 2
    with amparo.session() as s:  # pretend the first fetch was a while ago
        row = s.scalars(select(ExchangeRow)).one()
        saved = copy.deepcopy(row.checkpoint or {})
        saved["checkpoint"]["get_entries_max_ts"] -= 100
        row.checkpoint = saved
    _FakeNCMECClient.pages = [
        [_ncmec_entry("1", deleted=True), _ncmec_entry("2", classification="B1")]
    ]
    second = fetch_exchange(amparo.session, "ncmec-genai", box=box, apis=apis)
    assert (second.counts.removed, second.counts.updated, second.full) == (1, 1, False)
    assert _FakeNCMECClient.calls[0] == 0 and _FakeNCMECClient.calls[-1] > time.time() - 3600
    with amparo.session() as s:
        (entry,) = banks.list_entries(s, "NCMEC_GENAI")
    assert entry.source_id == "7-2" and entry.category == "B1"
    assert entry.tags == ("generative_ai",)
