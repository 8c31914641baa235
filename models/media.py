"""Event media, the faces found in them, the per-channel decisions and the publications.

A detected face keeps its box, visibility measures and match result, never its template (R11a):
the template lives only in memory while it is compared.
"""

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, utcnow
from models.channels import Channel
from models.school import Student


class MediaKind(StrEnum):
    PHOTO = "photo"
    VIDEO = "video"


class ReviewState(StrEnum):
    NOT_NEEDED = "not_needed"
    PENDING = "pending"
    """The matcher was unsure (R15); counts as no consent until resolved."""
    CONFIRMED = "confirmed"
    REJECTED = "rejected"
    TAGGED = "tagged"
    """Staff named the student by hand (R11a); counts as a match."""


class Album(Base):
    __tablename__ = "album"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    event_date: Mapped[date | None]
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Media(Base):
    __tablename__ = "media"

    id: Mapped[int] = mapped_column(primary_key=True)
    album_id: Mapped[int | None] = mapped_column(ForeignKey("album.id"), index=True)
    kind: Mapped[MediaKind]
    filename: Mapped[str] = mapped_column(String(255))
    """As uploaded; shown to staff only, never used for a published copy (R10)."""
    storage_path: Mapped[str] = mapped_column(String(500))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    width: Mapped[int | None]
    height: Mapped[int | None]
    uploaded_by: Mapped[str] = mapped_column(String(100))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)
    checked_at: Mapped[datetime | None]
    check_error: Mapped[str | None] = mapped_column(Text)
    """Why the check failed; such media go nowhere (fail closed)."""
    policy_version: Mapped[int | None]
    """The policy version the decisions were made under (0: the built-in default)."""

    album: Mapped[Album | None] = relationship()
    faces: Mapped[list["DetectedFace"]] = relationship(
        back_populates="media", cascade="all, delete-orphan", order_by="DetectedFace.position"
    )
    decisions: Mapped[list["ChannelDecision"]] = relationship(back_populates="media", cascade="all, delete-orphan")


class DetectedFace(Base):
    __tablename__ = "detected_face"
    __table_args__ = (UniqueConstraint("media_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    media_id: Mapped[int] = mapped_column(ForeignKey("media.id"))
    position: Mapped[int]
    """Index of the face in the check result; channel decisions name faces by it."""
    frame_ms: Mapped[int | None]
    """For a video: the frame's time. Empty for a photo."""
    top: Mapped[int]
    right: Mapped[int]
    bottom: Mapped[int]
    left: Mapped[int]
    score: Mapped[float]
    published_height: Mapped[float]
    sharpness: Mapped[float]
    inside_fraction: Mapped[float]
    clearly_visible: Mapped[bool]
    match_status: Mapped[str] = mapped_column(String(20))
    """A `mediacheck.matching.MatchStatus` value."""
    student_id: Mapped[int | None] = mapped_column(ForeignKey("student.id"), index=True)
    """The matched student, or the candidate a reviewer is asked about."""
    distance: Mapped[float | None]
    margin: Mapped[float | None]
    review_state: Mapped[ReviewState] = mapped_column(default=ReviewState.NOT_NEEDED)
    reviewed_by: Mapped[str | None] = mapped_column(String(100))
    reviewed_at: Mapped[datetime | None]

    media: Mapped[Media] = relationship(back_populates="faces")
    student: Mapped[Student | None] = relationship()


class ChannelDecision(Base):
    __tablename__ = "channel_decision"
    __table_args__ = (UniqueConstraint("media_id", "channel_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    media_id: Mapped[int] = mapped_column(ForeignKey("media.id"))
    channel_id: Mapped[int] = mapped_column(ForeignKey("channel.id"))
    status: Mapped[str] = mapped_column(String(20))
    """A `mediacheck.policy.ChannelStatus` value."""
    redact: Mapped[list[int]]
    """Positions of the faces to hide before the media may go out."""
    decided_at: Mapped[datetime] = mapped_column(default=utcnow)

    media: Mapped[Media] = relationship(back_populates="decisions")
    channel: Mapped[Channel] = relationship()


class Publication(Base):
    __tablename__ = "publication"

    id: Mapped[int] = mapped_column(primary_key=True)
    media_id: Mapped[int] = mapped_column(ForeignKey("media.id"), index=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channel.id"))
    external_id: Mapped[str | None] = mapped_column(String(200))
    """The channel's id of the post, needed to take it down (R5)."""
    rendered_sha256: Mapped[str] = mapped_column(String(64))
    """Hash of the exact bytes that went out."""
    redacted_positions: Mapped[list[int]]
    published_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_by: Mapped[str] = mapped_column(String(100))
    unpublished_at: Mapped[datetime | None]
    unpublished_reason: Mapped[str | None] = mapped_column(Text)

    media: Mapped[Media] = relationship()
    channel: Mapped[Channel] = relationship()
