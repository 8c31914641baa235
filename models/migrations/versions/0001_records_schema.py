"""The records schema: every table, and the append-only guards on consent events and the audit register.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from models.append_only import APPEND_ONLY_TABLES, drop_guard_function, protect

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "album",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("event_date", sa.Date(), nullable=True),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_album")),
    )
    op.create_table(
        "audit_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "actor_role",
            sa.Enum(
                "staff",
                "guardian",
                "student",
                "system",
                name="actorrole",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("actor_id", sa.String(length=100), nullable=False),
        sa.Column("action", sa.String(length=60), nullable=False),
        sa.Column("object_type", sa.String(length=40), nullable=False),
        sa.Column("object_id", sa.String(length=64), nullable=False),
        sa.Column("subject", sa.String(length=32), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_event")),
    )
    op.create_index("ix_audit_event_at", "audit_event", ["at"])
    op.create_index("ix_audit_event_subject", "audit_event", ["subject"])

    op.create_table(
        "channel",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("description_nl", sa.Text(), nullable=False),
        sa.Column("description_en", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_channel")),
        sa.UniqueConstraint("key", name=op.f("uq_channel_key")),
    )
    op.create_table(
        "consent_text",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=40), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_text")),
        sa.UniqueConstraint("purpose", "language", "version", name=op.f("uq_consent_text_purpose_language_version")),
    )
    op.create_table(
        "guardian",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_guardian")),
        sa.UniqueConstraint("email", name=op.f("uq_guardian_email")),
    )
    op.create_table(
        "policy_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("approved_by", sa.Text(), nullable=False),
        sa.Column("approved_on", sa.Date(), nullable=False),
        sa.Column("recorded_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_policy_version")),
        sa.UniqueConstraint("version", name=op.f("uq_policy_version_version")),
    )
    op.create_table(
        "school_year",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=20), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_school_year")),
        sa.UniqueConstraint("name", name=op.f("uq_school_year_name")),
    )
    op.create_table(
        "staff_user",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=100), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column(
            "role",
            sa.Enum(
                "admin",
                "communications",
                "reviewer",
                "teacher",
                name="staffrole",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("password_hash", sa.String(length=255), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_user")),
        sa.UniqueConstraint("username", name=op.f("uq_staff_user_username")),
    )
    op.create_table(
        "media",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("album_id", sa.Integer(), nullable=True),
        sa.Column(
            "kind",
            sa.Enum("photo", "video", name="mediakind", native_enum=False, create_constraint=True, length=20),
            nullable=False,
        ),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("storage_path", sa.String(length=500), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("width", sa.Integer(), nullable=True),
        sa.Column("height", sa.Integer(), nullable=True),
        sa.Column("uploaded_by", sa.String(length=100), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("check_error", sa.Text(), nullable=True),
        sa.Column("policy_version", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["album_id"], ["album.id"], name=op.f("fk_media_album_id_album")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_media")),
    )
    op.create_index("ix_media_album_id", "media", ["album_id"])
    op.create_index("ix_media_sha256", "media", ["sha256"])

    op.create_table(
        "school_group",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_year_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["school_year_id"], ["school_year.id"], name=op.f("fk_school_group_school_year_id_school_year")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_school_group")),
        sa.UniqueConstraint("school_year_id", "name", name=op.f("uq_school_group_school_year_id_name")),
    )
    op.create_table(
        "channel_decision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("media_id", sa.Integer(), nullable=False),
        sa.Column("channel_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("redact", sa.JSON(), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["channel_id"], ["channel.id"], name=op.f("fk_channel_decision_channel_id_channel")),
        sa.ForeignKeyConstraint(["media_id"], ["media.id"], name=op.f("fk_channel_decision_media_id_media")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_channel_decision")),
        sa.UniqueConstraint("media_id", "channel_id", name=op.f("uq_channel_decision_media_id_channel_id")),
    )
    op.create_table(
        "publication",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("media_id", sa.Integer(), nullable=False),
        sa.Column("channel_id", sa.Integer(), nullable=False),
        sa.Column("external_id", sa.String(length=200), nullable=True),
        sa.Column("rendered_sha256", sa.String(length=64), nullable=False),
        sa.Column("redacted_positions", sa.JSON(), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_by", sa.String(length=100), nullable=False),
        sa.Column("unpublished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("unpublished_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["channel_id"], ["channel.id"], name=op.f("fk_publication_channel_id_channel")),
        sa.ForeignKeyConstraint(["media_id"], ["media.id"], name=op.f("fk_publication_media_id_media")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_publication")),
    )
    op.create_index("ix_publication_media_id", "publication", ["media_id"])

    op.create_table(
        "student",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pseudonym", sa.String(length=32), nullable=False),
        sa.Column("student_number", sa.String(length=40), nullable=True),
        sa.Column("first_name", sa.String(length=100), nullable=True),
        sa.Column("last_name", sa.String(length=100), nullable=True),
        sa.Column("birth_date", sa.Date(), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("group_id", sa.Integer(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "active", "left", "erased", name="studentstatus", native_enum=False, create_constraint=True, length=20
            ),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["group_id"], ["school_group.id"], name=op.f("fk_student_group_id_school_group")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_student")),
        sa.UniqueConstraint("pseudonym", name=op.f("uq_student_pseudonym")),
        sa.UniqueConstraint("student_number", name=op.f("uq_student_student_number")),
    )
    op.create_index("ix_student_group_id", "student", ["group_id"])

    op.create_table(
        "consent_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("nonce", sa.String(length=64), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column(
            "holder_role",
            sa.Enum("guardian", "student", name="deciderrole", native_enum=False, create_constraint=True, length=20),
            nullable=False,
        ),
        sa.Column("guardian_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["guardian_id"], ["guardian.id"], name=op.f("fk_consent_link_guardian_id_guardian")),
        sa.ForeignKeyConstraint(["student_id"], ["student.id"], name=op.f("fk_consent_link_student_id_student")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_link")),
        sa.UniqueConstraint("nonce", name=op.f("uq_consent_link_nonce")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_consent_link_token_hash")),
    )
    op.create_index("ix_consent_link_guardian_id", "consent_link", ["guardian_id"])
    op.create_index("ix_consent_link_student_id", "consent_link", ["student_id"])

    op.create_table(
        "detected_face",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("media_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("frame_ms", sa.Integer(), nullable=True),
        sa.Column("top", sa.Integer(), nullable=False),
        sa.Column("right", sa.Integer(), nullable=False),
        sa.Column("bottom", sa.Integer(), nullable=False),
        sa.Column("left", sa.Integer(), nullable=False),
        sa.Column("score", sa.Double(), nullable=False),
        sa.Column("published_height", sa.Double(), nullable=False),
        sa.Column("sharpness", sa.Double(), nullable=False),
        sa.Column("inside_fraction", sa.Double(), nullable=False),
        sa.Column("clearly_visible", sa.Boolean(), nullable=False),
        sa.Column("match_status", sa.String(length=20), nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=True),
        sa.Column("distance", sa.Double(), nullable=True),
        sa.Column("margin", sa.Double(), nullable=True),
        sa.Column(
            "review_state",
            sa.Enum(
                "not_needed",
                "pending",
                "confirmed",
                "rejected",
                "tagged",
                name="reviewstate",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("reviewed_by", sa.String(length=100), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["media_id"], ["media.id"], name=op.f("fk_detected_face_media_id_media")),
        sa.ForeignKeyConstraint(["student_id"], ["student.id"], name=op.f("fk_detected_face_student_id_student")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_detected_face")),
        sa.UniqueConstraint("media_id", "position", name=op.f("uq_detected_face_media_id_position")),
    )
    op.create_index("ix_detected_face_student_id", "detected_face", ["student_id"])

    op.create_table(
        "reference_photo",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("image", sa.LargeBinary(), nullable=False),
        sa.Column("suffix", sa.String(length=8), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(["student_id"], ["student.id"], name=op.f("fk_reference_photo_student_id_student")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reference_photo")),
    )
    op.create_index("ix_reference_photo_student_id", "reference_photo", ["student_id"])

    op.create_table(
        "student_guardian",
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("guardian_id", sa.Integer(), nullable=False),
        sa.Column("relation", sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(
            ["guardian_id"], ["guardian.id"], name=op.f("fk_student_guardian_guardian_id_guardian")
        ),
        sa.ForeignKeyConstraint(["student_id"], ["student.id"], name=op.f("fk_student_guardian_student_id_student")),
        sa.PrimaryKeyConstraint("student_id", "guardian_id", name=op.f("pk_student_guardian")),
    )
    op.create_index("ix_student_guardian_guardian_id", "student_guardian", ["guardian_id"])

    op.create_table(
        "consent_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=40), nullable=False),
        sa.Column("granted", sa.Boolean(), nullable=False),
        sa.Column(
            "decided_by_role",
            sa.Enum("guardian", "student", name="deciderrole", native_enum=False, create_constraint=True, length=20),
            nullable=False,
        ),
        sa.Column("decided_by_guardian_id", sa.Integer(), nullable=True),
        sa.Column(
            "means",
            sa.Enum(
                "link", "paper", "admin", name="consentmeans", native_enum=False, create_constraint=True, length=20
            ),
            nullable=False,
        ),
        sa.Column("consent_link_id", sa.Integer(), nullable=True),
        sa.Column("recorded_by", sa.String(length=100), nullable=True),
        sa.Column("consent_text_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["consent_link_id"], ["consent_link.id"], name=op.f("fk_consent_event_consent_link_id_consent_link")
        ),
        sa.ForeignKeyConstraint(
            ["consent_text_id"], ["consent_text.id"], name=op.f("fk_consent_event_consent_text_id_consent_text")
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_guardian_id"], ["guardian.id"], name=op.f("fk_consent_event_decided_by_guardian_id_guardian")
        ),
        sa.ForeignKeyConstraint(["student_id"], ["student.id"], name=op.f("fk_consent_event_student_id_student")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_event")),
    )
    op.create_index("ix_consent_event_current", "consent_event", ["student_id", "purpose", "at", "id"])

    op.create_table(
        "face_template",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference_photo_id", sa.Integer(), nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("template", sa.LargeBinary(), nullable=False),
        sa.Column("model", sa.String(length=40), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["reference_photo_id"],
            ["reference_photo.id"],
            name=op.f("fk_face_template_reference_photo_id_reference_photo"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["student_id"], ["student.id"], name=op.f("fk_face_template_student_id_student")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_face_template")),
    )
    op.create_index("ix_face_template_reference_photo_id", "face_template", ["reference_photo_id"])
    op.create_index("ix_face_template_student_id", "face_template", ["student_id"])
    for table in APPEND_ONLY_TABLES:
        protect(table)


def downgrade() -> None:
    for table in (
        "face_template",
        "consent_event",
        "student_guardian",
        "reference_photo",
        "detected_face",
        "consent_link",
        "student",
        "publication",
        "channel_decision",
        "school_group",
        "media",
        "staff_user",
        "school_year",
        "policy_version",
        "guardian",
        "consent_text",
        "channel",
        "audit_event",
        "album",
    ):
        op.drop_table(table)
    drop_guard_function()
