"""Whether a copy taken down is replaced by one the rules allow: only when the rules asked for the
takedown, never when staff did (R5).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BY_THE_RULES = (
    "consent withdrawn",
    "a reviewer corrected who is in the photo",
    "the rules in force no longer allow it (policy changed or consent expired)",
)
"""The reasons the rules gave before this revision; takedowns still pending for them keep their replacement."""


def upgrade() -> None:
    op.add_column(
        "publication", sa.Column("replace_when_down", sa.Boolean(), server_default=sa.false(), nullable=False)
    )
    publication = sa.table(
        "publication",
        sa.column("state", sa.String),
        sa.column("unpublished_reason", sa.Text),
        sa.column("replace_when_down", sa.Boolean),
    )
    op.execute(
        publication.update()
        .where(publication.c.state == "takedown_pending", publication.c.unpublished_reason.in_(BY_THE_RULES))
        .values(replace_when_down=True)
    )


def downgrade() -> None:
    op.drop_column("publication", "replace_when_down")  # in place, never a table rebuild (see 0004)
