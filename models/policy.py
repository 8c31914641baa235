"""Versions of the channel policy, each with who approved it (R13).

A version is never edited; adopting a new policy adds a row. `document` holds what
`mediacheck.policy.Policy` needs plus the consent expiry (R14) and the face-matching switch (R11a).
"""

from datetime import date, datetime
from typing import Any

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow


class PolicyVersion(Base):
    __tablename__ = "policy_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(unique=True)
    document: Mapped[dict[str, Any]]
    approved_by: Mapped[str] = mapped_column(Text)
    """Who agreed, in words that can be checked: e.g. "participation council, minutes 2025-09-12 §4"."""
    approved_on: Mapped[date]
    recorded_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
