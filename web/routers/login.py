"""Staff login and logout, and the start page that sends each role to its work."""

import hmac
import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from models import staff_service
from models.staff import StaffRole
from web.auth import ANY_STAFF, LOGIN_COOKIE, SESSION_COOKIE, Staff, allow, current_staff, set_cookie
from web.pages import render
from web.state import transaction, web_state

router = APIRouter(tags=["login"])
HOME = {
    StaffRole.TEACHER: "/albums",
    StaffRole.COMMUNICATIONS: "/library",
    StaffRole.REVIEWER: "/review",
    StaffRole.ADMIN: "/admin",
}


@router.get("/login")
def login_page(request: Request, next: str = "/") -> Response:
    if current_staff(request) is not None:
        return RedirectResponse(_local(next), status_code=303)
    return _login_form(request, next)


@router.post("/login")
def login(
    request: Request,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    expected = request.cookies.get(LOGIN_COOKIE, "")
    if not expected or not hmac.compare_digest(expected.encode(), csrf_token.encode()):
        return _login_form(request, next, "This form has expired; please try again.", 403)
    with transaction(request) as session:
        result = staff_service.login(session, username, password)
    if result.token is None:
        return _login_form(request, next, result.refusal, 401)
    response = RedirectResponse(_local(next), status_code=303)
    hours = web_state(request).settings.session_hours
    set_cookie(request, response, SESSION_COOKIE, result.token, max_age=int(hours * 3600))
    response.delete_cookie(LOGIN_COOKIE, path="/")
    return response


@router.post("/logout")
def logout(request: Request, staff: Annotated[Staff, Depends(allow(*ANY_STAFF))]) -> Response:
    with transaction(request) as session:
        found = staff_service.open_session(session, request.cookies[SESSION_COOKIE])
        if found is not None:
            staff_service.logout(session, found)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/")
def home(staff: Annotated[Staff, Depends(allow(*ANY_STAFF))]) -> Response:
    return RedirectResponse(HOME[staff.role], status_code=303)


def _login_form(request: Request, next: str, error: str | None = None, status: int = 200) -> Response:
    token = secrets.token_urlsafe(24)
    response = render(request, "login.html", status, csrf_token=token, next=_local(next), error=error)
    set_cookie(request, response, LOGIN_COOKIE, token, max_age=3600)
    return response


def _local(target: str) -> str:
    """Only a path on this site: a login link cannot send anyone elsewhere."""
    return target if target.startswith("/") and not target.startswith("//") and "\\" not in target else "/"
