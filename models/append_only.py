"""Database-enforced append-only tables (R4, R9): UPDATE and DELETE fail, whatever the application does.

Used by the migrations. On SQLite, a batch migration that rebuilds one of these tables drops its
triggers: call `protect` again after it.
"""

from alembic import op

APPEND_ONLY_TABLES = ("consent_event", "audit_event")

_POSTGRES_FUNCTION = """
CREATE OR REPLACE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: add an event instead of changing or deleting one', TG_TABLE_NAME;
END $$
"""


def protect(table: str) -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_POSTGRES_FUNCTION)
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION refuse_change()"
        )
        op.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION refuse_change()"
        )
        return
    message = f"{table} is append-only: add an event instead of changing or deleting one"
    for verb in ("UPDATE", "DELETE"):
        trigger = f"{table}_no_{verb.lower()}"
        op.execute(f"CREATE TRIGGER {trigger} BEFORE {verb} ON {table} BEGIN SELECT RAISE(ABORT, '{message}'); END")


def drop_guard_function() -> None:
    """After the protected tables are dropped (their triggers go with them)."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS refuse_change()")
