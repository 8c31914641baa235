"""Record event media and what the photo check found in them; show a student's matched faces (R9, R11a).

`record_check` stores each face's box, visibility measures and match, never its template: the
check computes templates in memory and `CheckedPhoto` does not carry them (R11a).
"""

from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from mediacheck.check import CheckedFace, CheckedPhoto
from mediacheck.matching import MatchStatus
from models import audit_service
from models.audit import Actor
from models.base import utcnow
from models.channels import Channel
from models.errors import NotFound
from models.media import (
    ERASED_MATCH,
    Album,
    ChannelDecision,
    DetectedFace,
    Media,
    MediaKind,
    MediaState,
    Publication,
    ReviewState,
)
from models.school import Student

ERASED_OVERLAP = 0.3
"""Box overlap (intersection over union) from which a face found by a new check is the erased face found before."""


def add_media(
    session: Session,
    filename: str,
    storage_path: Path,
    sha256: str,
    kind: MediaKind,
    actor: Actor,
    album: Album | None = None,
) -> Media:
    media = Media(
        album=album, kind=kind, filename=filename, storage_path=str(storage_path), sha256=sha256, uploaded_by=str(actor)
    )
    session.add(media)
    session.flush()
    audit_service.record(session, actor, "media.add", "media", media.id)
    return media


def record_check(
    session: Session, media: Media, checked: CheckedPhoto, policy_version: int, actor: Actor, at: datetime | None = None
) -> None:
    """Replace the media's faces and channel decisions with the outcome of a (re)check."""
    channels = {c.key: c for c in session.scalars(select(Channel))}
    if missing := set(checked.decisions) - channels.keys():
        raise NotFound(f"the check decided for unknown channel(s) {', '.join(sorted(missing))}")
    students = _students_by_pseudonym(session, {f.match.person for f in checked.faces if f.match.person})
    erased = [f for f in media.faces if f.match_status == ERASED_MATCH]
    media.faces.clear()
    media.decisions.clear()
    session.flush()
    media.faces.extend(_still_erased(_face(i, face, students), erased) for i, face in enumerate(checked.faces))
    media.decisions.extend(
        ChannelDecision(channel=channels[key], status=decision.status.value, redact=list(decision.redact))
        for key, decision in checked.decisions.items()
    )
    media.width, media.height = checked.width or None, checked.height or None
    media.checked_at, media.check_error, media.policy_version = at or utcnow(), checked.error, policy_version
    media.state = MediaState.ERROR if checked.error else MediaState.CHECKED
    session.flush()
    detail = {"faces": len(checked.faces), "error": checked.error is not None}
    audit_service.record(session, actor, "media.check", "media", media.id, None, detail)


MEDIA_VIEW = "media.view"


def view_media(session: Session, media: Media, actor: Actor) -> None:
    """Staff open a photo's page, with who each face is and its previews: one register entry (R9)."""
    students = [f.student.pseudonym for f in media.faces if f.student]
    audit_service.record_view(session, actor, MEDIA_VIEW, "media", media.id, students, {"media": [media.id]})


def view_preview(session: Session, media: Media, actor: Actor) -> None:
    """A preview of what would go out, registered unless it is part of the photo page just opened (R9)."""
    if not audit_service.shown_by_a_view(session, actor, MEDIA_VIEW, "media", media.id):
        students = [f.student.pseudonym for f in media.faces if f.student]
        audit_service.record_view(session, actor, "media.preview", "media", media.id, students)


def view_matched_faces(session: Session, student: Student, actor: Actor) -> list[DetectedFace]:
    """The faces matched (or tagged) to the student, with their media, for staff to look at (audited, R9)."""
    audit_service.record(session, actor, "face.view", "student", student.pseudonym, student.pseudonym)
    return matched_faces(session, student)


def matched_faces(session: Session, student: Student) -> list[DetectedFace]:
    """Unaudited: for services that write their own audit entry."""
    return list(
        session.scalars(
            select(DetectedFace)
            .where(DetectedFace.student_id == student.id)
            .order_by(DetectedFace.media_id, DetectedFace.position)
            .options(selectinload(DetectedFace.media).selectinload(Media.album))
        )
    )


def publications_of(session: Session, media_ids: list[int]) -> list[Publication]:
    return list(
        session.scalars(
            select(Publication)
            .where(Publication.media_id.in_(media_ids))
            .order_by(Publication.published_at, Publication.id)
            .options(selectinload(Publication.channel))
        )
    )


def _students_by_pseudonym(session: Session, pseudonyms: set[str]) -> dict[str, Student]:
    if not pseudonyms:
        return {}
    return {s.pseudonym: s for s in session.scalars(select(Student).where(Student.pseudonym.in_(pseudonyms)))}


def _still_erased(face: DetectedFace, erased: list[DetectedFace]) -> DetectedFace:
    """A face found again where an erased student's face was stays erased (R12): a check run again
    must not put the student back in the review queue."""
    if any(face.frame_ms == old.frame_ms and _overlap(face, old) >= ERASED_OVERLAP for old in erased):
        face.student, face.match_status, face.distance, face.margin = None, ERASED_MATCH, None, None
        face.review_state = ReviewState.NOT_NEEDED
    return face


def _overlap(a: DetectedFace, b: DetectedFace) -> float:
    """Intersection over union of two face boxes."""
    width = min(a.right, b.right) - max(a.left, b.left)
    height = min(a.bottom, b.bottom) - max(a.top, b.top)
    if width <= 0 or height <= 0:
        return 0.0
    union = (a.right - a.left) * (a.bottom - a.top) + (b.right - b.left) * (b.bottom - b.top) - width * height
    return width * height / union


def _face(position: int, checked: CheckedFace, students: dict[str, Student]) -> DetectedFace:
    face, visibility, match = checked.face, checked.visibility, checked.match
    return DetectedFace(
        position=position,
        top=face.box.top,
        right=face.box.right,
        bottom=face.box.bottom,
        left=face.box.left,
        score=face.score,
        published_height=visibility.published_height,
        sharpness=visibility.sharpness,
        inside_fraction=visibility.inside_fraction,
        clearly_visible=visibility.clearly_visible,
        match_status=match.status.value,
        student=students.get(match.person) if match.person else None,
        distance=match.distance,
        margin=match.margin if match.margin != float("inf") else None,
        review_state=ReviewState.PENDING if match.status is MatchStatus.UNSURE else ReviewState.NOT_NEEDED,
    )
