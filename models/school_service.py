"""The roster: import students and guardians from the student information system, find a student.

Importing the same file twice changes nothing; a change in the file changes exactly the rows it
concerns, each with its audit entry (R9). Guardians are recognised by email across students, which
is also how siblings are known (R15).
"""

import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from models import audit_service
from models.audit import Actor
from models.errors import NotFound
from models.roster_csv import GuardianRow, RosterRow
from models.school import Group, Guardian, Guardianship, SchoolYear, Student, StudentStatus

SCHOOL_YEAR_STARTS = (8, 1)
"""Dutch school years run from 1 August."""


@dataclass(frozen=True)
class _Change:
    """An audit entry to write once the rows have their ids."""

    action: str
    target: Student | Guardian
    detail: dict[str, Any]


@dataclass
class ImportSummary:
    students_created: int = 0
    students_updated: int = 0
    students_unchanged: int = 0
    students_left: int = 0
    guardians_created: int = 0
    guardians_updated: int = 0
    changes: list[_Change] = field(default_factory=list, repr=False)


def school_year_of(day: date) -> tuple[str, date, date]:
    """The name, first and last day of the school year `day` falls in."""
    first = day.year if (day.month, day.day) >= SCHOOL_YEAR_STARTS else day.year - 1
    return f"{first}-{first + 1}", date(first, *SCHOOL_YEAR_STARTS), date(first + 1, 7, 31)


def import_roster(
    session: Session, rows: Sequence[RosterRow], actor: Actor, today: date, complete: bool = False
) -> ImportSummary:
    """Create or update every student and guardian in `rows` (already validated as a whole).

    `complete`: the rows are the whole school, so an active student missing from them has left."""
    summary = ImportSummary()
    groups = _groups(session, {row.group for row in rows}, today)
    guardians = _guardians(session, {g.email: g for row in rows for g in row.guardians}, summary)
    students = {
        s.student_number: s
        for s in session.scalars(
            select(Student).where(Student.student_number.is_not(None)).options(selectinload(Student.guardianships))
        )
    }
    for row in rows:
        student = students.get(row.student_number)
        if student is None:
            _new_student(session, row, groups[row.group], guardians, summary)
        else:
            _update_student(student, row, groups[row.group], guardians, summary)
    if complete:
        _mark_left(students, {row.student_number for row in rows}, summary)
    session.flush()
    for change in summary.changes:
        if isinstance(change.target, Student):
            pseudonym = change.target.pseudonym
            audit_service.record(session, actor, change.action, "student", pseudonym, pseudonym, change.detail)
        else:
            audit_service.record(session, actor, change.action, "guardian", change.target.id, None, change.detail)
    return summary


def find_student(session: Session, reference: str) -> Student:
    """By student number or pseudonym."""
    student = session.scalar(
        select(Student).where(or_(Student.student_number == reference, Student.pseudonym == reference))
    )
    if student is None:
        raise NotFound(f"no student with number or pseudonym {reference!r}")
    return student


def lock(session: Session, student: Student) -> None:
    """Serialise acts on one student (a row lock on PostgreSQL): an enrolment cannot slip past a withdrawal."""
    session.execute(select(Student.id).where(Student.id == student.id).with_for_update())


def new_pseudonym() -> str:
    """64 random bits: no order, no name, nothing to link back without the records."""
    return f"st-{secrets.token_hex(8)}"


def _groups(session: Session, names: set[str], today: date) -> dict[str, Group]:
    name, starts_on, ends_on = school_year_of(today)
    year = session.scalar(select(SchoolYear).where(SchoolYear.name == name))
    if year is None:
        year = SchoolYear(name=name, starts_on=starts_on, ends_on=ends_on)
        session.add(year)
    groups = {g.name: g for g in session.scalars(select(Group).where(Group.school_year == year))}
    for missing in names - groups.keys():
        groups[missing] = Group(school_year=year, name=missing)
        session.add(groups[missing])
    return groups


def _guardians(session: Session, wanted: dict[str, GuardianRow], summary: ImportSummary) -> dict[str, Guardian]:
    known = {g.email: g for g in session.scalars(select(Guardian).where(Guardian.email.is_not(None)))}
    for email, row in wanted.items():
        guardian = known.get(email)
        if guardian is None:
            known[email] = guardian = Guardian(name=row.name, email=email)
            session.add(guardian)
            summary.guardians_created += 1
            summary.changes.append(_Change("guardian.create", guardian, {}))
        elif guardian.name != row.name:
            guardian.name = row.name
            summary.guardians_updated += 1
            summary.changes.append(_Change("guardian.update", guardian, {"fields": ["name"]}))
    return known


def _new_student(
    session: Session, row: RosterRow, group: Group, guardians: dict[str, Guardian], summary: ImportSummary
) -> None:
    student = Student(
        pseudonym=new_pseudonym(),
        student_number=row.student_number,
        first_name=row.first_name,
        last_name=row.last_name,
        birth_date=row.birth_date,
        email=row.email,
        group=group,
        guardianships=[Guardianship(guardian=guardians[g.email], relation=g.relation) for g in row.guardians],
    )
    session.add(student)
    summary.students_created += 1
    summary.changes.append(_Change("student.create", student, {"line": row.line, "guardians": len(row.guardians)}))


def _update_student(
    student: Student, row: RosterRow, group: Group, guardians: dict[str, Guardian], summary: ImportSummary
) -> None:
    wanted = {
        "first_name": row.first_name,
        "last_name": row.last_name,
        "birth_date": row.birth_date,
        "email": row.email,
        "group": group,
        "status": StudentStatus.ACTIVE,
    }
    changed = sorted(name for name, value in wanted.items() if getattr(student, name) != value)
    for name in changed:
        setattr(student, name, wanted[name])
    if _sync_guardians(student, row.guardians, guardians):
        changed.append("guardians")
    if changed:
        summary.students_updated += 1
        summary.changes.append(_Change("student.update", student, {"line": row.line, "fields": changed}))
    else:
        summary.students_unchanged += 1


def _mark_left(students: dict[str, Student], present: set[str], summary: ImportSummary) -> None:
    """Their consents stay (they prove past publications); they get no more consent links."""
    for number, student in students.items():
        if number not in present and student.status is StudentStatus.ACTIVE:
            student.status = StudentStatus.LEFT
            summary.students_left += 1
            summary.changes.append(_Change("student.leave", student, {}))


def _sync_guardians(student: Student, rows: tuple[GuardianRow, ...], guardians: dict[str, Guardian]) -> bool:
    """Make the student's guardians exactly those in the file: who may decide follows the school's records (R6)."""
    wanted = {row.email: row.relation for row in rows}
    current = {link.guardian.email: link for link in student.guardianships}
    changed = False
    for email, link in current.items():
        if email not in wanted:
            student.guardianships.remove(link)
            changed = True
        elif link.relation != wanted[email]:
            link.relation = wanted[email]
            changed = True
    for email in wanted.keys() - current.keys():
        student.guardianships.append(Guardianship(guardian=guardians[email], relation=wanted[email]))
        changed = True
    return changed
