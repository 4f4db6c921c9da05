from __future__ import annotations

import tracemalloc
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest
from test_exchanges_support import (
    TaggedMeta,
    Updates,
    batches,
    fake_apis,
    pdq,
)
from threatexchange.exchanges import fetch_state as state

from amparo import banks
from amparo.errors import ConflictError, FetchError, InputError, NotFoundError
from amparo.exchanges._apis import ExchangeApiSpec
from amparo.exchanges._config import (
    create_exchange,
    delete_exchange,
    get_exchange,
    list_exchanges,
    update_exchange,
)
from amparo.exchanges._fetch import fetch_exchange, start_fetch
from amparo.exchanges._secrets import CredentialBox
from amparo.runtime import Amparo

TOKEN = "tok-s3cret-value-1234"


@pytest.fixture
def box(amparo: Amparo) -> CredentialBox:
    return amparo.credential_box()


def _entries(amparo: Amparo, bank: str = "FEED") -> dict[str, banks.Entry]:
    with amparo.session() as s:
        return {e.source_id or "": e for e in banks.list_entries(s, bank, limit=10_000)}


def _setup(
    amparo: Amparo, box: CredentialBox, plan: list[Updates], fail_at: int | None = None
) -> Mapping[str, ExchangeApiSpec]:
    apis = fake_apis(batches(plan, fail_at))
    with amparo.session() as s:
        if "FEED" not in {b.name for b in banks.list_banks(s)}:
            banks.create_bank(s, "FEED")
        create_exchange(s, "feed", api="fake", bank="FEED", credentials=TOKEN, box=box, apis=apis)
    return apis


def test_fetch_applies_adds_updates_and_retractions_per_batch(
    amparo: Amparo, box: CredentialBox
) -> None:
    plan: list[Updates] = [
        {("pdq", pdq(i)): TaggedMeta({"csam"}) for i in range(5)},
        {
            ("pdq", pdq(0)): TaggedMeta({"csam", "Gen AI!"}),  # changed tags: updated
            ("pdq", pdq(1)): None,  # retracted
            ("pdq", pdq(2)): TaggedMeta(
                {"x"}, state.SignalOpinionCategory.NEGATIVE_CLASS
            ),  # judged harmless: removed
            ("pdq", pdq(5)): TaggedMeta(),  # new
            ("url", "https://example.test/x"): TaggedMeta(),  # not a type Amparo matches
            ("pdq", "not-a-hash"): TaggedMeta(),
        },
    ]
    apis = _setup(amparo, box, plan)
    seen: list[int] = []
    result = fetch_exchange(
        amparo.session, "feed", box=box, apis=apis, progress=lambda p: seen.append(p.batches)
    )
    assert seen == [1, 2]
    c = result.counts
    assert (c.items, c.added, c.updated, c.removed, c.unusable) == (11, 6, 1, 2, 3)
    entries = _entries(amparo)
    assert set(entries) == {f"pdq:{pdq(i)}" for i in (0, 3, 4, 5)}
    assert entries[f"pdq:{pdq(0)}"].tags == ("csam", "gen_ai")
    assert entries[f"pdq:{pdq(3)}"].signals == {"pdq": pdq(3)}
    assert all(e.source == "feed" for e in entries.values())
    with amparo.session() as s:
        ex = get_exchange(s, "feed")
    assert ex.entries == 4 and ex.last_fetch_succeeded_at and not ex.fetching
    assert ex.progress_at is not None and ex.last_fetch_error is None


def _ids(amparo: Amparo, source_id: str) -> list[int]:
    return [e.id for sid, e in _entries(amparo).items() if sid == source_id]


def test_update_keeps_curator_note_and_disabled_state(amparo: Amparo, box: CredentialBox) -> None:
    plan: list[Updates] = [
        {("pdq", pdq(1)): TaggedMeta({"a"})},
        {("pdq", pdq(1)): TaggedMeta({"b"})},
    ]
    apis = _setup(amparo, box, plan[:1])
    fetch_exchange(amparo.session, "feed", box=box, apis=apis)
    (entry_id,) = _ids(amparo, f"pdq:{pdq(1)}")
    with amparo.session() as s:
        banks.update_entry(s, "FEED", entry_id, note="false positive?", disable_until_ts=0)
    apis2 = fake_apis(batches(plan))
    fetch_exchange(amparo.session, "feed", box=box, apis=apis2)
    entry = _entries(amparo)[f"pdq:{pdq(1)}"]
    assert entry.tags == ("b",) and entry.note == "false positive?" and not entry.enabled


def test_interrupted_fetch_resumes_after_last_committed_batch(
    amparo: Amparo, box: CredentialBox
) -> None:
    plan: list[Updates] = [
        {("pdq", pdq(i, str(b))): TaggedMeta() for i in range(3)} for b in range(4)
    ]
    apis = _setup(amparo, box, plan, fail_at=2)
    with pytest.raises(FetchError, match="exchange went away"):
        fetch_exchange(amparo.session, "feed", box=box, apis=apis)
    assert len(_entries(amparo)) == 6
    with amparo.session() as s:
        ex = get_exchange(s, "feed")
    assert "exchange went away" in (ex.last_fetch_error or "") and not ex.fetching
    assert ex.interrupted
    apis_ok = fake_apis(batches(plan))
    result = fetch_exchange(amparo.session, "feed", box=box, apis=apis_ok)
    assert apis_ok["fake"].api_cls.started_at == [2]  # type: ignore[attr-defined]
    assert result.batches == 2 and len(_entries(amparo)) == 12
    # The interrupted first fetch was a full one: it still sweeps after resuming.
    assert result.full


