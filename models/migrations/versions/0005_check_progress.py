"""How far the worker is with a long check (a video), for the teacher's per-file progress.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("media", sa.Column("check_progress", sa.Double(), nullable=True))


def downgrade() -> None:
    op.drop_column("media", "check_progress")  # in place, never a table rebuild (see 0004)
