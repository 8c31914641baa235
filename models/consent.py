"""Consent events: the append-only proof of every consent given or withdrawn (R3, R4, R5, R6, R14).

No row is ever updated or deleted; the current consent is derived from the latest event per
student and purpose (see `consent_service`), so there is no second record that could drift.
The database refuses UPDATE and DELETE on this table (trigger, see the first migration).
"""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, utcnow
from models.channels import ConsentText
from models.school import Guardian, Student


class DeciderRole(StrEnum):
    """Who gave or withdrew the consent: the legal representative, or the student from 16 (R6)."""

    GUARDIAN = "guardian"
    STUDENT = "student"


class ConsentMeans(StrEnum):
    LINK = "link"
    """The personal consent link, used by the decider themselves."""
    PAPER = "paper"
    """A signed paper form, entered by staff."""
    ADMIN = "admin"
    """Told to staff otherwise (letter, email, in person) and entered by staff."""


class ConsentEvent(Base):
    __tablename__ = "consent_event"
    __table_args__ = (Index("ix_consent_event_current", "student_id", "purpose", "at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("student.id"))
    purpose: Mapped[str] = mapped_column(String(40))
    """A channel key or `face-matching`."""
    granted: Mapped[bool]
    """True: consent given. False: withdrawn (or refused)."""
    decided_by_role: Mapped[DeciderRole]
    decided_by_guardian_id: Mapped[int | None] = mapped_column(ForeignKey("guardian.id"))
    """The guardian who decided; empty when the student decided."""
    means: Mapped[ConsentMeans]
    consent_link_id: Mapped[int | None] = mapped_column(ForeignKey("consent_link.id"))
    """The personal link used, when `means` is link."""
    recorded_by: Mapped[str | None] = mapped_column(String(100))
    """The staff member who entered a paper or admin decision."""
    consent_text_id: Mapped[int] = mapped_column(ForeignKey("consent_text.id"))
    """The exact wording shown to the decider (R4)."""
    at: Mapped[datetime]
    """When the decider decided (for a paper form: the day it was signed). Decides R6."""
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None]
    """From this moment a granted consent counts as "no" until renewed (R14)."""

    student: Mapped[Student] = relationship()
    decided_by_guardian: Mapped[Guardian | None] = relationship()
    consent_text: Mapped[ConsentText] = relationship()
