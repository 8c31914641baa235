"""Staff login without a lock an attacker can hand out (R8): wrong passwords slow further tries down
per account and per address, the right one always passes once the wait is over, an unknown name is
answered like a known one, and the register counts a burst of failures without a row per try (R9)."""

from datetime import timedelta

import argon2
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import staff_service
from models.audit import Actor, ActorRole, AuditEvent
from models.base import utcnow
from models.database import settings_of
from models.staff import StaffRole, StaffSession, User

ADMIN = Actor(ActorRole.SYSTEM, "test")
PASSWORD = "the-right-password"
ATTACKER = "203.0.113.9"
OWNER = "198.51.100.7"


@pytest.fixture
def user(session: Session) -> User:
    made = staff_service.create_user(session, "target", "Target", StaffRole.ADMIN, PASSWORD, ADMIN)
    session.commit()
    return made


def _guess(session: Session, name: str, times: int, address: str = ATTACKER) -> list[staff_service.LoginResult]:
    """Wrong passwords as fast as the throttle lets them through, each at the moment it is allowed."""
    at, results = utcnow(), []
    for _ in range(times):
        result = staff_service.login(session, name, "a-wrong-password", address, at=at)
        results.append(result)
        at += timedelta(seconds=result.wait_seconds)
        if result.wait_seconds:
            results.append(staff_service.login(session, name, "a-wrong-password", address, at=at))
    session.commit()
    return results


def test_r8_the_right_password_passes_once_the_wait_after_many_wrong_ones_is_over(session: Session, user: User) -> None:
    free = settings_of(session).login_attempts
    start = utcnow()
    for n in range(free + 4):
        staff_service.login(session, "target", "a-wrong-password", ATTACKER, at=start + timedelta(seconds=n))
    last = start + timedelta(seconds=free + 3)
    waiting = staff_service.login(session, "target", PASSWORD, OWNER, at=last + timedelta(milliseconds=1))
    assert waiting.token is None and waiting.wait_seconds > 0, "further tries wait"
    assert "try again in" in (waiting.refusal or "")
    passed = staff_service.login(session, "target", PASSWORD, OWNER, at=last + timedelta(seconds=waiting.wait_seconds))
    assert passed.token is not None, "no lock: after the wait the right password opens a session"


def test_r8_the_wait_grows_with_the_failures_up_to_a_limit(session: Session, user: User) -> None:
    settings = settings_of(session)
    at, waits = utcnow(), []
    for _ in range(settings.login_attempts + 14):
        result = staff_service.login(session, "target", "a-wrong-password", ATTACKER, at=at)
        assert result.token is None
        waits.append(staff_service.wait_before_login(session, "target", ATTACKER, at))
        at += timedelta(seconds=max(waits[-1], 1))
    free = settings.login_attempts - 1
    assert waits[:free] == [0] * free, "the first wrong passwords cost nothing"
    growing = waits[free:]
    assert growing == sorted(growing) and growing[0] < growing[-1]
    assert max(growing) <= settings.login_max_delay_seconds


def test_r8_an_unknown_name_gets_the_same_answers_and_verifies_a_hash(
    session: Session, user: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    verified: list[str] = []
    real_verify = argon2.PasswordHasher.verify

    def counting(self: argon2.PasswordHasher, password_hash: str, password: str) -> bool:
        verified.append(password)
        return real_verify(self, password_hash, password)

    monkeypatch.setattr(argon2.PasswordHasher, "verify", counting)
    known = _guess(session, "target", 9, "192.0.2.1")
    unknown = _guess(session, "nobody-here", 9, "192.0.2.2")
    assert [(r.refusal, r.wait_seconds) for r in known] == [(r.refusal, r.wait_seconds) for r in unknown]
    checked = [r for r in known + unknown if (r.refusal or "").startswith("wrong username or password")]
    assert len(checked) > 2 * settings_of(session).login_attempts
    assert verified.count("a-wrong-password") == len(checked), "every try checked is one argon2 verification"


def test_r8_r9_a_burst_of_failures_is_counted_in_a_few_register_rows(session: Session, user: User) -> None:
    _guess(session, "target", 40)
    rows = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "staff.login_failed", AuditEvent.object_id == str(user.id))
    ).all()
    assert 1 <= len(rows) <= 6, "not a row per try"
    assert max(row.detail["failures"] for row in rows) >= 20, "the count is in the register"


def test_r8_an_administrator_unlocks_and_resets_and_every_session_ends(session: Session, user: User) -> None:
    opened = staff_service.login(session, "target", PASSWORD, OWNER)
    _guess(session, "target", 12)
    assert staff_service.wait_before_login(session, "target", OWNER, utcnow()) > 0
    staff_service.unlock(session, user, ADMIN)
    assert staff_service.wait_before_login(session, "target", OWNER, utcnow()) == 0
    staff_service.reset_password(session, user, "a-new-password-set-by-admin", ADMIN)
    session.commit()
    assert staff_service.open_session(session, opened.token or "") is None, "a reset ends the sessions"
    assert staff_service.login(session, "target", PASSWORD, OWNER).token is None
    assert staff_service.login(session, "target", "a-new-password-set-by-admin", OWNER).token is not None


def test_r8_changing_ones_password_needs_it_and_ends_the_other_sessions(session: Session, user: User) -> None:
    here = staff_service.open_session(session, staff_service.login(session, "target", PASSWORD, OWNER).token or "")
    elsewhere = staff_service.login(session, "target", PASSWORD, ATTACKER).token or ""
    assert here is not None
    with pytest.raises(staff_service.AccountError, match="current password"):
        staff_service.change_password(session, here, "not-the-password", "a-brand-new-password")
    staff_service.change_password(session, here, PASSWORD, "a-brand-new-password")
    session.commit()
    assert staff_service.open_session(session, elsewhere) is None and here.ended_at is None


def test_r8_log_out_everywhere_ends_every_session_of_the_account(session: Session, user: User) -> None:
    tokens = [staff_service.login(session, "target", PASSWORD, OWNER).token or "" for _ in range(3)]
    staff_service.logout(session, staff_service.open_session(session, tokens[0]), everywhere=True)
    session.commit()
    assert all(staff_service.open_session(session, token) is None for token in tokens)
    assert session.scalar(select(StaffSession).where(StaffSession.ended_at.is_(None))) is None
