"""The migrations build exactly the tables the models declare, on both backends, as one
chain (several packages add migrations: a second head would fail ``upgrade head``)."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from amparo.store import create_engine_for, metadata, migrate

MIGRATIONS = Path(__file__).resolve().parents[2] / "src" / "amparo" / "store" / "migrations"


def test_the_migrations_form_one_chain() -> None:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    heads = ScriptDirectory.from_config(cfg).get_heads()
    assert len(heads) == 1, f"several heads {heads}: set down_revision to the newest one"


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def test_migrated_schema_matches_the_models(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    url = (
        f"sqlite:///{tmp_path / 'm.db'}"
        if backend == "sqlite"
        else request.getfixturevalue("pg_url")
    )
    engine = create_engine_for(url)
    try:
        migrate(engine)
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), metadata)
    finally:
        engine.dispose()
    # Type and index details differ harmlessly between backends; missing or extra tables
    # and columns do not.
    structural = [
        d
        for d in diff
        if isinstance(d, tuple)
        and d[0] in {"add_table", "remove_table", "add_column", "remove_column"}
    ]
    assert not structural, structural
