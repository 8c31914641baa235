"""The audit register, filtered by student, actor and period; viewing it is itself recorded (R9)."""

from datetime import date, timedelta

from fastapi import APIRouter, Request
from fastapi.responses import Response

from models import register_service
from models.school_service import find_student
from web.pages import render
from web.routers.admin.common import Admin, start_of
from web.state import transaction

router = APIRouter(prefix="/admin")


@router.get("/audit")
def audit_page(
    request: Request,
    staff: Admin,
    student: str = "",
    actor: str = "",
    since: date | None = None,
    until: date | None = None,
) -> Response:
    with transaction(request) as session:
        subject = find_student(session, student.strip()).pseudonym if student.strip() else None
        entries = register_service.view_register(
            session,
            staff.actor,
            subject=subject,
            actor_id=actor.strip() or None,
            since=start_of(request, since) if since else None,
            until=start_of(request, until + timedelta(days=1)) if until else None,
        )
        filters = {"student": student, "actor": actor, "since": since or "", "until": until or ""}
        return render(request, "admin/audit.html", entries=entries, filters=filters)
