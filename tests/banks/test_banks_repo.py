from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, event, text
from sqlalchemy.orm import Session

from amparo import banks
from amparo.banks import NewEntry, _repo
from amparo.errors import ConflictError, InputError, NotFoundError
from amparo.runtime import Amparo
from amparo.store import create_engine_for

PDQ = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"
MD5 = "d41d8cd98f00b204e9800998ecf8427e"


def test_create_list_update_delete_bank(amparo: Amparo) -> None:
    with amparo.session() as s:
        bank = banks.create_bank(s, "KNOWN", description="d", pdq_threshold=20)
        assert bank.pdq_threshold == 20 and bank.enabled
    with amparo.session() as s:
        assert [b.name for b in banks.list_banks(s)] == ["KNOWN"]
        renamed = banks.update_bank(s, "KNOWN", new_name="RENAMED", matching_enabled_ratio=0)
        assert renamed.name == "RENAMED" and not renamed.enabled
    with amparo.session() as s:
        with pytest.raises(NotFoundError, match="no bank named 'KNOWN'"):
            banks.get_bank(s, "KNOWN")
        assert banks.delete_bank(s, "RENAMED") is True
        assert banks.delete_bank(s, "RENAMED") is False


def test_duplicate_bank_name_is_a_conflict(amparo: Amparo) -> None:
    with amparo.session() as s:
        banks.create_bank(s, "DUP")
    with amparo.session() as s, pytest.raises(ConflictError, match="already exists"):
        banks.create_bank(s, "DUP")


@pytest.mark.parametrize("name", ["lower", "1STARTS_WITH_DIGIT", "HAS-DASH", "", "A" * 256])
def test_bad_bank_names_are_refused(amparo: Amparo, name: str) -> None:
    with amparo.session() as s, pytest.raises(InputError, match="UPPER_WITH_UNDERSCORE"):
        banks.create_bank(s, name)


def test_unknown_bank_is_not_found(amparo: Amparo) -> None:
    with amparo.session() as s, pytest.raises(NotFoundError, match="no bank named") as info:
        banks.add_entry(s, "NOPE", NewEntry(signals={"md5": MD5}))
    assert "amparo bank list" in (info.value.hint or "")


def test_entries_round_trip_and_disable(amparo: Amparo) -> None:
    with amparo.session() as s:
        banks.create_bank(s, "B")
        entry = banks.add_entry(
            s,
            "B",
            NewEntry(
                signals={"pdq": PDQ, "md5": MD5},
                source="ncmec",
                source_id="x1",
                category="A1",
                tags=("generative_ai",),
                note="n",
            ),
        )
    assert entry.enabled and entry.signals == {"pdq": PDQ, "md5": MD5}
    assert entry.category == "A1" and entry.tags == ("generative_ai",)
    with amparo.session() as s:
        updated = banks.update_entry(s, "B", entry.id, disable_until_ts=0, note=None)
        assert not updated.enabled and updated.note is None
        page = banks.list_entries(s, "B")
        assert [e.id for e in page] == [entry.id]
        assert banks.delete_entry(s, "B", entry.id)
        assert not banks.delete_entry(s, "B", entry.id)


def test_disable_until_rules(amparo: Amparo) -> None:
    with amparo.session() as s:
        banks.create_bank(s, "B")
        entry = banks.add_entry(s, "B", NewEntry(signals={"md5": MD5}))
        with pytest.raises(InputError, match="negative"):
            banks.update_entry(s, "B", entry.id, disable_until_ts=-1)
        with pytest.raises(InputError, match="5 years"):
            banks.update_entry(s, "B", entry.id, disable_until_ts=10**11)


def test_category_and_tags_validation() -> None:
    assert banks.check_category("a1") == "A1"
    assert banks.check_category(None) is None
    with pytest.raises(InputError, match="unknown category"):
        banks.check_category("Z9")
    assert banks.check_tags("generative_ai|demo,demo") == ("generative_ai", "demo")
    with pytest.raises(InputError, match="invalid tag"):
        banks.check_tags(["no spaces allowed"])


