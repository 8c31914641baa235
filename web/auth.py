"""Who is asking, and may they (R8): staff sessions, roles per route, CSRF on every state change.

Every staff route declares its roles with `allow(...)`; the same dependency checks the CSRF token
on any request that can change something, so no such route can forget it. Refusals reveal
nothing: an anonymous visitor is sent to the login page, a wrong role gets "not allowed".
"""

import hmac
import ipaddress
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from fastapi import Request, Response
from fastapi.concurrency import run_in_threadpool

from models import staff_service
from models.audit import Actor, ActorRole
from models.staff import StaffRole
from web.state import web_state

SESSION_COOKIE = "mc_session"
LOGIN_COOKIE = "mc_login"
"""Random value the login form must echo (double submit): CSRF before there is a session."""
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

UPLOAD = (StaffRole.TEACHER, StaffRole.COMMUNICATIONS, StaffRole.ADMIN)
"""Create albums and upload into them; a teacher only into their own albums."""
PUBLISH = (StaffRole.COMMUNICATIONS, StaffRole.ADMIN)
REVIEW = (StaffRole.REVIEWER, StaffRole.COMMUNICATIONS, StaffRole.ADMIN)
"""Resolve faces; these roles also see who a face is (R8, audited R9)."""
ADMIN = (StaffRole.ADMIN,)
ANY_STAFF = tuple(StaffRole)
SEE_ALL_ALBUMS = (StaffRole.COMMUNICATIONS, StaffRole.ADMIN, StaffRole.REVIEWER)


@dataclass(frozen=True)
class Staff:
    """The logged-in staff member of this request."""

    user_id: int
    username: str
    display_name: str
    role: StaffRole
    csrf: str
    session_id: int

    @property
    def actor(self) -> Actor:
        return Actor(ActorRole.STAFF, self.username)

    def may(self, roles: tuple[StaffRole, ...]) -> bool:
        return self.role in roles

    @property
    def sees_all_albums(self) -> bool:
        return self.role in SEE_ALL_ALBUMS


class NotLoggedIn(Exception):
    """No live staff session: pages send the visitor to the login page, the API answers 401."""


class NotAllowed(Exception):
    """Logged in, but this role may not do this (403)."""


class BadCsrf(Exception):
    """A state-changing request without the token of the session (403)."""


def allow(*roles: StaffRole) -> Callable[[Request], Awaitable[Staff]]:
    """A dependency admitting a live session of one of `roles`, checking CSRF on state changes."""

    async def admitted(request: Request) -> Staff:
        staff = await run_in_threadpool(current_staff, request)
        if staff is None:
            raise NotLoggedIn
        if staff.role not in roles:
            raise NotAllowed
        if request.method not in SAFE_METHODS:
            await require_csrf(request, staff.csrf)
        request.state.staff = staff
        return staff

    return admitted


def current_staff(request: Request) -> Staff | None:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    with web_state(request).factory.begin() as session:
        found = staff_service.open_session(session, token)
        if found is None:
            return None
        user = found.user
        return Staff(user.id, user.username, user.display_name, user.role, found.csrf_token, found.id)


async def require_csrf(request: Request, expected: str) -> None:
    """The header (scripts) or the form field (forms) must carry the session's token."""
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        sent = (await request.form()).get(CSRF_FIELD)
    if not isinstance(sent, str) or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise BadCsrf


def client_address(request: Request) -> str:
    """The address throttles count by: uvicorn already replaced it from `X-Forwarded-For` when, and
    only when, the request came through a proxy named in `MEDIACHECK_TRUSTED_PROXIES`."""
    return request.client.host if request.client else ""


def set_cookie(request: Request, response: Response, name: str, value: str, max_age: int | None = None) -> None:
    """HttpOnly, SameSite=Strict, and Secure everywhere but plain http on this machine (development)."""
    response.set_cookie(
        name, value, max_age=max_age, httponly=True, samesite="strict", secure=_secure(request), path="/"
    )


def _secure(request: Request) -> bool:
    if request.url.scheme == "https":
        return True
    host = request.url.hostname or ""
    if host == "localhost":
        return False
    try:
        return not ipaddress.ip_address(host).is_loopback
    except ValueError:
        return True
