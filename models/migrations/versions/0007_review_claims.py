"""Review claims that wait for an administrator, and the "not a face" answer (R11a, R15).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("detected_face", sa.Column("not_a_face", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.create_table(
        "review_claim",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("face_id", sa.Integer(), nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("claimed_by", sa.String(length=100), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "pending",
                "approved",
                "refused",
                "replaced",
                name="claimstate",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("decided_by", sa.String(length=100), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["face_id"], ["detected_face.id"], name="fk_review_claim_face_id_detected_face", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["student_id"], ["student.id"], name="fk_review_claim_student_id_student"),
        sa.PrimaryKeyConstraint("id", name="pk_review_claim"),
    )
    op.create_index("ix_review_claim_face_id", "review_claim", ["face_id"])
    op.create_index("ix_review_claim_state", "review_claim", ["state"])


def downgrade() -> None:
    op.drop_index("ix_review_claim_state", table_name="review_claim")
    op.drop_index("ix_review_claim_face_id", table_name="review_claim")
    op.drop_table("review_claim")
    op.drop_column("detected_face", "not_a_face")  # in place, never a table rebuild (see 0004)
