"""Staff accounts, login and server-side sessions: the gate in front of images and faces (R8).

Passwords are stored as argon2 hashes only. A login returns a random token for the cookie; the
database keeps its SHA-256, so a copy of the database opens no session. Wrong passwords in a row
lock the account for a while; every login, refusal, lockout and logout is in the register (R9).
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import audit_service
from models.audit import Actor, ActorRole
from models.base import utcnow
from models.database import settings_of
from models.errors import RecordsError
from models.plain_text import refuse_control_characters
from models.staff import StaffRole, StaffSession, User

FIRST_ADMIN = "admin"
MIN_PASSWORD_LENGTH = 12
_hasher = PasswordHasher()
_UNUSABLE = _hasher.hash(secrets.token_urlsafe(32))
"""Verified against when the username is unknown, so a refusal takes as long either way."""


class AccountError(RecordsError):
    """An account change that is not allowed; the message says why."""


@dataclass(frozen=True)
class LoginResult:
    """Either a session token for the cookie, or the reason shown to the person at the keyboard."""

    token: str | None = None
    user: User | None = None
    refusal: str | None = None


def staff_actor(user: User) -> Actor:
    return Actor(ActorRole.STAFF, user.username)


def create_user(
    session: Session, username: str, display_name: str, role: StaffRole, password: str, actor: Actor
) -> User:
    username = refuse_control_characters("the username", username).strip().lower()
    refuse_control_characters("the name", display_name)
    if not username or session.scalar(select(User.id).where(User.username == username)) is not None:
        raise AccountError(f"the username {username!r} is empty or taken")
    user = User(username=username, display_name=display_name.strip() or username, role=role)
    user.password_hash = _hash(password)
    session.add(user)
    session.flush()
    audit_service.record(session, actor, "staff.create", "staff_user", user.id, None, {"role": role.value})
    return user


def set_active(session: Session, user: User, active: bool, actor: Actor) -> None:
    """Deactivating also ends the account's open sessions at once."""
    if not active and user.role is StaffRole.ADMIN and _active_admins(session) <= 1 and user.active:
        raise AccountError("the last active administrator cannot be deactivated")
    user.active = active
    if not active:
        _end_sessions(session, user)
    audit_service.record(session, actor, "staff.activate" if active else "staff.deactivate", "staff_user", user.id)


def users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.username)))


def ensure_first_admin(session: Session, password: str | None) -> str | None:
    """On a database without staff, create `admin`; returns the generated password to print once."""
    if session.scalar(select(func.count()).select_from(User)):
        return None
    generated = None if password else secrets.token_urlsafe(12)
    system = Actor(ActorRole.SYSTEM, "first-start")
    create_user(session, FIRST_ADMIN, "Administrator", StaffRole.ADMIN, password or generated or "", system)
    return generated


def login(session: Session, username: str, password: str, at: datetime | None = None) -> LoginResult:
    """Check the password; the caller commits either way, so failures count towards the lockout."""
    at = at or utcnow()
    settings = settings_of(session)
    user = session.scalar(select(User).where(User.username == username.strip().lower()))
    if user is None or not user.active or user.password_hash is None:
        _verify(_UNUSABLE, password)
        return LoginResult(refusal="wrong username or password")
    if user.locked_until is not None and user.locked_until > at:
        audit_service.record(session, staff_actor(user), "staff.login_locked", "staff_user", user.id)
        minutes = max(1, int((user.locked_until - at).total_seconds() // 60) + 1)
        return LoginResult(refusal=f"too many wrong passwords: try again after {minutes} minute(s)")
    if not _verify(user.password_hash, password):
        user.failed_logins += 1
        detail = {"failures": user.failed_logins}
        if user.failed_logins >= settings.login_attempts:
            user.locked_until = at + timedelta(minutes=settings.lockout_minutes)
            user.failed_logins = 0
            detail["locked_minutes"] = settings.lockout_minutes
        audit_service.record(session, staff_actor(user), "staff.login_failed", "staff_user", user.id, None, detail)
        return LoginResult(refusal="wrong username or password")
    user.failed_logins, user.locked_until = 0, None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hash(password)
    token = secrets.token_urlsafe(32)
    expires = at + timedelta(hours=settings.session_hours)
    session.add(
        StaffSession(token_hash=_digest(token), csrf_token=secrets.token_urlsafe(32), user=user, expires_at=expires)
    )
    audit_service.record(session, staff_actor(user), "staff.login", "staff_user", user.id)
    return LoginResult(token=token, user=user)


def open_session(session: Session, token: str, at: datetime | None = None) -> StaffSession | None:
    """The live session a cookie token opens, or None (unknown, ended, expired, or account inactive)."""
    found = session.scalar(select(StaffSession).where(StaffSession.token_hash == _digest(token)))
    if found is None or found.ended_at is not None or found.expires_at <= (at or utcnow()) or not found.user.active:
        return None
    return found


def logout(session: Session, staff_session: StaffSession) -> None:
    staff_session.ended_at = utcnow()
    audit_service.record(session, staff_actor(staff_session.user), "staff.logout", "staff_user", staff_session.user_id)


def _end_sessions(session: Session, user: User) -> None:
    now = utcnow()
    for open_one in session.scalars(
        select(StaffSession).where(StaffSession.user_id == user.id, StaffSession.ended_at.is_(None))
    ):
        open_one.ended_at = now


def _active_admins(session: Session) -> int:
    return (
        session.scalar(
            select(func.count()).select_from(User).where(User.role == StaffRole.ADMIN, User.active.is_(True))
        )
        or 0
    )


def _hash(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
    return _hasher.hash(password)


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
