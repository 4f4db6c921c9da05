"""PostgreSQL: an entry's bank and a signal's entry checked once per statement, not per row.

A foreign key checks each inserted row with a query of its own (PostgreSQL's referential
integrity triggers run one ``SELECT ... FOR KEY SHARE`` per row): for a bulk import that was
the database's largest cost, ~16 us a row for an entry and its signal, against ~1 us for one
set-wise check of a whole COPY (BENCHMARKS.md, bulk import). PostgreSQL has no statement-level
foreign key, so these triggers are one: after each statement that adds or changes entries
(signals), every bank (entry) they name must exist, and is locked ``FOR KEY SHARE`` as a
foreign key locks it, so that a concurrent deletion waits for this transaction or this
transaction fails (``foreign_key_violation``, SQLSTATE 23503, as before); deleting banks
(entries) deletes their entries (signals) in one statement, as ``ON DELETE CASCADE`` did row
by row; ids of banks and entries never change. The deletion sees rows that concurrent
transactions committed meanwhile because Amparo runs at READ COMMITTED, where each statement
of a trigger takes a new snapshot. SQLite keeps its foreign keys (an index probe per row, as
cheap as anything here).

Revision ID: 0015_bank_content_references
Revises: 0014_entries_bank_index
"""

from __future__ import annotations

from alembic import op

revision = "0015_bank_content_references"
down_revision = "0014_entries_bank_index"
branch_labels = None
depends_on = None

# (child table, referencing column, parent table, the foreign key's name before 0015)
_REFERENCES = (
    ("entries", "bank_id", "banks", "fk_entries_bank_id_banks"),
    ("signals", "entry_id", "entries", "fk_signals_entry_id_entries"),
)

_FUNCTIONS = """
CREATE FUNCTION amparo_parents_exist() RETURNS trigger LANGUAGE plpgsql AS $$
-- TG_ARGV[0]: the parent table; TG_ARGV[1]: the referencing column of the rows just written
DECLARE
  wanted bigint;
  locked bigint;
BEGIN
  EXECUTE format('SELECT count(DISTINCT %I) FROM new_rows', TG_ARGV[1]) INTO wanted;
  -- = ANY(ARRAY(...)) probes the primary key whatever the planner thinks of new_rows
  EXECUTE format(
    'SELECT count(*) FROM (SELECT 1 FROM %I WHERE id = ANY(ARRAY('
    'SELECT DISTINCT %I FROM new_rows)) FOR KEY SHARE) AS parents',
    TG_ARGV[0], TG_ARGV[1]) INTO locked;
  IF locked < wanted THEN
    RAISE foreign_key_violation USING
      MESSAGE = format('%s.%s names a row of %s that does not exist',
                       TG_TABLE_NAME, TG_ARGV[1], TG_ARGV[0]),
      TABLE = TG_TABLE_NAME;
  END IF;
  RETURN NULL;
END $$;

CREATE FUNCTION amparo_delete_children() RETURNS trigger LANGUAGE plpgsql AS $$
-- TG_ARGV[0]: the child table; TG_ARGV[1]: its column naming the rows just deleted
BEGIN
  EXECUTE format('DELETE FROM %I WHERE %I = ANY(ARRAY(SELECT id FROM old_rows))',
                 TG_ARGV[0], TG_ARGV[1]);
  RETURN NULL;
END $$;

CREATE FUNCTION amparo_refuse_id_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE foreign_key_violation USING
    MESSAGE = format('the id of a row of %s never changes', TG_TABLE_NAME),
    TABLE = TG_TABLE_NAME;
END $$;
"""


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(_FUNCTIONS)
    for child, column, parent, constraint in _REFERENCES:
        op.drop_constraint(constraint, child, type_="foreignkey")
        for event in ("INSERT", "UPDATE"):
            op.execute(
                f"CREATE TRIGGER {child}_{column}_on_{event.lower()} AFTER {event} ON {child} "
                "REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT "
                f"EXECUTE FUNCTION amparo_parents_exist('{parent}', '{column}')"
            )
        op.execute(
            f"CREATE TRIGGER {parent}_delete_{child} AFTER DELETE ON {parent} "
            "REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT "
            f"EXECUTE FUNCTION amparo_delete_children('{child}', '{column}')"
        )
    for parent in ("banks", "entries"):
        op.execute(
            f"CREATE TRIGGER {parent}_id_fixed BEFORE UPDATE OF id ON {parent} FOR EACH ROW "
            "WHEN (OLD.id IS DISTINCT FROM NEW.id) EXECUTE FUNCTION amparo_refuse_id_change()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for parent in ("banks", "entries"):
        op.execute(f"DROP TRIGGER {parent}_id_fixed ON {parent}")
    for child, column, parent, constraint in _REFERENCES:
        op.execute(f"DROP TRIGGER {parent}_delete_{child} ON {parent}")
        for event in ("insert", "update"):
            op.execute(f"DROP TRIGGER {child}_{column}_on_{event} ON {child}")
        op.create_foreign_key(constraint, child, parent, [column], ["id"], ondelete="CASCADE")
    for function in ("amparo_parents_exist", "amparo_delete_children", "amparo_refuse_id_change"):
        op.execute(f"DROP FUNCTION {function}()")
