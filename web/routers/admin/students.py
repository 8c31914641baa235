"""Students and guardians: CSV import with its error report, the student page with consents (R4),
paper consent, enrolment of reference photos (R11), links, and data requests (R12)."""

import shutil
import tempfile
from datetime import date
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Form, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload
from starlette.background import BackgroundTask

from mediacheck.gallery import PhotoRefused
from models import audit_service, consent_service, enrolment_service, link_service, rights_service
from models.base import utcnow
from models.biometrics import ReferencePhoto
from models.channels import Channel
from models.consent import ConsentMeans
from models.consent_service import Decider
from models.consent_state import purposes
from models.errors import NotFound, RecordsError
from models.links import ConsentLink
from models.roster_csv import RosterError, parse_roster
from models.school import Group, Guardian, Student
from models.school_service import import_roster
from web import i18n, tasks
from web.pages import redirect_saying, render
from web.routers.admin.common import Admin, noon_of, today
from web.state import transaction, web_state

router = APIRouter(prefix="/admin")


@router.get("")
def students_page(request: Request, staff: Admin, group: str | None = None) -> Response:
    with transaction(request) as session:
        return _students_page(request, session, group)


@router.post("/students/import")
async def import_students(
    request: Request, staff: Admin, file: UploadFile, complete: Annotated[bool, Form()] = False
) -> Response:
    """All or nothing: a file with any bad line changes nothing and every bad line is named."""
    raw = await file.read()
    return await run_in_threadpool(_import, request, staff, raw, complete)


@router.get("/students/{student_id}")
def student_page(request: Request, student_id: int, staff: Admin) -> Response:
    with transaction(request) as session:
        return _student_page(request, session, _student(session, student_id), staff)


@router.post("/students/{student_id}/consent")
def paper_consent(
    request: Request,
    student_id: int,
    staff: Admin,
    purpose: Annotated[str, Form()],
    answer: Annotated[str, Form()],
    decided_by: Annotated[str, Form()],
    decided_on: Annotated[date, Form()],
) -> Response:
    """A signed paper form, entered by staff: who decided, on which day, under the current text (R4)."""
    with transaction(request) as session:
        student = _student(session, student_id)
        decider = Decider.student() if decided_by == "student" else Decider.of_guardian(_guardian(session, decided_by))
        at = min(utcnow(), noon_of(request, decided_on))
        act = consent_service.grant if answer == "yes" else consent_service.withdraw
        act(session, student, purpose, decider, ConsentMeans.PAPER, staff.actor, at=at)
        channels = list(session.scalars(select(Channel.key).where(Channel.active.is_(True))))
    tasks.consent_changed(student_id, [purpose], channels)
    return redirect_saying(request, f"/admin/students/{student_id}", "paper consent recorded")


@router.post("/students/{student_id}/enrol")
async def enrol(request: Request, student_id: int, staff: Admin, photos: list[UploadFile]) -> Response:
    """Reference photos for face matching: refused without face-matching consent in force (R11)."""
    with tempfile.TemporaryDirectory() as folder:
        paths, names = [], []
        for number, upload in enumerate(photos):
            path = Path(folder) / f"{number}{Path(upload.filename or '').suffix.lower()}"
            path.write_bytes(await upload.read())
            paths.append(path)
            names.append(Path(upload.filename or "").name or f"photo {number + 1}")
        return await run_in_threadpool(_enrol, request, student_id, staff, paths, names)


@router.post("/students/{student_id}/revoke-links")
def revoke_links(request: Request, student_id: int, staff: Admin) -> Response:
    with transaction(request) as session:
        revoked = link_service.revoke_links(session, _student(session, student_id), staff.actor)
    return redirect_saying(request, f"/admin/students/{student_id}", f"{revoked} link(s) revoked")


@router.post("/students/{student_id}/export")
def export(request: Request, student_id: int, staff: Admin) -> Response:
    """Everything stored about the student as one zip (R12); the copy on the server is removed once sent."""
    folder = Path(tempfile.mkdtemp(prefix="mediacheck-export-"))
    with transaction(request) as session:
        student = _student(session, student_id)
        path = rights_service.export_student(session, student, staff.actor, folder / f"export-{student.pseudonym}.zip")
    cleanup = BackgroundTask(shutil.rmtree, folder, ignore_errors=True)
    return FileResponse(path, media_type="application/zip", filename=path.name, background=cleanup)


