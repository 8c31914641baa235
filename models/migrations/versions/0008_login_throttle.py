"""Wrong passwords slow further tries down per address and per account name instead of locking the
account: the throttle table replaces the account's failure count and lock.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "login_throttle",
        sa.Column("key", sa.String(80), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failure_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("next_allowed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_login_throttle")),
    )
    op.drop_column("staff_user", "locked_until")  # in place, never a table rebuild (see 0004)
    op.drop_column("staff_user", "failed_logins")


def downgrade() -> None:
    op.add_column("staff_user", sa.Column("failed_logins", sa.Integer(), nullable=False, server_default="0"))
    op.add_column("staff_user", sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True))
    op.drop_table("login_throttle")
