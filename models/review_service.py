"""The review queue: a person resolves the faces the matcher could not (R11a, R15).

A face waits here when it is clearly visible and either unsure (two students close, or a distance
in the grey zone) or unknown — with face matching switched off, that is every clearly visible face.
Until resolved it counts as no consent. A resolution is recorded on the face and the photo's
channels are decided again at once; naming a student by hand works exactly like a match.
"""

from enum import StrEnum

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session, selectinload

from mediacheck.matching import MatchStatus
from mediacheck.policy import ChannelDecision
from models import audit_service, decision_service, enrolment_service, publication_service
from models.audit import Actor
from models.base import utcnow
from models.biometrics import ReferencePhoto
from models.errors import RecordsError
from models.locks import lock_rows
from models.media import ERASED_MATCH, DetectedFace, Media, ReviewState
from models.school import Student, StudentStatus

QUEUE_SIZE = 50


class Resolution(StrEnum):
    CONFIRM = "confirm"
    """The face is the candidate student the matcher named."""
    OTHER_STUDENT = "other_student"
    """The face is another student, named by the reviewer (a tag, R11a)."""
    NOT_A_STUDENT = "not_a_student"
    """A parent, visitor or staff member: nobody consented, so no consent (R3)."""
    UNKNOWN_PERSON = "unknown_person"
    """The reviewer cannot tell: no consent either (fail closed)."""


class ReviewRefused(RecordsError):
    """The resolution does not fit the face; the message says why."""


_WAITING = and_(
    DetectedFace.clearly_visible.is_(True),
    or_(
        DetectedFace.review_state == ReviewState.PENDING,
        and_(
            DetectedFace.review_state == ReviewState.NOT_NEEDED,
            DetectedFace.match_status.in_([MatchStatus.UNKNOWN.value, MatchStatus.NOT_CHECKED.value]),
        ),
    ),
)


def queue(session: Session, limit: int = QUEUE_SIZE) -> list[DetectedFace]:
    """The faces waiting for a person, oldest upload first."""
    return list(
        session.scalars(
            select(DetectedFace)
            .join(Media, Media.id == DetectedFace.media_id)
            .where(_WAITING, Media.check_error.is_(None), Media.checked_at.is_not(None))
            .order_by(Media.uploaded_at, Media.id, DetectedFace.position)
            .limit(limit)
            .options(selectinload(DetectedFace.media).selectinload(Media.album), selectinload(DetectedFace.student))
        )
    )


QUEUE_VIEW = "review.view"


def view_queue(session: Session, actor: Actor, limit: int = QUEUE_SIZE) -> list[DetectedFace]:
    """The queue for a reviewer to look at: one register entry naming every face and candidate shown (R9)."""
    faces = queue(session, limit)
    candidates = [f.student.pseudonym for f in faces if f.student]
    detail = {"faces": [f.id for f in faces]}
    audit_service.record_view(session, actor, QUEUE_VIEW, "review_queue", "waiting", candidates, detail)
    return faces


def view_face_picture(session: Session, face: DetectedFace, actor: Actor) -> None:
    """A face's picture, registered unless it is part of the queue page the reviewer just opened (R9)."""
    if not audit_service.shown_by_a_view(session, actor, QUEUE_VIEW, "faces", face.id):
        students = [face.student.pseudonym] if face.student else []
        audit_service.record_view(session, actor, "face.picture.view", "detected_face", face.id, students)


def view_candidate_references(session: Session, student: Student, actor: Actor) -> list[tuple[ReferencePhoto, bytes]]:
    """A candidate's reference photos, registered unless the queue page just opened showed them (R9)."""
    if audit_service.shown_by_a_view(session, actor, QUEUE_VIEW, "students", student.pseudonym):
        return enrolment_service.reference_photos(session, student)
    return enrolment_service.view_reference_photos(session, student, actor)


def is_waiting(face: DetectedFace) -> bool:
    """The same test as the queue's, for one face already loaded."""
    if not face.clearly_visible:
        return False
    if face.review_state is ReviewState.PENDING:
        return True
    unmatched = face.match_status in (MatchStatus.UNKNOWN.value, MatchStatus.NOT_CHECKED.value)
    return face.review_state is ReviewState.NOT_NEEDED and unmatched


def resolve_face(
    session: Session, face: DetectedFace, resolution: Resolution, actor: Actor, student: Student | None = None
) -> dict[str, ChannelDecision]:
    """Record what the face is and decide the photo's channels again; returns the new decisions.

    A face already resolved may be resolved again: a wrong tag is corrected the same way (R12). The
    media row is locked first, so a publication of this photo waits for the review; copies already out
    that the new decision no longer allows are asked to come down (fail closed)."""
    lock_rows(session, Media, [face.media_id])
    if face.match_status == ERASED_MATCH:
        raise ReviewRefused("this face is of a student whose data was erased: it stays hidden and is not reviewed")
    if not face.clearly_visible:
        raise ReviewRefused("this face is not clearly visible: it needs no review (R1)")
    if resolution is Resolution.CONFIRM:
        if face.student is None:
            raise ReviewRefused("the matcher named no candidate for this face: choose a student instead")
        student, state = face.student, ReviewState.CONFIRMED
    elif resolution is Resolution.OTHER_STUDENT:
        if student is None or student.status is not StudentStatus.ACTIVE:
            raise ReviewRefused("choose an active student")
        state = ReviewState.TAGGED
    else:
        student, state = None, ReviewState.REJECTED
    face.student, face.review_state = student, state
    face.reviewed_by, face.reviewed_at = str(actor), utcnow()
    detail = {"resolution": resolution.value, "media": face.media_id, "position": face.position}
    subject = student.pseudonym if student else None
    audit_service.record(session, actor, "face.review", "detected_face", face.id, subject, detail)
    decisions = decision_service.redecide(session, face.media, actor, "face review")
    publication_service.apply_review(session, face.media_id, actor)
    return decisions
