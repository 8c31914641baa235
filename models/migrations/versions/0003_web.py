"""What the web app keeps: staff sessions, login lockout, album groups, and bad consent-link attempts.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("staff_user", sa.Column("failed_logins", sa.Integer(), nullable=False, server_default="0"))
    op.add_column("staff_user", sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True))
    add_album_group()
    op.create_table(
        "staff_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("csrf_token", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["staff_user.id"], name=op.f("fk_staff_session_user_id_staff_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_session")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_staff_session_token_hash")),
    )
    op.create_index("ix_staff_session_user_id", "staff_session", ["user_id"])
    op.create_table(
        "bad_link_attempt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bad_link_attempt")),
    )
    op.create_index("ix_bad_link_attempt_address_at", "bad_link_attempt", ["address", "at"])


def add_album_group() -> None:
    """Added in place, never by rebuilding `album` (SQLite batch mode would): media rows point at it."""
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "ALTER TABLE album ADD COLUMN group_id INTEGER "
            "CONSTRAINT fk_album_group_id_school_group REFERENCES school_group (id)"
        )
        return
    op.add_column("album", sa.Column("group_id", sa.Integer(), nullable=True))
    op.create_foreign_key(op.f("fk_album_group_id_school_group"), "album", "school_group", ["group_id"], ["id"])


def downgrade() -> None:
    op.drop_index("ix_bad_link_attempt_address_at", table_name="bad_link_attempt")
    op.drop_table("bad_link_attempt")
    op.drop_index("ix_staff_session_user_id", table_name="staff_session")
    op.drop_table("staff_session")
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint(op.f("fk_album_group_id_school_group"), "album", type_="foreignkey")
    op.drop_column("album", "group_id")
    op.drop_column("staff_user", "locked_until")
    op.drop_column("staff_user", "failed_logins")