@given(st.from_regex(r"_*[A-Z][A-Z0-9_]{0,40}", fullmatch=True))
def test_every_upper_with_underscore_name_is_valid(name: str) -> None:
    assert banks.check_bank_name(name) == name


def _is_valid_bank_name(name: str) -> bool:
    """HMA's UPPER_WITH_UNDERSCORE, plus at least one letter."""
    return (
        re.fullmatch(r"[A-Z_][A-Z0-9_]*", name) is not None and re.search("[A-Z]", name) is not None
    )


@given(st.text(max_size=30) | st.from_regex(r"[A-Z0-9_]{1,12}", fullmatch=True))
def test_bank_name_rule(name: str) -> None:
    """A name is accepted exactly when it is UPPER_WITH_UNDERSCORE (HMA's rule) and has a
    letter: "_", "__" and "_1" name nothing."""
    valid = _is_valid_bank_name(name)
    try:
        banks.check_bank_name(name)
    except InputError:
        assert not valid
    else:
        assert valid


@pytest.mark.parametrize("name", ["_", "__", "_1", "_1_2"])
def test_a_name_without_a_letter_is_refused(name: str) -> None:
    with pytest.raises(InputError, match="at least one letter"):
        banks.check_bank_name(name)


def _plan_of_last(
    engine: Engine, marker: str, run: Callable[[Session], object], *settings: str
) -> str:
    """PostgreSQL's plan of the last statement naming ``marker`` that ``run`` sent, with
    ``settings`` applied first."""
    sent: list[tuple[str, object]] = []

    def record(_conn: object, _cursor: object, statement: str, params: object, *_: object) -> None:
        if marker in statement:
            sent.append((statement, params))

    event.listen(engine, "before_cursor_execute", record)
    try:
        with Session(engine) as session:
            run(session)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    statement, params = sent[-1]
    with engine.connect() as conn:
        raw = conn.connection.driver_connection
        assert raw is not None
        for setting in settings:
            raw.execute(setting)  # type: ignore[arg-type]
        return "\n".join(row[0] for row in raw.execute("EXPLAIN " + statement, params))


@pytest.mark.postgres
def test_a_followers_poll_reads_the_change_index_without_statistics(pg_url: str) -> None:
    """100k changes, never analyzed (a fresh import, autovacuum off): the poll reads the
    index from its watermark; it does not scan and sort the whole feed twice a second."""
    engine = create_engine_for(pg_url)
    try:
        with engine.begin() as conn:
            conn.execute(text("TRUNCATE changes"))
            conn.execute(
                text(
                    "INSERT INTO changes (kind, object_id, created_at) "
                    "SELECT 'signal+', g, now() FROM generate_series(1, 100000) g"
                )
            )

        def poll(session: Session) -> None:
            assert banks.changes_after(session, banks.newest_change(session)) == []

        plan = _plan_of_last(engine, "FROM changes", poll)
        assert "Index" in plan and "Seq Scan" not in plan, plan
    finally:
        with engine.begin() as conn:
            conn.execute(text("TRUNCATE changes"))
        engine.dispose()


@pytest.mark.postgres
def test_an_import_batch_probes_the_signal_index_of_a_big_table(pg_url: str) -> None:
    """With 200k signals, analyzed, looking up a batch of 5,000 hashes probes the (type,
    value) index per hash, whatever the planner's costs; PostgreSQL planned ``value =
    ANY(5,000 values)`` as a scan of the whole table at 1M signals (or here, with random
    reads costed high), which made a 1M import's lookups four times slower."""
    engine = create_engine_for(pg_url)
    try:
        with engine.begin() as conn:
            bank = conn.execute(
                text(
                    "INSERT INTO banks (name, matching_enabled_ratio, pdq_threshold, "
                    "created_at, updated_at) VALUES ('BIG', 1, 31, now(), now()) RETURNING id"
                )
            ).scalar_one()
            conn.execute(
                text(
                    "INSERT INTO entries (bank_id, source, tags, disable_until_ts, "
                    "created_at, updated_at) SELECT :bank, 'import', '[]', 1, now(), now() "
                    "FROM generate_series(1, 200000)"
                ),
                {"bank": bank},
            )
            conn.execute(
                text(
                    "INSERT INTO signals (entry_id, signal_type, value) "
                    "SELECT id, 'pdq', md5(id::text) || md5((-id)::text) "
                    "FROM entries WHERE bank_id = :bank"
                ),
                {"bank": bank},
            )
            conn.execute(text("ANALYZE signals, entries"))

        def look_up(session: Session) -> None:
            wanted = [("pdq", f"{n:064x}") for n in range(5000)]
            assert _repo.entries_by_signals(session, bank, wanted) == {}

        # Whatever the planner's costs: at 1M signals its defaults chose the scan.
        plan = _plan_of_last(engine, "FROM signals", look_up, "SET random_page_cost = 40")
        assert "Index" in plan and "Seq Scan" not in plan, plan
    finally:
        with engine.begin() as conn:
            conn.execute(text("TRUNCATE banks, entries, signals CASCADE"))
        engine.dispose()


