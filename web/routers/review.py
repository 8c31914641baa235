"""The review queue: each unsure or unknown clearly visible face, its candidate student with their
reference photos, and confirm / another student / not a student / unknown person (R11a, R15)."""

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from PIL import Image, ImageOps
from sqlalchemy import select
from sqlalchemy.orm import Session

from mediacheck.imaging import clean_jpeg
from models import review_service
from models.biometrics import ReferencePhoto
from models.errors import NotFound
from models.media import DetectedFace
from models.review_service import Resolution
from models.school import Student, StudentStatus
from web.auth import REVIEW, Staff, allow
from web.pages import redirect_saying, render
from web.state import transaction

router = APIRouter(tags=["review"])
Reviewer = Annotated[Staff, Depends(allow(*REVIEW))]
CROP_MARGIN = 0.35


@router.get("/review")
def queue_page(request: Request, staff: Reviewer) -> Response:
    with transaction(request) as session:
        faces = review_service.view_queue(session, staff.actor)
        candidates = {f.student.id: f.student for f in faces if f.student}
        references = {sid: _reference_ids(session, sid) for sid in candidates}
        students = _active_students(session)
        return render(request, "review.html", faces=faces, references=references, students=students)


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
        decisions = review_service.resolve_face(session, face, resolution, staff.actor, student)
    summary = ", ".join(f"{channel}: {d.status.value}" for channel, d in decisions.items())
    return redirect_saying(request, "/review", f"decided again — {summary}")


@router.get("/review/faces/{face_id}/crop")
def face_crop(request: Request, face_id: int, staff: Reviewer) -> Response:
    """The face with some margin, upright, without metadata."""
    with transaction(request) as session:
        face = _face(session, face_id)
        review_service.view_face_picture(session, face, staff.actor)
        path = face.media.storage_path
        box = (face.left, face.top, face.right, face.bottom)
    with Image.open(path) as image:
        upright = ImageOps.exif_transpose(image).convert("RGB")
    left, top, right, bottom = box
    margin = int(max(right - left, bottom - top) * CROP_MARGIN)
    crop = upright.crop((left - margin, top - margin, right + margin, bottom + margin))
    crop.thumbnail((240, 240))
    return Response(clean_jpeg(crop), media_type="image/jpeg", headers={"Cache-Control": "no-store"})


@router.get("/review/students/{student_id}/references/{reference_id}")
def reference_photo(request: Request, student_id: int, reference_id: int, staff: Reviewer) -> Response:
    """One reference photo, decrypted for a person to compare (audited, R9)."""
    with transaction(request) as session:
        student = session.get(Student, student_id)
        if student is None:
            raise NotFound("no such student")
        photos = {
            r.id: (r, image) for r, image in review_service.view_candidate_references(session, student, staff.actor)
        }
    if reference_id not in photos:
        raise NotFound("no such reference photo")
    reference, image = photos[reference_id]
    media_type = {".png": "image/png", ".webp": "image/webp"}.get(reference.suffix, "image/jpeg")
    return Response(image, media_type=media_type)


def _face(session: Session, face_id: int) -> DetectedFace:
    face = session.get(DetectedFace, face_id)
    if face is None:
        raise NotFound("no such face")
    return face


def _reference_ids(session: Session, student_id: int) -> list[int]:
    return list(session.scalars(select(ReferencePhoto.id).where(ReferencePhoto.student_id == student_id)))


def _active_students(session: Session) -> list[Student]:
    return list(
        session.scalars(
            select(Student)
            .where(Student.status == StudentStatus.ACTIVE)
            .order_by(Student.first_name, Student.last_name)
        )
    )
