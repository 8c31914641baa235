"""Consent per group (granted / withdrawn / expired / never answered per purpose, exportable), and the
personal consent links as a CSV for the mail merge (R3, R8, R14)."""

import csv
import io
import re
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import consent_service, link_service
from models.consent_state import ConsentState, purposes
from models.plain_text import spreadsheet_cell
from models.school import Group, Student, StudentStatus
from models.school_service import school_year_of
from web.pages import render
from web.routers.admin.common import Admin, end_of, today
from web.state import transaction

router = APIRouter(prefix="/admin")


@router.get("/consents")
def overview(request: Request, staff: Admin, group: str | None = None) -> Response:
    with transaction(request) as session:
        groups = _group_names(session)
        chosen = group or (groups[0] if groups else None)
        rows = _rows(session, staff, chosen)
        return render(
            request, "admin/consents.html", groups=groups, group=chosen, rows=rows, purposes=purposes(session)
        )


@router.get("/consents.csv")
def overview_csv(request: Request, staff: Admin, group: str | None = None) -> Response:
    with transaction(request) as session:
        lines = [["student_number", "first_name", "last_name", "group", *purposes(session)]]
        lines += [
            [*_identity(student), *(answer(state) for state in states)]
            for student, states in _rows(session, staff, group)
        ]
    return _csv(lines, f"consent-{group or 'all'}.csv")


@router.get("/links")
def links_page(request: Request, staff: Admin) -> Response:
    with transaction(request) as session:
        groups = _group_names(session)
    return render(request, "admin/links.html", groups=groups, valid_until=school_year_of(today(request))[2])


@router.post("/links")
def issue_links(
    request: Request,
    staff: Admin,
    valid_until: Annotated[date, Form()],
    group: Annotated[str, Form()] = "",
) -> Response:
    """One link per guardian (or per student aged 16+); a holder's valid link is printed again (R14)."""
    with transaction(request) as session:
        issued = link_service.issue_links(session, staff.actor, end_of(request, valid_until), group or None)
        lines = [["student_number", "first_name", "last_name", "group", "holder", "name", "email", "link"]]
        lines += [
            [*_identity(i.student), i.link.holder_role.value, i.holder_name, i.holder_email or "", i.url]
            for i in issued
        ]
    return _csv(lines, f"consent-links-{group or 'all'}.csv")


def answer(state: ConsentState) -> str:
    if state.granted:
        return "granted"
    if state.expired:
        return "expired"
    return "withdrawn" if state.event is not None else "never answered"


def _rows(session: Session, staff: Admin, group: str | None) -> list[tuple[Student, list[ConsentState]]]:
    """Each student's consents now; viewing them is audited per student (R9)."""
    query = select(Student).where(Student.status == StudentStatus.ACTIVE).order_by(Student.last_name)
    if group:
        query = query.join(Group, Group.id == Student.group_id).where(Group.name == group)
    return [
        (student, consent_service.view_consents(session, student, staff.actor).states)
        for student in session.scalars(query)
    ]


def _identity(student: Student) -> list[str]:
    group = student.group.name if student.group else ""
    return [student.student_number or "", student.first_name or "", student.last_name or "", group]


def _group_names(session: Session) -> list[str]:
    return sorted(set(session.scalars(select(Group.name))))


def _csv(lines: list[list[str]], filename: str) -> Response:
    buffer = io.StringIO()
    csv.writer(buffer).writerows([[spreadsheet_cell(cell) for cell in line] for line in lines])
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", filename)
    headers = {"Content-Disposition": f'attachment; filename="{safe}"'}
    return Response(buffer.getvalue(), media_type="text/csv; charset=utf-8", headers=headers)
