"""Migration 0007_review goes down and up again cleanly (on SQLite and PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import inspect

from amparo import store
from amparo.runtime import Runtime
from amparo.store import migrate

TABLES = {"review_items", "review_reveals", "users", "user_sessions"}


def _alembic(amparo: Runtime, *args: str) -> None:
    cfg = Config()
    cfg.set_main_option("script_location", str(Path(store.__file__).parent / "migrations"))
    with amparo.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        getattr(command, args[0])(cfg, *args[1:])


def test_down_and_up(amparo: Runtime) -> None:
    assert set(inspect(amparo.engine).get_table_names()) >= TABLES
    _alembic(amparo, "downgrade", "0003_change_feed")
    assert not TABLES & set(inspect(amparo.engine).get_table_names())
    migrate(amparo.engine)
    assert set(inspect(amparo.engine).get_table_names()) >= TABLES
