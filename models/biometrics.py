"""Reference photos and the face templates computed from them: special-category data (R11).

Both are stored encrypted with the template key from the settings, which never enters the
database. Only enrolled students' templates are kept; an event photo's templates never are (R11a).
"""

from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, utcnow
from models.school import Student


class ReferencePhoto(Base):
    __tablename__ = "reference_photo"

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("student.id"), index=True)
    image: Mapped[bytes] = mapped_column(LargeBinary)
    """The photo re-encoded without metadata (R10), then encrypted."""
    suffix: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(100))

    student: Mapped[Student] = relationship()
    templates: Mapped[list["FaceTemplate"]] = relationship(
        back_populates="reference_photo", cascade="all, delete-orphan", passive_deletes=True
    )


class FaceTemplate(Base):
    __tablename__ = "face_template"

    id: Mapped[int] = mapped_column(primary_key=True)
    reference_photo_id: Mapped[int] = mapped_column(ForeignKey("reference_photo.id", ondelete="CASCADE"), index=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("student.id"), index=True)
    template: Mapped[bytes] = mapped_column(LargeBinary)
    """128 float32 values, encrypted."""
    model: Mapped[str] = mapped_column(String(40))
    """Which encoder made it; templates of different models are not comparable."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    reference_photo: Mapped[ReferencePhoto] = relationship(back_populates="templates")