@router.post("/students/{student_id}/erase")
def erase(request: Request, student_id: int, staff: Admin, confirm: Annotated[str, Form()] = "") -> Response:
    """Erasure needs the student number typed again: it cannot be undone."""
    with transaction(request) as session:
        student = _student(session, student_id)
        if confirm.strip() not in {student.student_number, student.pseudonym}:
            error = "Type the student number to confirm the erasure."
            return _student_page(request, session, student, staff, error=error, status=400)
        report = rights_service.erase_student(session, student, staff.actor)
    rights_service.remove_files(report, web_state(request).cache_dir)
    summaries = {lang: i18n.erasure_summary(report, lang) for lang in ("en", "nl")}
    return render(request, "admin/erased.html", report=report, summaries=summaries, words=i18n.ERASURE)


def _import(request: Request, staff: Admin, raw: bytes, complete: bool) -> Response:
    with transaction(request) as session:
        try:
            rows = parse_roster(raw.decode("utf-8-sig"), today(request))
        except UnicodeDecodeError:
            problems = [(0, "the file is not UTF-8 text: export it from the student system as CSV (UTF-8)")]
            return _students_page(request, session, None, problems=problems, status=400)
        except RosterError as error:
            return _students_page(request, session, None, problems=error.problems, status=400)
        summary = import_roster(session, rows, staff.actor, today(request), complete)
        return _students_page(request, session, None, summary=summary)


def _enrol(request: Request, student_id: int, staff: Admin, paths: list[Path], names: list[str]) -> Response:
    """Photos named as uploaded; what was refused or ignored in them said in words, in the staff's language."""
    checker, lang = web_state(request).checker(), i18n.language(request)
    try:
        with transaction(request) as session:
            student = _student(session, student_id)
            enrolled = enrolment_service.enrol(session, student, paths, checker, staff.actor, names)
    except (RecordsError, PhotoRefused) as refusal:
        words = i18n.enrolment_refused(refusal.notes, lang) if isinstance(refusal, PhotoRefused) else None
        with transaction(request) as session:
            student = _student(session, student_id)
            error = words or f"Not enrolled: {refusal}"
            return _student_page(request, session, student, staff, error=error, status=400)
    message = i18n.enrolment_done(len(enrolled.references), enrolled.notes, lang)
    return redirect_saying(request, f"/admin/students/{student_id}", message)


def _students_page(
    request: Request, session: Session, group: str | None, status: int = 200, **context: object
) -> Response:
    query = (
        select(Student)
        .order_by(Student.last_name, Student.first_name)
        .options(selectinload(Student.group), selectinload(Student.guardianships))
    )
    if group:
        query = query.join(Group, Group.id == Student.group_id).where(Group.name == group)
    students = session.scalars(query).all()
    shown = [s.pseudonym for s in students]
    audit_service.record_view(session, request.state.staff.actor, "student.list.view", "student", "list", shown)
    groups = sorted(set(session.scalars(select(Group.name))))
    return render(request, "admin/students.html", status, students=students, groups=groups, group=group, **context)


def _student_page(
    request: Request, session: Session, student: Student, staff: Admin, error: str | None = None, status: int = 200
) -> Response:
    record = consent_service.view_consents(session, student, staff.actor)
    references = session.scalars(select(ReferencePhoto.id).where(ReferencePhoto.student_id == student.id)).all()
    links = session.scalars(
        select(ConsentLink).where(ConsentLink.student_id == student.id).order_by(ConsentLink.id.desc())
    ).all()
    return render(
        request,
        "admin/student.html",
        status,
        student=student,
        record=record,
        references=references,
        not_recognised=enrolment_service.not_recognised_because(session, student),
        links=links,
        purposes=purposes(session),
        today=today(request),
        error=error,
    )


def _student(session: Session, student_id: int) -> Student:
    student = session.get(Student, student_id)
    if student is None:
        raise NotFound("no such student")
    return student


def _guardian(session: Session, guardian_id: str) -> Guardian:
    guardian = session.get(Guardian, int(guardian_id)) if guardian_id.isdigit() else None
    if guardian is None:
        raise NotFound("no such guardian")
    return guardian
