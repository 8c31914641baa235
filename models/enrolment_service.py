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
from mediacheck.encoding import SFaceEncoder
from mediacheck.gallery import EnrolmentError, PhotoRefused, ReferenceNote, judge_references, reference_templates
from mediacheck.imaging import encode_clean, open_photo
from models import audit_service, school_service
from models.audit import Actor, AuditEvent
from models.base import utcnow
from models.biometrics import FaceTemplate, ReferencePhoto
from models.channels import FACE_MATCHING
from models.consent_state import consenting_students, has_consent
from models.errors import RecordsError
from models.school import Student
from models.template_cipher import cipher, decrypt, encrypt_template

TEMPLATE_MODEL = SFaceEncoder.name
"""The encoder of the templates compared today; templates of any other are made again (`renew_templates`)."""
DISTANT_TEMPLATE_MODEL = f"{TEMPLATE_MODEL}-distant"
"""The same encoder on the reference face shrunk as if seen from afar (`mediacheck.gallery`)."""


RENEW_ACTION = "face_template.renew"


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


@dataclass(frozen=True)
class TemplateRenewal:
    renewed: int
    """Reference photos whose templates were made again by today's encoder."""
    failed: dict[str, str]
    """Pseudonym → why a photo of that student could not be renewed: until it is, the student's old
    templates are not compared (another encoder's), so their face counts as unknown (fail closed)."""

    def lines(self) -> list[str]:
        """What the upgrade tells the person running it."""
        done = [f"face templates renewed for {self.renewed} reference photo(s)"] if self.renewed else []
        return done + [
            f"student {who} is not recognised until enrolled again: {why}" for who, why in sorted(self.failed.items())
        ]


def renew_templates(session: Session, load_checker: Callable[[], PhotoChecker], actor: Actor) -> TemplateRenewal:
    """Make the templates of every reference photo without a close-up template of today's encoder
    (`TEMPLATE_MODEL`) again from the stored photo: after an encoder change, a student enrolled before
    it would otherwise never be recognised. Enrolment stays: a photo that fails keeps its old templates
    and is looked at again next time, and the failure is audited so staff see why the student is not
    recognised. The models load only when such a photo exists. Each student's renewal is audited."""
    current = select(FaceTemplate.reference_photo_id).where(FaceTemplate.model == TEMPLATE_MODEL)
    consenting = consenting_students(FACE_MATCHING, utcnow())  # R11: no biometrics made without it
    references = session.scalars(
        select(ReferencePhoto)
        .where(ReferencePhoto.id.not_in(current), ReferencePhoto.student_id.in_(consenting))
        .order_by(ReferencePhoto.id)
    ).all()
    if not references:
        return TemplateRenewal(0, {})
    checker, fernet = load_checker(), cipher(session)
    renewed: list[ReferencePhoto] = []
    failed: dict[int, str] = {}
    for reference in references:
        try:
            made = reference_templates(checker, decrypt(fernet, reference.image))
        except EnrolmentError as error:
            failed[reference.student_id] = str(error)
            continue
        reference.templates = _face_templates(reference.student_id, fernet, [made.close_up], TEMPLATE_MODEL)
        reference.templates += _face_templates(reference.student_id, fernet, made.distant, DISTANT_TEMPLATE_MODEL)
        renewed.append(reference)
    session.flush()
    for student_id in sorted({r.student_id for r in renewed} | set(failed)):
        detail = {
            "reference_photos": [r.id for r in renewed if r.student_id == student_id],
            "model": TEMPLATE_MODEL,
            **({"failed": failed[student_id]} if student_id in failed else {}),
        }
        pseudonym = session.get_one(Student, student_id).pseudonym
        audit_service.record(session, actor, RENEW_ACTION, "student", pseudonym, pseudonym, detail)
    pseudonyms = {i: session.get_one(Student, i).pseudonym for i in failed}
    return TemplateRenewal(len(renewed), {pseudonyms[i]: reason for i, reason in failed.items()})


def not_recognised_because(session: Session, student: Student) -> str | None:
    """Why a student with reference photos has no template of today's encoder, as the last upgrade that
    tried to make them recorded it; None when every photo has one (or none was tried yet)."""
    current = select(FaceTemplate.reference_photo_id).where(FaceTemplate.model == TEMPLATE_MODEL)
    outdated = session.scalar(
        select(ReferencePhoto.id).where(ReferencePhoto.student_id == student.id, ReferencePhoto.id.not_in(current))
    )
    if outdated is None:
        return None
    entry = session.scalar(
        select(AuditEvent)
        .where(AuditEvent.action == RENEW_ACTION, AuditEvent.subject == student.pseudonym)
        .order_by(AuditEvent.id.desc())
    )
    return (entry.detail or {}).get("failed") if entry else None


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
