"""Where images can go (channels) and the exact wording a person sees when asked for consent.

Consent is given per purpose: each channel (R2), and the special purpose `face-matching` that
allows enrolling the student's face (R11). A wording is never edited: a new version is added and
every consent event names the version that was shown (R4).
"""

from datetime import datetime

from sqlalchemy import String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow

FACE_MATCHING = "face-matching"
"""The purpose of biometric enrolment (R11); not a channel, never published to."""

LANGUAGES = ("nl", "en")


class Channel(Base):
    __tablename__ = "channel"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(40), unique=True)
    """Stable machine name ("public"); the policy and the consent events refer to it. Never renamed."""
    name: Mapped[str] = mapped_column(String(100))
    description_nl: Mapped[str] = mapped_column(Text)
    description_en: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(default=True)


class ConsentText(Base):
    __tablename__ = "consent_text"
    __table_args__ = (UniqueConstraint("purpose", "language", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    purpose: Mapped[str] = mapped_column(String(40))
    """A channel key or `face-matching`."""
    language: Mapped[str] = mapped_column(String(2))
    version: Mapped[int]
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
