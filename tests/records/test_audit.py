"""The audit register (R9): every read of a student's data and every change adds exactly one entry."""

from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mediacheck.check import PhotoChecker
from models import (
    audit_service,
    consent_service,
    enrolment_service,
    link_service,
    media_service,
    policy_service,
    rights_service,
)
from models.audit import AuditEvent
from models.base import utcnow
from models.consent import ConsentMeans
from models.consent_service import Decider
from models.school import Student
from tests.records.builders import PHOTO_OF, STAFF, import_school

Act = Callable[[Session, Student, PhotoChecker, Path], object]
ACTS: dict[str, tuple[str, bool, Act]] = {}
"""name → (audit action, about the student?, the act)."""


def act(name: str, action: str, about_student: bool = True) -> Callable[[Act], Act]:
    def register(function: Act) -> Act:
        ACTS[name] = (action, about_student, function)
        return function

    return register


def parent(student: Student) -> Decider:
    return Decider.of_guardian(student.guardianships[0].guardian)


@act("grant consent", "consent.grant")
def _grant(session: Session, student: Student, checker: PhotoChecker, tmp: Path) -> object:
    return consent_service.grant(session, student, "public", parent(student), ConsentMeans.PAPER, STAFF)


@act("withdraw consent", "consent.withdraw")
def _withdraw(session: Session, student: Student, checker: PhotoChecker, tmp: Path) -> object:
    return consent_service.withdraw(session, student, "face-matching", parent(student), ConsentMeans.PAPER, STAFF)


@act("view consents", "consent.view")
def _view_consents(session: Session, student: Student, checker: PhotoChecker, tmp: Path) -> object:
    return consent_service.view_consents(session, student, STAFF)


@act("enrol", "reference_photo.add")
def _enrol(session: Session, student: Student, checker: PhotoChecker, tmp: Path) -> object:
    return enrolment_service.enrol(session, student, [PHOTO_OF["1001"]], checker, STAFF)


@act("view reference photos", "reference_photo.view")
def _view_photos(session: Session, student: Student, checker: PhotoChecker, tmp: Path) -> object:
    return enrolment_service.view_reference_photos(session, student, STAFF)


@act("view matched faces", "face.view")
def _view_faces(session: Session, student: Student, checker: PhotoChecker, tmp: Path) -> object:
    return media_service.view_matched_faces(session, student, STAFF)


@act("revoke links", "consent_link.revoke")
def _revoke(session: Session, student: Student, checker: PhotoChecker, tmp: Path) -> object:
    return link_service.revoke_links(session, student, STAFF)


@act("export", "student.export")
def _export(session: Session, student: Student, checker: PhotoChecker, tmp: Path) -> object:
    return rights_service.export_student(session, student, STAFF, tmp / "export.zip")


@act("erase", "student.erase")
def _erase(session: Session, student: Student, checker: PhotoChecker, tmp: Path) -> object:
    return rights_service.erase_student(session, student, STAFF)


@act("adopt policy", "policy.adopt", about_student=False)
def _adopt(session: Session, student: Student, checker: PhotoChecker, tmp: Path) -> object:
    return policy_service.adopt_policy(session, {"channels": [{"name": "protected"}]}, "MR", date(2025, 9, 1), STAFF)


@act("new consent text", "consent_text.add", about_student=False)
def _text(session: Session, student: Student, checker: PhotoChecker, tmp: Path) -> object:
    return consent_service.add_text(session, "public", "en", "New wording.", STAFF)


@pytest.mark.parametrize("name", ACTS)
def test_r9_every_read_and_write_adds_exactly_one_audit_row(
    session: Session, photo_checker: PhotoChecker, tmp_path: Path, name: str
) -> None:
    action, about_student, perform = ACTS[name]
    sanne = import_school(session)["1001"]
    consent_service.grant(session, sanne, "face-matching", parent(sanne), ConsentMeans.PAPER, STAFF)
    session.commit()
    last = session.scalar(select(func.max(AuditEvent.id)))
    started = utcnow()
    perform(session, sanne, photo_checker, tmp_path)
    session.commit()
    entries = session.scalars(select(AuditEvent).where(AuditEvent.id > last)).all()
    assert [(e.action, e.actor_role.value, e.actor_id) for e in entries] == [(action, "staff", "test-admin")]
    entry = entries[0]
    assert entry.object_type and entry.object_id and started <= entry.at <= utcnow()
    assert entry.subject == (sanne.pseudonym if about_student else None)


def test_r9_the_register_is_read_per_student_and_from_a_day(session: Session) -> None:
    students = import_school(session)
    after_import = utcnow()
    consent_service.view_consents(session, students["1003"], STAFF)
    session.commit()
    noor = audit_service.entries(session, subject=students["1003"].pseudonym)
    assert [e.action for e in noor] == ["student.create", "consent.view"]
    assert [e.action for e in audit_service.entries(session, since=after_import)] == ["consent.view"]
