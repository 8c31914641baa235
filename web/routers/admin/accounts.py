"""Staff accounts: create one with a role and a first password, deactivate or reactivate it (R8)."""

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from models import staff_service
from models.errors import NotFound
from models.staff import StaffRole, User
from web.pages import redirect_saying, render
from web.routers.admin.common import Admin
from web.state import transaction

router = APIRouter(prefix="/admin")


@router.get("/staff")
def staff_page(request: Request, staff: Admin) -> Response:
    with transaction(request) as session:
        users = staff_service.users(session)
        return render(request, "admin/staff.html", users=users, roles=list(StaffRole))


@router.post("/staff")
def create_account(
    request: Request,
    staff: Admin,
    username: Annotated[str, Form()],
    display_name: Annotated[str, Form()],
    role: Annotated[StaffRole, Form()],
    password: Annotated[str, Form()],
) -> Response:
    with transaction(request) as session:
        user = staff_service.create_user(session, username, display_name, role, password, staff.actor)
    return redirect_saying(request, "/admin/staff", f"account {user.username} created")


@router.post("/staff/{user_id}/active")
def set_active(request: Request, user_id: int, staff: Admin, active: Annotated[bool, Form()]) -> Response:
    with transaction(request) as session:
        user = session.get(User, user_id)
        if user is None:
            raise NotFound("no such account")
        staff_service.set_active(session, user, active, staff.actor)
    state = "reactivated" if active else "deactivated"
    return redirect_saying(request, "/admin/staff", f"account {user.username} {state}")
