"""Slow down password guessing per client address and per account name, without a lock (R8).

A lock that anyone can trigger is a way to keep a school's administrator out. Instead every failure
past the free ones makes the next try from that address, or for that name, wait longer (1 s, 2 s,
4 s, … up to a limit), and a try during the wait is refused unchecked. The right password passes as
soon as the wait is over. Names that exist and names that do not are throttled alike, so the
answers tell an attacker nothing about which accounts exist. Keys are keyed hashes: the table holds
neither addresses nor what was typed as a name (sometimes a password).
"""

import hashlib
import hmac
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import String, delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column

from models.base import Base

FORGET_AFTER = timedelta(hours=1)
"""Failures of a key with no new failure for this long are forgotten."""


class LoginThrottle(Base):
    """Failed logins of one address or one account name, and when the next try may be checked."""

    __tablename__ = "login_throttle"

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    failures: Mapped[int]
    last_failure_at: Mapped[datetime]
    next_allowed_at: Mapped[datetime]


@dataclass(frozen=True)
class Pace:
    """How many failures are free, and the longest wait (seconds) any number of failures can cause."""

    free_failures: int
    max_delay_seconds: int

    def delay(self, failures: int) -> timedelta:
        """No wait for the free failures, then doubling from one second, up to the limit."""
        if failures < self.free_failures:
            return timedelta(0)
        return timedelta(seconds=min(2 ** (failures - self.free_failures), self.max_delay_seconds))

    def worth_recording(self, failures: int) -> bool:
        """The first failure, the one that starts the waits, and each doubling after it: a burst of
        n tries writes about log2(n) register rows, each with the count so far (R9)."""
        if failures == 1:
            return True
        ratio = failures / max(self.free_failures, 1)
        return failures >= self.free_failures and ratio == 2 ** int(math.log2(ratio))


def key_of(secret: bytes, kind: str, value: str) -> str:
    """`address:…` or `account:…`, as a keyed hash of the value."""
    return f"{kind}:{hmac.new(secret, f'{kind}:{value}'.encode(), hashlib.sha256).hexdigest()}"


def wait_seconds(session: Session, keys: list[str], at: datetime) -> int:
    """Whole seconds until a try for all of `keys` may be checked; 0: now."""
    waits = [(row.next_allowed_at - at).total_seconds() for row in _live(session, keys, at)]
    return max([math.ceil(wait) for wait in waits if wait > 0], default=0)


def record_failure(session: Session, key: str, pace: Pace, at: datetime) -> int:
    """Count one failure against `key`; returns the failures counted so far."""
    row = _locked_row(session, key, at)
    if at - row.last_failure_at > FORGET_AFTER:
        row.failures = 0
    row.failures += 1
    row.last_failure_at = at
    row.next_allowed_at = at + pace.delay(row.failures)
    session.flush()
    return row.failures


def clear(session: Session, key: str) -> None:
    """Forget the failures of `key`: after a successful login, an unlock or a password reset."""
    session.execute(delete(LoginThrottle).where(LoginThrottle.key == key))


def _locked_row(session: Session, key: str, at: datetime) -> LoginThrottle:
    """The key's row, created if missing without failing when a parallel request creates it too."""
    dialect_insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    fresh = {"key": key, "failures": 0, "last_failure_at": at, "next_allowed_at": at}
    session.execute(dialect_insert(LoginThrottle).values(**fresh).on_conflict_do_nothing())
    row = session.get(LoginThrottle, key, with_for_update=True, populate_existing=True)
    assert row is not None
    return row


def _live(session: Session, keys: list[str], at: datetime) -> list[LoginThrottle]:
    rows = [session.get(LoginThrottle, key) for key in keys]
    return [row for row in rows if row is not None and at - row.last_failure_at <= FORGET_AFTER]