def test_second_fetch_is_incremental_and_does_not_sweep(amparo: Amparo, box: CredentialBox) -> None:
    plan: list[Updates] = [{("pdq", pdq(1)): TaggedMeta()}, {("pdq", pdq(2)): TaggedMeta()}]
    apis = _setup(amparo, box, plan[:1])
    assert fetch_exchange(amparo.session, "feed", box=box, apis=apis).full
    later = fake_apis(batches(plan))
    result = fetch_exchange(amparo.session, "feed", box=box, apis=later)
    assert later["fake"].api_cls.started_at == [1]  # type: ignore[attr-defined]
    assert not result.full and set(_entries(amparo)) == {f"pdq:{pdq(1)}", f"pdq:{pdq(2)}"}


def test_concurrent_fetch_is_refused_and_force_takes_over(
    amparo: Amparo, box: CredentialBox
) -> None:
    apis = _setup(amparo, box, [{("pdq", pdq(1)): TaggedMeta()}])
    first = start_fetch(amparo.session, "feed", box=box, apis=apis)
    with pytest.raises(ConflictError, match="being fetched already"):
        start_fetch(amparo.session, "feed", box=box, apis=apis)
    second = start_fetch(amparo.session, "feed", box=box, apis=apis, force=True)
    with pytest.raises(ConflictError, match="took over"):
        first.run()
    assert second.run().counts.added == 1


def test_disabled_exchange_is_not_fetched(amparo: Amparo, box: CredentialBox) -> None:
    apis = _setup(amparo, box, [])
    with amparo.session() as s:
        assert not update_exchange(s, "feed", enabled=False, apis=apis).enabled
    with pytest.raises(InputError, match="disabled"):
        fetch_exchange(amparo.session, "feed", box=box, apis=apis)


def test_errors_never_show_credentials(amparo: Amparo, box: CredentialBox) -> None:
    def leaky(start: int) -> Iterator[tuple[Updates, int]]:
        raise RuntimeError(f"GET https://x.test/?access_token={TOKEN} failed")
        yield {}, 0

    apis = _setup(amparo, box, [])
    apis["fake"].api_cls.script = staticmethod(leaky)  # type: ignore[attr-defined]
    with pytest.raises(FetchError) as info:
        fetch_exchange(amparo.session, "feed", box=box, apis=apis)
    assert TOKEN not in str(info.value)
    with amparo.session() as s:
        error = get_exchange(s, "feed").last_fetch_error or ""
        assert "access_token=***" in error and TOKEN not in error
        assert TOKEN not in str(get_exchange(s, "feed").to_dict())
    assert apis["fake"].api_cls.seen_tokens == [TOKEN]  # type: ignore[attr-defined]


def test_exchange_crud_and_validation(amparo: Amparo, box: CredentialBox) -> None:
    apis = _setup(amparo, box, [])
    with amparo.session() as s:
        with pytest.raises(ConflictError):
            create_exchange(s, "feed", api="fake", bank="FEED", credentials="t", box=box, apis=apis)
        with pytest.raises(InputError, match="invalid exchange name"):
            create_exchange(s, "local", api="sample", bank="FEED")
        with pytest.raises(InputError, match="unknown exchange API"):
            create_exchange(s, "x", api="nope", bank="FEED")
        with pytest.raises(InputError, match="needs credentials"):
            create_exchange(s, "x", api="ncmec", bank="FEED", config={"environment": "Industry"})
        with pytest.raises(InputError, match="NCMEC environment"):
            create_exchange(s, "x", api="ncmec", bank="FEED", config={"environment": "moon"})
        with pytest.raises(InputError, match="unknown setting"):
            create_exchange(s, "x", api="sample", bank="FEED", config={"colour": "red"})
        with pytest.raises(NotFoundError, match="no bank"):
            create_exchange(s, "x", api="sample", bank="NOPE")
        made = create_exchange(
            s,
            "ncmec-genai",
            api="ncmec",
            bank="FEED",
            config={"environment": "ngo_generative_ai", "only_esp_ids": "3, 1"},
            credentials="user:pa:ss",
            box=box,
        )
        assert made.config == {"environment": "NGO_Generative_AI", "only_esp_ids": [1, 3]}
        assert made.has_credentials
    with amparo.session() as s:
        assert [e.name for e in list_exchanges(s)] == ["feed", "ncmec-genai"]
        assert delete_exchange(s, "ncmec-genai") == 0
        with pytest.raises(NotFoundError):
            get_exchange(s, "ncmec-genai")


