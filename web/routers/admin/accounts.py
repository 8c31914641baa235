"""Staff accounts: create one with a role and a first password, deactivate or reactivate it, set a
new password for someone who forgot theirs, forget the failed logins that slow an account down (R8)."""

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

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
        user = _account(session, user_id)
        staff_service.set_active(session, user, active, staff.actor)
    state = "reactivated" if active else "deactivated"
    return redirect_saying(request, "/admin/staff", f"account {user.username} {state}")


@router.post("/staff/{user_id}/password")
def reset_password(request: Request, user_id: int, staff: Admin, new_password: Annotated[str, Form()]) -> Response:
    """For someone who forgot theirs: tell them the new one in person; their open sessions end."""
    with transaction(request) as session:
        user = _account(session, user_id)
        staff_service.reset_password(session, user, new_password, staff.actor)
    return redirect_saying(request, "/admin/staff", f"new password set for {user.username}")


@router.post("/staff/{user_id}/unlock")
def unlock(request: Request, user_id: int, staff: Admin) -> Response:
    with transaction(request) as session:
        user = _account(session, user_id)
        staff_service.unlock(session, user, staff.actor)
    return redirect_saying(request, "/admin/staff", f"failed logins of {user.username} forgotten")


def _account(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("no such account")
    return user
