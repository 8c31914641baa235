"""Staff accounts, login and server-side sessions: the gate in front of images and faces (R8).

Passwords are stored as argon2 hashes only. A login returns a random token for the cookie; the
database keeps its SHA-256, so a copy of the database opens no session. Wrong passwords slow the
next tries down (`models.login_throttle`), never lock: whoever has the right password gets in once
the wait is over. Logins, bursts of failures, password changes, resets and logouts are in the
register (R9).
"""

import hashlib
import hmac
import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import audit_service, login_throttle
from models.audit import Actor, ActorRole
from models.base import utcnow
from models.database import settings_of
from models.errors import NotFound, RecordsError
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
    wait_seconds: int = 0
    """After a refusal: seconds before the next try from here is checked (0: at once)."""


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


def login(
    session: Session, username: str, password: str, address: str, device: str = "", at: datetime | None = None
) -> LoginResult:
    """Check the password unless a wait is due; the caller commits either way, so failures count.

    `address` is the client's; `device` the cookie a browser got at an earlier login of this account
    (`device_token`): that browser does not wait for failures others caused on the account, only
    for those of its own address.
    """
    at = at or utcnow()
    name = username.strip().lower()
    keys = _throttle_keys(session, name, address)
    if device and _known_device(session, name, device):
        keys = keys[:1]
    wait = login_throttle.wait_seconds(session, keys, at)
    if wait:  # refused before the account is looked at: the same work for every name
        return LoginResult(refusal=f"too many failed logins: try again in {_seconds(wait)}", wait_seconds=wait)
    user = session.scalar(select(User).where(User.username == name))
    usable = user is not None and user.active and user.password_hash is not None
    if not _verify(user.password_hash if usable else _UNUSABLE, password) or not usable:
        return _failed(session, user, keys, at)
    login_throttle.clear(session, _account_key(session, name))
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hash(password)
    return LoginResult(token=_start_session(session, user, at), user=user)


def wait_before_login(session: Session, username: str, address: str, at: datetime) -> int:
    """Seconds before a login for `username` from `address` (without a known browser) is checked."""
    return login_throttle.wait_seconds(session, _throttle_keys(session, username.strip().lower(), address), at)


def device_token(session: Session, user: User) -> str:
    """The cookie value telling a browser this account logged in with before; a new password voids it."""
    return _device_mac(session, user.username, user.password_hash)


def change_password(session: Session, staff_session: StaffSession, current: str, new: str) -> None:
    """The person's own change: needs the current password; every other session of theirs ends."""
    user = staff_session.user
    account = [_account_key(session, user.username)]  # a session left open must not guess freely
    wait = login_throttle.wait_seconds(session, account, utcnow())
    if wait:
        raise AccountError(f"too many failed attempts: try again in {_seconds(wait)}")
    if user.password_hash is None or not _verify(user.password_hash, current):
        _failed(session, user, account, utcnow())
        raise AccountError("the current password is not right")
    user.password_hash = _hash(new)
    _end_sessions(session, user, keep=staff_session)
    audit_service.record(session, staff_actor(user), "staff.password_changed", "staff_user", user.id)


def reset_password(session: Session, user: User, new: str, actor: Actor) -> None:
    """An administrator's reset for someone who forgot theirs: every session of the account ends."""
    user.password_hash = _hash(new)
    _end_sessions(session, user)
    login_throttle.clear(session, _account_key(session, user.username))
    audit_service.record(session, actor, "staff.password_reset", "staff_user", user.id)


def unlock(session: Session, user: User, actor: Actor) -> None:
    """Forget the failed logins for this account now, instead of letting them wear off."""
    login_throttle.clear(session, _account_key(session, user.username))
    audit_service.record(session, actor, "staff.unlock", "staff_user", user.id)


def find_user(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username.strip().lower()))
    if user is None:
        raise NotFound(f"no account {username!r}")
    return user


def open_session(session: Session, token: str, at: datetime | None = None) -> StaffSession | None:
    """The live session a cookie token opens, or None (unknown, ended, expired, or account inactive)."""
    found = session.scalar(select(StaffSession).where(StaffSession.token_hash == _digest(token)))
    if found is None or found.ended_at is not None or found.expires_at <= (at or utcnow()) or not found.user.active:
        return None
    return found


def logout(session: Session, staff_session: StaffSession, everywhere: bool = False) -> None:
    """End this session, or with `everywhere` every session of the account (a phone left somewhere)."""
    staff_session.ended_at = utcnow()
    if everywhere:
        _end_sessions(session, staff_session.user)
    action = "staff.logout_everywhere" if everywhere else "staff.logout"
    audit_service.record(session, staff_actor(staff_session.user), action, "staff_user", staff_session.user_id)


def _start_session(session: Session, user: User, at: datetime) -> str:
    token = secrets.token_urlsafe(32)
    expires = at + timedelta(hours=settings_of(session).session_hours)
    session.add(
        StaffSession(token_hash=_digest(token), csrf_token=secrets.token_urlsafe(32), user=user, expires_at=expires)
    )
    audit_service.record(session, staff_actor(user), "staff.login", "staff_user", user.id)
    return token


def _failed(session: Session, user: User | None, keys: list[str], at: datetime) -> LoginResult:
    """Count the failure against each key; the register gets a row at the first and at each doubling."""
    pace = _pace(session)
    for key in keys:
        failures = login_throttle.record_failure(session, key, pace, at)
        if user is not None and key.startswith("account:") and pace.worth_recording(failures):
            detail = {"failures": failures, "wait_seconds": int(pace.delay(failures).total_seconds())}
            audit_service.record(session, staff_actor(user), "staff.login_failed", "staff_user", user.id, None, detail)
    wait = login_throttle.wait_seconds(session, keys, at)
    if wait:
        return LoginResult(refusal=f"wrong username or password; try again in {_seconds(wait)}", wait_seconds=wait)
    return LoginResult(refusal="wrong username or password")


def _known_device(session: Session, name: str, device: str) -> bool:
    row = session.execute(select(User.username, User.password_hash).where(User.username == name)).first()
    return row is not None and hmac.compare_digest(device, _device_mac(session, row.username, row.password_hash))


def _device_mac(session: Session, username: str, password_hash: str | None) -> str:
    message = f"device:{username}:{password_hash}".encode()
    return hmac.new(settings_of(session).link_key_bytes(), message, hashlib.sha256).hexdigest()


def _throttle_keys(session: Session, name: str, address: str) -> list[str]:
    """The client address's key, then the account name's (known or not: they are throttled alike)."""
    secret = settings_of(session).link_key_bytes()
    return [login_throttle.key_of(secret, "address", address), _account_key(session, name)]


def _account_key(session: Session, name: str) -> str:
    return login_throttle.key_of(settings_of(session).link_key_bytes(), "account", name)


def _pace(session: Session) -> login_throttle.Pace:
    settings = settings_of(session)
    return login_throttle.Pace(settings.login_attempts, settings.login_max_delay_seconds)


def _seconds(wait: int) -> str:
    return "1 second" if wait == 1 else f"{wait} seconds" if wait < 120 else f"{math.ceil(wait / 60)} minutes"


def _end_sessions(session: Session, user: User, keep: StaffSession | None = None) -> None:
    now = utcnow()
    for open_one in session.scalars(
        select(StaffSession).where(StaffSession.user_id == user.id, StaffSession.ended_at.is_(None))
    ):
        if open_one is not keep:
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