def test_delete_exchange_can_delete_its_entries(amparo: Amparo, box: CredentialBox) -> None:
    apis = _setup(amparo, box, [{("pdq", pdq(i)): TaggedMeta() for i in range(3)}])
    fetch_exchange(amparo.session, "feed", box=box, apis=apis)
    with amparo.session() as s:
        banks.add_entry(s, "FEED", banks.NewEntry(signals={"pdq": pdq(9)}))
        assert delete_exchange(s, "feed", delete_entries=True) == 3
    assert list(_entries(amparo)) == [""]


def test_sample_exchange(amparo: Amparo, box: CredentialBox) -> None:
    with amparo.session() as s:
        banks.create_bank(s, "SAMPLE")
        create_exchange(s, "sample", api="sample", bank="SAMPLE")
    first = fetch_exchange(amparo.session, "sample", box=box)
    assert first.full and first.counts.added > 10
    again = fetch_exchange(amparo.session, "sample", box=box)
    assert again.counts.unchanged == first.counts.added and again.swept == 0
    types = {t for e in _entries(amparo, "SAMPLE").values() for t in e.signals}
    assert types == {"pdq", "video_md5"}


def test_local_file_exchange_streams_and_sweeps_removed_lines(
    amparo: Amparo, box: CredentialBox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("amparo.exchanges._file.BATCH_LINES", 3)
    hashes = tmp_path / "hashes.txt"
    hashes.write_text(
        "# benign test hashes\n" + "".join(f"pdq {pdq(i)}\n" for i in range(7)) + "\nmd5 zz\n"
    )
    with amparo.session() as s:
        banks.create_bank(s, "FILE")
        create_exchange(s, "file", api="file", bank="FILE", config={"path": str(hashes)})
    result = fetch_exchange(amparo.session, "file", box=box)
    assert result.batches == 3 and result.counts.added == 7 and result.counts.unusable == 1
    hashes.write_text("".join(f"pdq {pdq(i)}\n" for i in range(2, 9)))
    result = fetch_exchange(amparo.session, "file", box=box)
    assert result.full and result.swept == 2 and result.counts.added == 2
    assert set(_entries(amparo, "FILE")) == {f"pdq:{pdq(i)}" for i in range(2, 9)}


def test_changing_settings_forgets_the_checkpoint(
    amparo: Amparo, box: CredentialBox, tmp_path: Path
) -> None:
    plan: list[Updates] = [{("pdq", pdq(1)): TaggedMeta()}]
    apis = _setup(amparo, box, plan)
    fetch_exchange(amparo.session, "feed", box=box, apis=apis)
    with amparo.session() as s:
        update_exchange(s, "feed", config={"tags": ["from-feed"]}, apis=apis)
    again = fake_apis(batches(plan))
    result = fetch_exchange(amparo.session, "feed", box=box, apis=again)
    assert again["fake"].api_cls.started_at == [0] and result.full  # type: ignore[attr-defined]
    assert _entries(amparo)[f"pdq:{pdq(1)}"].tags == ("from-feed",)


def _fetch_peak(amparo: Amparo, box: CredentialBox, name: str, n: int, per_batch: int) -> int:
    """Peak traced memory of fetching ``n`` new entries in batches of ``per_batch``."""

    def script(start: int) -> Iterator[tuple[Updates, int]]:
        for b in range(start, n // per_batch):
            keys = (("pdq", pdq(b * per_batch + i, name)) for i in range(per_batch))
            yield dict.fromkeys(keys, TaggedMeta()), b + 1

    apis = fake_apis(script)
    with amparo.session() as s:
        if not any(b.name == "FEED" for b in banks.list_banks(s)):
            banks.create_bank(s, "FEED")
        create_exchange(s, name, api="fake", bank="FEED", credentials=TOKEN, box=box, apis=apis)
    tracemalloc.start()
    try:
        result = fetch_exchange(amparo.session, name, box=box, apis=apis)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.counts.added == n
    with amparo.session() as s:
        assert get_exchange(s, name).entries == n
    return peak


def test_fetch_memory_does_not_grow_with_the_number_of_entries(
    amparo: Amparo, box: CredentialBox
) -> None:
    if amparo.engine.dialect.name != "sqlite":
        pytest.skip("the same code on every backend; tracemalloc makes PostgreSQL runs slow")
    small = _fetch_peak(amparo, box, "small", 1_000, 250)
    large = _fetch_peak(amparo, box, "large", 5_000, 250)
    # Holding the 4,000 extra entries at once would cost several MiB more.
    assert large - small < 2**20, f"{small / 2**20:.1f} -> {large / 2**20:.1f} MiB"


@pytest.mark.nightly  # ~2 min; its twin above runs in every suite
def test_large_fetch_memory_stays_bounded(amparo: Amparo, box: CredentialBox) -> None:
    if amparo.engine.dialect.name != "sqlite":
        pytest.skip("the same code on every backend; tracemalloc makes PostgreSQL runs slow")
    peak = _fetch_peak(amparo, box, "feed", 100_000, 1000)
    # 100k entries held at once would need well over 100 MiB; one batch needs a few.
    assert peak < 24 * 2**20, f"peak {peak / 2**20:.1f} MiB"
