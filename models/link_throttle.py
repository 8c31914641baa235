"""Slow down whoever tries consent-link tokens that open nothing (R8: links stay unguessable in practice)."""

import hashlib
import hmac
from datetime import datetime, timedelta

from sqlalchemy import Index, String, delete, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from models.base import Base, utcnow


class BadLinkAttempt(Base):
    """One request with an unknown, expired or revoked token, by (hashed) address; nothing about the token."""

    __tablename__ = "bad_link_attempt"
    __table_args__ = (Index("ix_bad_link_attempt_address_at", "address", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    address: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(default=utcnow)


WINDOW = timedelta(minutes=15)
ALLOWED_BAD_ATTEMPTS = 10
"""Bad tokens one address may try per `WINDOW` before its further bad tokens are refused for a while
(a valid token still opens its page: a link is never refused because of others' bad tries)."""


def address_key(key: bytes, address: str) -> str:
    """The address as a keyed hash: enough to count attempts, not to know who made them (R10)."""
    return hmac.new(key, address.encode(), hashlib.sha256).hexdigest()


def wait_seconds(session: Session, address: str, at: datetime | None = None) -> int:
    """0 when the address may try a link now, else how long it must wait."""
    at = at or utcnow()
    attempts = session.scalars(
        select(BadLinkAttempt.at)
        .where(BadLinkAttempt.address == address, BadLinkAttempt.at > at - WINDOW)
        .order_by(BadLinkAttempt.at.desc())
        .limit(ALLOWED_BAD_ATTEMPTS)
    ).all()
    if len(attempts) < ALLOWED_BAD_ATTEMPTS:
        return 0
    return max(1, int((attempts[-1] + WINDOW - at).total_seconds()))


def record_bad_attempt(session: Session, address: str, at: datetime | None = None) -> None:
    at = at or utcnow()
    session.execute(delete(BadLinkAttempt).where(BadLinkAttempt.at <= at - WINDOW))
    session.add(BadLinkAttempt(address=address, at=at))
