"""What the worker keeps: a file's processing state, a publication's way to and from the channel,
and which consent events it has acted on.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MEDIA_STATES = ("uploaded", "processing", "checked", "error")
PUBLICATION_STATES = ("publishing", "published", "takedown_pending", "unpublished", "failed")
LIVE = "state IN ('publishing', 'published', 'takedown_pending')"


def _add_state(table: str, name: str, values: tuple[str, ...], default: str) -> None:
    """A NOT NULL state column with its CHECK constraint, on SQLite too (its ALTER cannot add one later)."""
    if op.get_bind().dialect.name == "sqlite":
        allowed = ", ".join(f"'{value}'" for value in values)
        op.execute(
            f"ALTER TABLE {table} ADD COLUMN state VARCHAR(20) DEFAULT '{default}' NOT NULL "
            f"CONSTRAINT ck_{table}_{name} CHECK (state IN ({allowed}))"
        )
        return
    kind = sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=20)
    op.add_column(table, sa.Column("state", kind, nullable=False, server_default=default))


def upgrade() -> None:
    # Columns are added in place (never by rebuilding a table, which SQLite's batch mode would do):
    # faces, decisions and publications point at these rows.
    _add_state("media", "mediastate", MEDIA_STATES, "uploaded")
    op.add_column("media", sa.Column("processing_started_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("media", sa.Column("check_attempts", sa.Integer(), nullable=False, server_default="0"))
    op.execute(
        "UPDATE media SET state = CASE WHEN check_error IS NOT NULL THEN 'error' ELSE 'checked' END "
        "WHERE checked_at IS NOT NULL"
    )
    op.create_index("ix_media_state", "media", ["state"])

    _add_state("publication", "publicationstate", PUBLICATION_STATES, "published")
    op.execute("UPDATE publication SET state = 'unpublished' WHERE unpublished_at IS NOT NULL")
    op.add_column("publication", sa.Column("upload_name", sa.String(length=100), nullable=True))
    op.add_column("publication", sa.Column("takedown_requested_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("publication", sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"))
    op.add_column("publication", sa.Column("last_error", sa.Text(), nullable=True))
    op.add_column("publication", sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("publication", sa.Column("busy_until", sa.DateTime(timezone=True), nullable=True))
    _add_replaces()
    op.create_index("ix_publication_state", "publication", ["state"])
    op.create_index(
        "uq_publication_live_media_id_channel_id",
        "publication",
        ["media_id", "channel_id"],
        unique=True,
        sqlite_where=sa.text(LIVE),
        postgresql_where=sa.text(LIVE),
    )

    op.create_table(
        "consent_followup",
        sa.Column("consent_event_id", sa.Integer(), nullable=False),
        sa.Column("handled_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["consent_event_id"], ["consent_event.id"], name=op.f("fk_consent_followup_consent_event_id_consent_event")
        ),
        sa.PrimaryKeyConstraint("consent_event_id", name=op.f("pk_consent_followup")),
    )
    # Nothing was ever published before this revision: the consent events so far need no follow-up.
    followup = sa.table("consent_followup", sa.column("consent_event_id"), sa.column("handled_at"))
    events = sa.table("consent_event", sa.column("id"))
    now = sa.literal(datetime.now(UTC), sa.DateTime(timezone=True))
    op.execute(followup.insert().from_select(["consent_event_id", "handled_at"], sa.select(events.c.id, now)))


def _add_replaces() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "ALTER TABLE publication ADD COLUMN replaces_id INTEGER "
            "CONSTRAINT fk_publication_replaces_id_publication REFERENCES publication (id)"
        )
        return
    op.add_column("publication", sa.Column("replaces_id", sa.Integer(), nullable=True))
    op.create_foreign_key(
        op.f("fk_publication_replaces_id_publication"), "publication", "publication", ["replaces_id"], ["id"]
    )


def downgrade() -> None:
    op.drop_table("consent_followup")
    op.drop_index("uq_publication_live_media_id_channel_id", table_name="publication")
    op.drop_index("ix_publication_state", table_name="publication")
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint(op.f("fk_publication_replaces_id_publication"), "publication", type_="foreignkey")
    for column in (
        "replaces_id",
        "busy_until",
        "next_attempt_at",
        "last_error",
        "attempts",
        "takedown_requested_at",
        "upload_name",
        "state",
    ):
        op.drop_column("publication", column)
    op.drop_index("ix_media_state", table_name="media")
    op.drop_column("media", "check_attempts")
    op.drop_column("media", "processing_started_at")
    op.drop_column("media", "state")