_source_ids = st.text(
    st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), min_size=1, max_size=8
)


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(stored=st.lists(_source_ids, max_size=6, unique=True), asked=st.lists(_source_ids))
def test_entries_are_found_by_any_source_id_text(
    amparo: Amparo, stored: list[str], asked: list[str]
) -> None:
    """Source ids are sent to PostgreSQL as one array literal: quotes, backslashes, commas,
    braces, spaces and NULL-like words find exactly the entries that hold them."""
    with amparo.session() as s:
        banks.delete_bank(s, "IDS")
        bank = banks.create_bank(s, "IDS")
        for n, sid in enumerate(stored):
            banks.add_entry(
                s, "IDS", NewEntry(signals={"md5": f"{n:032x}"}, source="feed", source_id=sid)
            )
    wanted = asked + stored[::2] + ['{"a",b}', "NULL", " x ", "\\"]
    with amparo.session() as s:
        found = _repo.entries_by_source(s, bank.id, "feed", wanted)
    assert set(found) == set(stored) & set(wanted)


_SIGNALS = st.integers(0, 2**128 - 1).map(lambda n: {"md5": f"{n:032x}"})
_SOURCES = st.sampled_from(["import", "feed\tB"])
_BARE = st.builds(NewEntry, signals=_SIGNALS, source=_SOURCES, enabled=st.booleans())
_ENTRIES = st.lists(
    _BARE
    | st.builds(
        NewEntry,
        signals=_SIGNALS,
        source=_SOURCES,
        source_id=st.none() | st.text("ab\t\\\n", min_size=1, max_size=4),
        category=st.none() | st.just("A1"),
        tags=st.just(()) | st.just(("x\\y",)),
        note=st.none() | st.text("n\r\\", max_size=3),
        metadata=st.none() | st.just({"k": "v\t"}),
        original_media_uri=st.none() | st.just("s3://b/k"),
        enabled=st.booleans(),
    ),
    min_size=1,
    max_size=12,
    unique_by=(
        lambda e: e.signals["md5"],
        lambda e: (e.source, e.source_id) if e.source_id is not None else id(e),
    ),
)


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(_ENTRIES)
def test_a_batch_of_bare_and_described_entries_is_stored_as_given(
    amparo: Amparo, batch: list[NewEntry]
) -> None:
    """A bulk batch (COPY on PostgreSQL, whose bare rows share their formatted columns)
    stores every entry's own fields, whatever mix of bare and described entries it holds."""
    with amparo.session() as s:
        banks.delete_bank(s, "BULK")
        bank = banks.create_bank(s, "BULK")
        ids = banks.add_entries(s, bank.id, "import", batch)
    with amparo.session() as s:
        stored = {e.id: e for e in banks.list_entries(s, "BULK", limit=100)}
    for entry_id, new in zip(ids, batch, strict=True):
        got = stored[entry_id]
        assert (got.source, got.source_id, got.category, got.tags, got.note) == (
            new.source,
            new.source_id,
            new.category,
            new.tags,
            new.note,
        )
        assert (got.enabled, got.metadata, got.original_media_uri, dict(got.signals)) == (
            new.enabled,
            new.metadata,
            new.original_media_uri,
            dict(new.signals),
        )
