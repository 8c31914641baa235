"""Build a small school through the real services, and read back everything the database holds."""

from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import Base
from models.audit import Actor, ActorRole
from models.roster_csv import parse_roster
from models.school import Student
from models.school_service import find_student, import_roster
from tests.samples import PEOPLE

STAFF = Actor(ActorRole.STAFF, "test-admin")
TODAY = date(2025, 9, 1)
HEADER = "student_number,first_name,last_name,birth_date,group,student_email,guardian1_name,guardian1_email"
HEADER += ",guardian2_name,guardian2_email"

SANNE = "1001,Sanne,de Vries,2014-03-04,7B,,Petra de Vries,petra@example.org,Jan de Vries,jan@example.org"
"""Under 16 until 2030; two guardians."""
DAAN = "1002,Daan,de Vries,2009-03-04,4H,daan@example.org,Petra de Vries,petra@example.org,,"
"""Sanne's brother (shares Petra); 16 on 2025-03-04."""
NOOR = "1003,Noor,Bakker,2015-02-01,6A,,Ali Bakker,ali@example.org,,"

PHOTO_OF = {"1001": PEOPLE / "kit_harington" / "2.jpg", "1003": PEOPLE / "rose_leslie" / "2.jpg"}
"""Small reference photos with one clearly visible face each."""


def roster(*rows: str) -> str:
    return "\n".join([HEADER, *rows]) + "\n"


def import_school(session: Session, rows: Sequence[str] = (SANNE, DAAN, NOOR)) -> dict[str, Student]:
    import_roster(session, parse_roster(roster(*rows), TODAY), STAFF, TODAY)
    session.commit()
    return {row.split(",")[0]: find_student(session, row.split(",")[0]) for row in rows}


def moment(text: str) -> datetime:
    """An ISO moment; UTC unless it names its zone."""
    parsed = datetime.fromisoformat(text)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def stored_values(session: Session) -> list[tuple[str, str, object]]:
    """Every non-empty value in every table, as (table, column, value)."""
    values = []
    for table in Base.metadata.sorted_tables:
        for row in session.execute(select(table)).mappings():
            values += [(table.name, column, value) for column, value in row.items() if value is not None]
    return values


def count(session: Session, model: type) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def write_school_csv(directory: Path, lines: int, bad_line: int | None = None) -> Path:
    """A CSV of `lines` lines (header included); line `bad_line` has an impossible birth date."""
    rows = [
        f"{10000 + n},First{n},Last{n},{'31-02-2012' if n + 2 == bad_line else '2012-05-17'},{n % 20}A,,"
        f"Parent{n},parent{n}@example.org,,"
        for n in range(lines - 1)
    ]
    path = directory / "school.csv"
    path.write_text(roster(*rows), encoding="utf-8")
    return path
