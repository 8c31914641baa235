"""The review queue: each unsure or unknown clearly visible face, its candidate student with their
reference photos, and confirm / another student / not a student / unknown person / not a face; for
administrators, the claims waiting for a second person (R11a, R15)."""

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from models import review_service
from models.biometrics import ReferencePhoto
from models.errors import NotFound
from models.media import ClaimState, DetectedFace, ReviewClaim
from models.review_service import Resolution
from models.school import Student, StudentStatus
from web.auth import ADMIN, REVIEW, Staff, allow
from web.face_pictures import FaceSpot, face_picture
from web.pages import redirect_saying, render
from web.state import transaction, web_state

router = APIRouter(tags=["review"])
Reviewer = Annotated[Staff, Depends(allow(*REVIEW))]
Administrator = Annotated[Staff, Depends(allow(*ADMIN))]


@router.get("/review")
def queue_page(request: Request, staff: Reviewer) -> Response:
    with transaction(request) as session:
        faces = review_service.view_queue(session, staff.actor)
        claims = review_service.pending_claims(session) if staff.may(ADMIN) else []
        claimed = {c.face_id: c for c in session.scalars(_pending_claims_of(faces))}
        references = {f.id: _reference_ids(session, review_service.candidates(f, False)) for f in faces}
        claim_references = {c.id: _reference_ids(session, [c.student]) for c in claims}
        students = _active_students(session)
        return render(
            request,
            "review.html",
            faces=faces,
            claims=claims,
            claimed=claimed,
            references=references,
            claim_references=claim_references,
            students=students,
        )


@router.post("/review/faces/{face_id}")
def resolve(
    request: Request,
    face_id: int,
    staff: Reviewer,
    resolution: Annotated[Resolution, Form()],
    student_id: Annotated[int | None, Form()] = None,
) -> Response:
    with transaction(request) as session:
        face = _face(session, face_id)
        student = session.get(Student, student_id) if student_id else None
        outcome = review_service.resolve_face(session, face, resolution, staff.actor, student)
    if outcome.claim is not None:
        return _done(request, "claim recorded: it counts once an administrator approves it; until then it stays hidden")
    return _done(request, f"decided again — {_summary(outcome)}")


@router.post("/review/claims/{claim_id}/approve")
def approve(request: Request, claim_id: int, staff: Administrator) -> Response:
    with transaction(request) as session:
        outcome = review_service.approve_claim(session, _claim(session, claim_id), staff.actor)
    return _done(request, f"claim approved, decided again — {_summary(outcome)}")


@router.post("/review/claims/{claim_id}/refuse")
def refuse(request: Request, claim_id: int, staff: Administrator) -> Response:
    with transaction(request) as session:
        review_service.refuse_claim(session, _claim(session, claim_id), staff.actor)
    return _done(request, "claim refused: the face waits in the queue again")


@router.get("/review/faces/{face_id}/crop")
def face_crop(request: Request, face_id: int, staff: Reviewer) -> Response:
    """The face with some margin, upright, without metadata; a video's from the frame it was seen at."""
    with transaction(request) as session:
        face = _face(session, face_id)
        review_service.view_face_picture(session, face, staff.actor)
        spot = FaceSpot.of(face)
    picture = face_picture(spot, web_state(request).cache_dir / "faces")
    if picture is None:
        raise NotFound("this face's picture cannot be read")
    return Response(picture.read_bytes(), media_type="image/jpeg", headers={"Cache-Control": "no-store"})


@router.get("/review/faces/{face_id}/references/{reference_id}")
def reference_photo(request: Request, face_id: int, reference_id: int, staff: Reviewer) -> Response:
    """One reference photo of a candidate of this face, decrypted for a person to compare (audited, R9).
    Only the candidates': a reviewer never browses the reference photos of every student."""
    with transaction(request) as session:
        candidates = review_service.candidates(_face(session, face_id), staff.may(ADMIN))
        reference = session.get(ReferencePhoto, reference_id)
        student = next((s for s in candidates if reference and s.id == reference.student_id), None)
        if student is None:
            raise NotFound("no such reference photo of this face's candidates")
        photos = dict(review_service.view_candidate_references(session, student, staff.actor))
    media_type = {".png": "image/png", ".webp": "image/webp"}.get(reference.suffix, "image/jpeg")
    return Response(photos[reference], media_type=media_type)


def _done(request: Request, message: str) -> Response:
    return redirect_saying(request, "/review", message)


def _summary(outcome: review_service.Outcome) -> str:
    return ", ".join(f"{channel}: {d.status.value}" for channel, d in outcome.decisions.items())


def _claim(session: Session, claim_id: int) -> ReviewClaim:
    claim = session.get(ReviewClaim, claim_id)
    if claim is None:
        raise NotFound("no such claim")
    return claim


def _pending_claims_of(faces: list[DetectedFace]) -> Select[tuple[ReviewClaim]]:
    ids = [f.id for f in faces]
    return select(ReviewClaim).where(ReviewClaim.face_id.in_(ids), ReviewClaim.state == ClaimState.PENDING)


def _face(session: Session, face_id: int) -> DetectedFace:
    face = session.get(DetectedFace, face_id)
    if face is None:
        raise NotFound("no such face")
    return face


def _reference_ids(session: Session, students: list[Student]) -> list[tuple[Student, int]]:
    ids = [s.id for s in students]
    by_id = {s.id: s for s in students}
    rows = session.execute(
        select(ReferencePhoto.student_id, ReferencePhoto.id)
        .where(ReferencePhoto.student_id.in_(ids))
        .order_by(ReferencePhoto.id)
    )
    return [(by_id[student_id], reference_id) for student_id, reference_id in rows]


def _active_students(session: Session) -> list[Student]:
    return list(
        session.scalars(
            select(Student)
            .where(Student.status == StudentStatus.ACTIVE)
            .order_by(Student.first_name, Student.last_name)
        )
    )
