"""Enrol a student's reference photos for face matching, read them, and forget them (R11).

A photo is accepted only while the student's `face-matching` consent is in force, and only when
`mediacheck.gallery.reference_face` finds the student's face in it: one clearly visible face, or one
with the others much smaller (ignored, and said so). The photo (re-encoded without metadata, R10) and its
templates (the face as photographed and as if seen from afar) are stored encrypted. Withdrawal,
expiry and erasure delete both.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
from cryptography.fernet import Fernet
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from mediacheck.check import PhotoChecker
from mediacheck.gallery import EnrolmentError, PhotoRefused, ReferenceNote, judge_references, reference_templates
from mediacheck.imaging import encode_clean, open_photo
from models import audit_service, school_service
from models.audit import Actor
from models.base import utcnow
from models.biometrics import FaceTemplate, ReferencePhoto
from models.channels import FACE_MATCHING
from models.consent_state import consenting_students, has_consent
from models.errors import RecordsError
from models.school import Student
from models.template_cipher import cipher, decrypt, encrypt_template

TEMPLATE_MODEL = "dlib-resnet-v1-upright"
"""`mediacheck.encoding.FaceEncoder`'s templates; change it when the encoder changes."""
DISTANT_TEMPLATE_MODEL = f"{TEMPLATE_MODEL}-distant"
"""The same encoder on the reference face shrunk as if seen from afar (`mediacheck.gallery`)."""


class EnrolmentRefused(RecordsError):
    """The student may not be enrolled; the message names the rule."""


@dataclass(frozen=True)
class Enrolled:
    references: list[ReferencePhoto]
    notes: list[ReferenceNote]
    """Photos enrolled with other, much smaller faces ignored: for staff to read."""


def enrol(
    session: Session,
    student: Student,
    photos: Sequence[Path],
    checker: PhotoChecker,
    actor: Actor,
    names: Sequence[str] | None = None,
) -> Enrolled:
    """Store the photos and their templates; all or nothing. Raises `mediacheck.gallery.PhotoRefused`
    naming every photo in which the student's face cannot be told (`names`, default the file names)."""
    school_service.lock(session, student)
    if not has_consent(session, student, FACE_MATCHING, utcnow()):
        raise EnrolmentRefused(f"{student.pseudonym} has no consent for face matching in force: not enrolled (R11)")
    usable, notes = judge_references(checker, photos, names)
    if len(usable) < len(photos):
        raise PhotoRefused([note for note in notes if note.refused])
    fernet = cipher(session)
    stored = []
    for path, made in usable:
        photo = open_photo(path, checker.settings.max_pixels)
        clean, suffix = encode_clean(photo.pixels, photo.format)
        reference = ReferencePhoto(
            student_id=student.id, image=fernet.encrypt(clean), suffix=suffix, created_by=str(actor)
        )
        reference.templates = _face_templates(student.id, fernet, [made.close_up], TEMPLATE_MODEL)
        reference.templates += _face_templates(student.id, fernet, made.distant, DISTANT_TEMPLATE_MODEL)
        session.add(reference)
        stored.append(reference)
    session.flush()
    detail = {"reference_photos": [r.id for r in stored]}
    audit_service.record(session, actor, "reference_photo.add", "student", student.pseudonym, student.pseudonym, detail)
    return Enrolled(stored, notes)


def renew_templates(session: Session, load_checker: Callable[[], PhotoChecker], actor: Actor) -> int:
    """Add the templates of the face seen from afar to reference photos enrolled with a close-up template
    only (before `DISTANT_FACE_HEIGHTS`), computed from the stored photo: without them such a student, seen
    small, matches less often than one enrolled today. The models load only when such a photo exists; a
    photo whose face is too small to shrink, or that no longer shows one clear face, is looked at again
    next time. Returns the number of photos renewed; each student's renewal is audited."""
    renewed_already = select(FaceTemplate.reference_photo_id).where(FaceTemplate.model == DISTANT_TEMPLATE_MODEL)
    consenting = consenting_students(FACE_MATCHING, utcnow())  # R11: no biometrics made without it
    references = session.scalars(
        select(ReferencePhoto).where(
            ReferencePhoto.id.not_in(renewed_already), ReferencePhoto.student_id.in_(consenting)
        )
    ).all()
    if not references:
        return 0
    checker, fernet, renewed = load_checker(), cipher(session), []
    for reference in references:
        try:
            made = reference_templates(checker, decrypt(fernet, reference.image))
        except EnrolmentError:
            continue  # the detector no longer tells the student's face in the photo: its template stays as it was
        if made.distant:
            reference.templates += _face_templates(reference.student_id, fernet, made.distant, DISTANT_TEMPLATE_MODEL)
            renewed.append(reference)
    session.flush()
    for student_id in sorted({r.student_id for r in renewed}):
        student = session.get_one(Student, student_id)
        detail = {"reference_photos": [r.id for r in renewed if r.student_id == student_id]}
        audit_service.record(
            session, actor, "face_template.renew", "student", student.pseudonym, student.pseudonym, detail
        )
    return len(renewed)


def _face_templates(student_id: int, fernet: Fernet, templates: Sequence[np.ndarray], model: str) -> list[FaceTemplate]:
    return [FaceTemplate(student_id=student_id, template=encrypt_template(fernet, t), model=model) for t in templates]


def view_reference_photos(session: Session, student: Student, actor: Actor) -> list[tuple[ReferencePhoto, bytes]]:
    """The student's reference photos, decrypted, for a person to look at (audited, R9)."""
    audit_service.record(session, actor, "reference_photo.view", "student", student.pseudonym, student.pseudonym)
    return reference_photos(session, student)


def reference_photos(session: Session, student: Student) -> list[tuple[ReferencePhoto, bytes]]:
    """Unaudited: for services that write their own audit entry."""
    references = session.scalars(
        select(ReferencePhoto).where(ReferencePhoto.student_id == student.id).order_by(ReferencePhoto.id)
    ).all()
    fernet = cipher(session)
    return [(reference, decrypt(fernet, reference.image)) for reference in references]


def delete_biometrics(session: Session, student: Student) -> int:
    """Delete the student's templates and reference photos; the caller's audit entry reports the count."""
    session.execute(delete(FaceTemplate).where(FaceTemplate.student_id == student.id))
    result = session.execute(delete(ReferencePhoto).where(ReferencePhoto.student_id == student.id))
    return result.rowcount


def purge_without_consent(session: Session, actor: Actor, at: datetime | None = None) -> int:
    """Delete the biometrics of every student whose face-matching consent is no longer in force,
    e.g. expired at the end of the school year (R14). Returns the number of students purged."""
    at = at or utcnow()
    enrolled = select(ReferencePhoto.student_id).where(
        ReferencePhoto.student_id.not_in(consenting_students(FACE_MATCHING, at))
    )
    students = session.scalars(select(Student).where(Student.id.in_(enrolled))).all()
    for student in students:
        deleted = delete_biometrics(session, student)
        detail = {"reference_photos_deleted": deleted, "reason": "no face-matching consent in force"}
        audit_service.record(
            session, actor, "biometrics.purge", "student", student.pseudonym, student.pseudonym, detail
        )
    return len(students)
