"""Personal consent links: one per guardian (or student aged 16+) and student (R8).

Only a hash of the link's secret token is stored. The token itself is derived from `nonce`
with a key kept outside the database, so a reminder can repeat the same link (R14) while a
copy of the database alone opens nothing.
"""

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, utcnow
from models.consent import DeciderRole
from models.school import Guardian, Student


class ConsentLink(Base):
    __tablename__ = "consent_link"

    id: Mapped[int] = mapped_column(primary_key=True)
    nonce: Mapped[str] = mapped_column(String(64), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    """SHA-256 (hex) of the token, the only way the web app finds the link."""
    student_id: Mapped[int] = mapped_column(ForeignKey("student.id"), index=True)
    holder_role: Mapped[DeciderRole]
    guardian_id: Mapped[int | None] = mapped_column(ForeignKey("guardian.id"), index=True)
    """The holding guardian; empty when the holder is the student."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]

    student: Mapped[Student] = relationship()
    guardian: Mapped[Guardian | None] = relationship()

    def usable_at(self, moment: datetime) -> bool:
        return self.revoked_at is None and self.created_at <= moment < self.expires_at
