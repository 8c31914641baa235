"""The audit register (R9): who viewed or changed what, when. Append-only, like consent events.

Rows name students by pseudonym only, so the register survives an erasure (R12) without
keeping the student's personal data.
"""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow


class ActorRole(StrEnum):
    STAFF = "staff"
    GUARDIAN = "guardian"
    STUDENT = "student"
    SYSTEM = "system"


@dataclass(frozen=True)
class Actor:
    """Who is acting: a staff member (web login or command line), a link holder, or the system."""

    role: ActorRole
    id: str

    def __str__(self) -> str:
        return f"{self.role.value}:{self.id}"


class AuditEvent(Base):
    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_role: Mapped[ActorRole]
    actor_id: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(60))
    """Dotted verb, e.g. "consent.grant", "reference_photo.read", "student.erase"."""
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str | None] = mapped_column(String(32), index=True)
    """Pseudonym of the student the data is about, if any."""
    detail: Mapped[dict[str, Any] | None]
    """Facts that explain the entry (purposes, counts, field names) — never names or contact details."""
