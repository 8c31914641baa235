"""The school's roster: years, groups, students and their guardians.

A student's `pseudonym` is the only identity that leaves the records: channels, logs and the
photo check's gallery see it, never a name (R10).
"""

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, utcnow

DECIDES_ALONE_FROM_AGE = 16
"""From this birthday the student decides on their own consent, before it the guardians (R6)."""


class StudentStatus(StrEnum):
    ACTIVE = "active"
    LEFT = "left"
    ERASED = "erased"
    """Personal data removed on request (R12); only the pseudonym remains, for the consent proof."""


class SchoolYear(Base):
    __tablename__ = "school_year"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(20), unique=True)
    """E.g. "2025-2026"."""
    starts_on: Mapped[date]
    ends_on: Mapped[date]


class Group(Base):
    __tablename__ = "school_group"
    __table_args__ = (UniqueConstraint("school_year_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_year_id: Mapped[int] = mapped_column(ForeignKey("school_year.id"))
    name: Mapped[str] = mapped_column(String(40))

    school_year: Mapped[SchoolYear] = relationship()


class Student(Base):
    __tablename__ = "student"

    id: Mapped[int] = mapped_column(primary_key=True)
    pseudonym: Mapped[str] = mapped_column(String(32), unique=True)
    student_number: Mapped[str | None] = mapped_column(String(40), unique=True)
    """The number in the student information system; the key of the CSV import."""
    first_name: Mapped[str | None] = mapped_column(String(100))
    last_name: Mapped[str | None] = mapped_column(String(100))
    birth_date: Mapped[date | None]
    email: Mapped[str | None] = mapped_column(String(254))
    """Where a student aged 16+ receives their own consent link."""
    group_id: Mapped[int | None] = mapped_column(ForeignKey("school_group.id"), index=True)
    status: Mapped[StudentStatus] = mapped_column(default=StudentStatus.ACTIVE)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    erased_at: Mapped[datetime | None]

    group: Mapped[Group | None] = relationship()
    guardianships: Mapped[list["Guardianship"]] = relationship(back_populates="student", cascade="all, delete-orphan")

    @property
    def name(self) -> str:
        return f"{self.first_name or ''} {self.last_name or ''}".strip() or self.pseudonym

    def age_on(self, day: date) -> int | None:
        if self.birth_date is None:
            return None
        born = self.birth_date
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))

    def birthday(self, age: int) -> date | None:
        """The day the student turns `age`; born on 29 February: 1 March in a common year."""
        if self.birth_date is None:
            return None
        try:
            return self.birth_date.replace(year=self.birth_date.year + age)
        except ValueError:
            return date(self.birth_date.year + age, 3, 1)


class Guardian(Base):
    """A parent or other legal representative. Name and email are blanked when erased (R12)."""

    __tablename__ = "guardian"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    """Lower case; the key that recognises the same guardian across imports and siblings."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    guardianships: Mapped[list["Guardianship"]] = relationship(back_populates="guardian")


class Guardianship(Base):
    """Guardian X is a legal representative of student Y; shared guardians make siblings (R15)."""

    __tablename__ = "student_guardian"

    student_id: Mapped[int] = mapped_column(ForeignKey("student.id"), primary_key=True)
    guardian_id: Mapped[int] = mapped_column(ForeignKey("guardian.id"), primary_key=True, index=True)
    relation: Mapped[str | None] = mapped_column(String(40))
    """As the school records it: "mother", "father", "guardian", ..."""

    student: Mapped[Student] = relationship(back_populates="guardianships")
    guardian: Mapped[Guardian] = relationship(back_populates="guardianships")
