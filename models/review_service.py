"""The review queue: a person resolves the faces the matcher could not (R11a, R15).

A face waits here when it is clearly visible and either unsure (two students close, or a distance
in the grey zone) or unknown — with face matching switched off, that is every clearly visible face.
Until resolved it counts as no consent. A resolution is recorded on the face and the photo's
channels are decided again at once; naming a student by hand works exactly like a match.

One person alone can only make a face count as *less*: confirm the candidate the matcher proposed,
or say it is someone else, no student, or no face. Naming a student the matcher did not propose, or
overruling a confident match, can publish a child (R15): it is a claim that counts only once an
administrator other than the claimant approves it, and until then the face is undecided (no consent).
One student is never two faces of the same photo.
"""

from dataclasses import dataclass
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
from models.media import ERASED_MATCH, ClaimState, DetectedFace, Media, ReviewClaim, ReviewState
from models.school import Student, StudentStatus

QUEUE_SIZE = 50


class Resolution(StrEnum):
    CONFIRM = "confirm"
    """The face is the candidate student the matcher named."""
    OTHER_STUDENT = "other_student"
    """The face is another student, named by the reviewer: a claim unless the matcher proposed them."""
    NOT_A_STUDENT = "not_a_student"
    """A parent, visitor or staff member: nobody consented, so no consent (R3)."""
    UNKNOWN_PERSON = "unknown_person"
    """The reviewer cannot tell: no consent either (fail closed)."""
    NOT_A_FACE = "not_a_face"
    """A poster, a pattern: off the queue, yet still hidden like a face without consent (fail closed)."""


class ReviewRefused(RecordsError):
    """The resolution does not fit the face; the message says why."""


@dataclass(frozen=True)
class Outcome:
    decisions: dict[str, ChannelDecision]
    """The photo's channels decided again."""
    claim: ReviewClaim | None = None
    """Set when the answer waits for an administrator's approval."""


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
_NAMED_BY_A_PERSON = (ReviewState.CONFIRMED, ReviewState.TAGGED)


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


def pending_claims(session: Session) -> list[ReviewClaim]:
    """Claims waiting for an administrator, oldest first."""
    return list(
        session.scalars(
            select(ReviewClaim)
            .where(ReviewClaim.state == ClaimState.PENDING)
            .order_by(ReviewClaim.claimed_at, ReviewClaim.id)
            .options(selectinload(ReviewClaim.face).selectinload(DetectedFace.media), selectinload(ReviewClaim.student))
        )
    )


def is_waiting(face: DetectedFace) -> bool:
    """The same test as the queue's, for one face already loaded."""
    if not face.clearly_visible:
        return False
    if face.review_state is ReviewState.PENDING:
        return True
    unmatched = face.match_status in (MatchStatus.UNKNOWN.value, MatchStatus.NOT_CHECKED.value)
    return face.review_state is ReviewState.NOT_NEEDED and unmatched


def candidates(face: DetectedFace, with_claims: bool) -> list[Student]:
    """Whose reference photos a person judging this face may see: the matcher's candidate and, for an
    administrator deciding claims, the students claimed for it. Nobody else's (R9)."""
    claimed = [c.student for c in face.claims if c.state is ClaimState.PENDING] if with_claims else []
    return [s for s in [face.student, *claimed] if s is not None]


def resolve_face(
    session: Session, face: DetectedFace, resolution: Resolution, actor: Actor, student: Student | None = None
) -> Outcome:
    """Record what the face is and decide the photo's channels again.

    A face already resolved may be resolved again: a wrong tag is corrected the same way (R12). The
    media row is locked first, so a publication of this photo waits for the review; copies already out
    that the new decision no longer allows are asked to come down (fail closed). Naming a student the
    matcher did not propose files a claim instead (see the module docstring)."""
    lock_rows(session, Media, [face.media_id])
    if face.match_status == ERASED_MATCH:
        raise ReviewRefused("this face is of a student whose data was erased: it stays hidden and is not reviewed")
    if not face.clearly_visible:
        raise ReviewRefused("this face is not clearly visible: it needs no review")
    if resolution is Resolution.CONFIRM:
        if face.student is None:
            raise ReviewRefused("the matcher named no candidate for this face: choose a student instead")
        student = face.student
    elif resolution is Resolution.OTHER_STUDENT:
        if student is None or student.status is not StudentStatus.ACTIVE:
            raise ReviewRefused("choose an active student")
        if student.id != face.student_id:
            return _claim(session, face, student, actor)
    else:
        student = None
    if student is not None:
        _refuse_second_face(face, student)
    _replace_claims(face, actor)
    _settle(face, student, ReviewState.CONFIRMED if student else ReviewState.REJECTED, str(actor))
    face.not_a_face = resolution is Resolution.NOT_A_FACE
    detail = {"resolution": resolution.value, "media": face.media_id, "position": face.position}
    audit_service.record(session, actor, "face.review", "detected_face", face.id, _pseudonym(student), detail)
    return Outcome(_decide_again(session, face, actor))


