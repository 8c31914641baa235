"""Staff login and logout (here or everywhere), changing one's own password, and the start page
that sends each role to its work."""

import hmac
import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from models import staff_service
from models.staff import StaffRole
from web.auth import (
    ANY_STAFF,
    LOGIN_COOKIE,
    SESSION_COOKIE,
    NotLoggedIn,
    Staff,
    allow,
    client_address,
    current_staff,
    set_cookie,
)
from web.pages import redirect_saying, render
from web.state import transaction, web_state

router = APIRouter(tags=["login"])
DEVICE_COOKIE = "mc_device"
"""Set at a login: this browser knew the password before, so others' wrong guesses do not slow it."""
DEVICE_COOKIE_SECONDS = 180 * 24 * 3600
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
        device = request.cookies.get(DEVICE_COOKIE, "")
        result = staff_service.login(session, username, password, client_address(request), device)
        known_device = staff_service.device_token(session, result.user) if result.user else None
    if result.token is None:
        refused = _login_form(request, next, result.refusal, 401)
        if result.wait_seconds:
            refused.headers["Retry-After"] = str(result.wait_seconds)
        return refused
    response = RedirectResponse(_local(next), status_code=303)
    hours = web_state(request).settings.session_hours
    set_cookie(request, response, SESSION_COOKIE, result.token, max_age=int(hours * 3600))
    set_cookie(request, response, DEVICE_COOKIE, known_device or "", max_age=DEVICE_COOKIE_SECONDS)
    response.delete_cookie(LOGIN_COOKIE, path="/")
    return response


@router.post("/logout")
def logout(
    request: Request,
    staff: Annotated[Staff, Depends(allow(*ANY_STAFF))],
    everywhere: Annotated[str, Form()] = "",
) -> Response:
    with transaction(request) as session:
        found = staff_service.open_session(session, request.cookies[SESSION_COOKIE])
        if found is not None:
            staff_service.logout(session, found, everywhere=bool(everywhere))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/account/password")
def password_page(request: Request, staff: Annotated[Staff, Depends(allow(*ANY_STAFF))]) -> Response:
    return render(request, "password.html")


@router.post("/account/password")
def change_password(
    request: Request,
    staff: Annotated[Staff, Depends(allow(*ANY_STAFF))],
    current_password: Annotated[str, Form()],
    new_password: Annotated[str, Form()],
) -> Response:
    """A refusal (wrong current password, too short a new one) is a 400 page saying why."""
    with transaction(request) as session:
        found = staff_service.open_session(session, request.cookies[SESSION_COOKIE])
        if found is None:
            raise NotLoggedIn
        staff_service.change_password(session, found, current_password, new_password)
    return redirect_saying(request, "/account/password", "password changed; your other sessions have ended")


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
