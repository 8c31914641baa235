"""Event media, the faces found in them, the per-channel decisions and the publications.

A detected face keeps its box, visibility measures and match result, never its template (R11a):
the template lives only in memory while it is compared.
"""

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, false, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, utcnow
from models.channels import Channel
from models.school import Group, Student


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
    """Staff named the student by hand and an administrator approved the claim (R11a); counts as a match."""


ERASED_MATCH = "erased"
"""`DetectedFace.match_status` of a face of an erased student (R12): hidden on every channel, never
put to a reviewer again, whatever the policy calls clearly visible."""


class MediaState(StrEnum):
    """Where a file is on its way through the worker (the album's live view shows it)."""

    UPLOADED = "uploaded"
    """Stored and waiting for a worker."""
    PROCESSING = "processing"
    CHECKED = "checked"
    ERROR = "error"
    """The check failed (`check_error` says why): the file goes nowhere (fail closed)."""


class PublicationState(StrEnum):
    PUBLISHING = "publishing"
    """Consent was checked and the publication recorded; the channel has not confirmed yet."""
    PUBLISHED = "published"
    TAKEDOWN_PENDING = "takedown_pending"
    """It must come down (R5) and the channel has not confirmed the removal yet: retried until it does."""
    UNPUBLISHED = "unpublished"
    FAILED = "failed"
    """The channel refused or never confirmed it: nothing is known to have gone out."""


LIVE_PUBLICATION = (PublicationState.PUBLISHING, PublicationState.PUBLISHED, PublicationState.TAKEDOWN_PENDING)
"""States in which a copy is, or may be, on the channel."""


class Album(Base):
    __tablename__ = "album"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    event_date: Mapped[date | None]
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    group_id: Mapped[int | None] = mapped_column(ForeignKey("school_group.id"))
    """The group the event was for, if it was for one."""

    group: Mapped[Group | None] = relationship()


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
    state: Mapped[MediaState] = mapped_column(default=MediaState.UPLOADED, index=True)
    processing_started_at: Mapped[datetime | None]
    """When a worker took the file; a file processing for too long is handed out again."""
    check_attempts: Mapped[int] = mapped_column(default=0)
    """How often a worker took the file; a file that keeps stopping the check becomes an error."""
    check_progress: Mapped[float | None]
    """Share of a long check done (a video's frames), while it runs."""

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
    not_a_face: Mapped[bool] = mapped_column(default=False, server_default=false())
    """A reviewer said this is no face at all (a poster, a pattern); it still counts as no consent."""

    media: Mapped[Media] = relationship(back_populates="faces")
    student: Mapped[Student | None] = relationship()
    claims: Mapped[list["ReviewClaim"]] = relationship(back_populates="face", cascade="all, delete-orphan")


class ClaimState(StrEnum):
    PENDING = "pending"
    """Waits for an administrator; until then the face counts as no consent."""
    APPROVED = "approved"
    REFUSED = "refused"
    REPLACED = "replaced"
    """Another answer for the face came before an administrator decided."""


class ReviewClaim(Base):
    """A reviewer named a student the matcher did not propose, or overruled a confident match.

    Such a naming can publish a child, so one person is not enough (R11a, R15): it counts only once
    an administrator other than the claimant approves it; both names stay here and in the register."""

    __tablename__ = "review_claim"

    id: Mapped[int] = mapped_column(primary_key=True)
    face_id: Mapped[int] = mapped_column(ForeignKey("detected_face.id", ondelete="CASCADE"), index=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("student.id"))
    claimed_by: Mapped[str] = mapped_column(String(100))
    claimed_at: Mapped[datetime] = mapped_column(default=utcnow)
    state: Mapped[ClaimState] = mapped_column(default=ClaimState.PENDING, index=True)
    decided_by: Mapped[str | None] = mapped_column(String(100))
    """The administrator who approved or refused it."""
    decided_at: Mapped[datetime | None]

    face: Mapped[DetectedFace] = relationship(back_populates="claims")
    student: Mapped[Student] = relationship()


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
    __table_args__ = (
        Index(
            "uq_publication_live_media_id_channel_id",
            "media_id",
            "channel_id",
            unique=True,
            sqlite_where=text("state IN ('publishing', 'published', 'takedown_pending')"),
            postgresql_where=text("state IN ('publishing', 'published', 'takedown_pending')"),
        ),
    )

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
    """When the channel confirmed the removal, or (failed) when the publication was given up."""
    unpublished_reason: Mapped[str | None] = mapped_column(Text)
    """Why it must come down, set when the takedown is asked for."""
    state: Mapped[PublicationState] = mapped_column(default=PublicationState.PUBLISHING, index=True)
    upload_name: Mapped[str | None] = mapped_column(String(100))
    """The pseudonymous file name sent to the channel (R10), to find a copy the channel never confirmed."""
    takedown_requested_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0)
    """Channel calls that failed in the current step (publishing or taking down)."""
    last_error: Mapped[str | None] = mapped_column(Text)
    """The channel's last refusal, for staff (e.g. "HTTP 401": fix the channel's credentials)."""
    next_attempt_at: Mapped[datetime | None]
    """When the worker tries the channel again; reconcile re-sends what is overdue."""
    busy_until: Mapped[datetime | None]
    """A worker is talking to the channel about this publication until then; others leave it alone."""
    replaces_id: Mapped[int | None] = mapped_column(ForeignKey("publication.id"))
    """The publication taken down after a withdrawal that this redacted copy replaces (R5)."""
    replace_when_down: Mapped[bool] = mapped_column(default=False, server_default=false())
    """Once down, a copy the rules allow now goes out in its place: set when the rules asked for the
    takedown (a withdrawal, a review, a policy), cleared when staff took it down or it was replaced (R5)."""

    media: Mapped[Media] = relationship()
    channel: Mapped[Channel] = relationship()


class ConsentFollowup(Base):
    """A channel consent event the worker has acted on: decisions refreshed, takedowns asked for (R5).

    The consent event itself is the durable request: it is stored in the withdrawal's own
    transaction, so an event without a row here is work still to do, even if every message was lost.
    """

    __tablename__ = "consent_followup"

    consent_event_id: Mapped[int] = mapped_column(ForeignKey("consent_event.id"), primary_key=True)
    handled_at: Mapped[datetime] = mapped_column(default=utcnow)