def approve_claim(session: Session, claim: ReviewClaim, actor: Actor) -> Outcome:
    """The second person agrees: the claimed student counts for the face from now on. The caller
    checks that `actor` is an administrator; here, that it is not the claimant."""
    face = claim.face
    lock_rows(session, Media, [face.media_id])
    _check_open(claim, actor)
    if claim.student.status is not StudentStatus.ACTIVE:
        raise ReviewRefused("the claimed student is no longer active: refuse the claim")
    _refuse_second_face(face, claim.student)
    _decide_claim(session, claim, ClaimState.APPROVED, actor)
    _replace_claims(face, actor)
    _settle(face, claim.student, ReviewState.TAGGED, claim.claimed_by)
    return Outcome(_decide_again(session, face, actor))


def refuse_claim(session: Session, claim: ReviewClaim, actor: Actor) -> None:
    """The second person disagrees: the face stays undecided and waits in the queue."""
    lock_rows(session, Media, [claim.face.media_id])
    _check_open(claim, actor)
    _decide_claim(session, claim, ClaimState.REFUSED, actor)


def _claim(session: Session, face: DetectedFace, student: Student, actor: Actor) -> Outcome:
    """File the claim and leave the face undecided until an administrator approves it (fail closed)."""
    _refuse_second_face(face, student)
    _replace_claims(face, actor)
    claim = ReviewClaim(face=face, student=student, claimed_by=str(actor))
    session.add(claim)
    face.review_state, face.not_a_face = ReviewState.PENDING, False
    session.flush()
    detail = {
        "claimed_by": claim.claimed_by,
        "matcher_proposed": _pseudonym(face.student),
        "media": face.media_id,
        "position": face.position,
    }
    audit_service.record(session, actor, "face.claim", "review_claim", claim.id, student.pseudonym, detail)
    return Outcome(_decide_again(session, face, actor), claim)


def _check_open(claim: ReviewClaim, actor: Actor) -> None:
    if claim.state is not ClaimState.PENDING:
        raise ReviewRefused("this claim was already decided")
    if claim.claimed_by == str(actor):
        raise ReviewRefused("you made this claim yourself: another administrator must decide it")


def _decide_claim(session: Session, claim: ReviewClaim, state: ClaimState, actor: Actor) -> None:
    claim.state, claim.decided_by, claim.decided_at = state, str(actor), utcnow()
    detail = {"claimed_by": claim.claimed_by, "decided_by": claim.decided_by, "media": claim.face.media_id}
    action = "face.claim_approved" if state is ClaimState.APPROVED else "face.claim_refused"
    audit_service.record(session, actor, action, "review_claim", claim.id, claim.student.pseudonym, detail)


def _replace_claims(face: DetectedFace, actor: Actor) -> None:
    """A newer answer for the face makes its earlier pending claims moot."""
    for claim in face.claims:
        if claim.state is ClaimState.PENDING:
            claim.state, claim.decided_by, claim.decided_at = ClaimState.REPLACED, str(actor), utcnow()


def _refuse_second_face(face: DetectedFace, student: Student) -> None:
    """One student is one face of a photo: a second would let another child's face pass as theirs.
    A video's faces are its tracks; one child seen twice stays hidden the second time (fail closed)."""
    kind = face.media.kind.value
    for other in face.media.faces:
        named = other.review_state in _NAMED_BY_A_PERSON or (
            other.review_state is ReviewState.NOT_NEEDED and other.match_status == MatchStatus.MATCHED.value
        )
        if other.id != face.id and other.student_id == student.id and named:
            raise ReviewRefused(
                f"{student.name} is already face {other.position + 1} of this {kind}: "
                f"one student cannot be two faces of the same {kind}"
            )


def _settle(face: DetectedFace, student: Student | None, state: ReviewState, reviewer: str) -> None:
    face.student, face.review_state = student, state
    face.reviewed_by, face.reviewed_at = reviewer, utcnow()


def _decide_again(session: Session, face: DetectedFace, actor: Actor) -> dict[str, ChannelDecision]:
    session.flush()
    decisions = decision_service.redecide(session, face.media, actor, "face review")
    publication_service.apply_review(session, face.media_id, actor)
    return decisions


def _pseudonym(student: Student | None) -> str | None:
    return student.pseudonym if student else None
