"""Importing the student list: all or nothing, idempotent, and guardians as the school records them."""

from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from models import Base, link_service
from models.audit import AuditEvent
from models.base import utcnow
from models.roster_csv import RosterError, parse_roster, read_roster
from models.school import Group, Guardian, Guardianship, Student, StudentStatus
from models.school_service import import_roster
from tests.records.builders import (
    DAAN,
    NOOR,
    SANNE,
    STAFF,
    TODAY,
    count,
    import_school,
    roster,
    write_school_csv,
)


def test_import_creates_students_guardians_groups_and_pseudonyms(session: Session) -> None:
    students = import_school(session)
    sanne, daan = students["1001"], students["1002"]
    assert (sanne.first_name, sanne.last_name, sanne.birth_date) == ("Sanne", "de Vries", date(2014, 3, 4))
    assert sanne.group.name == "7B" and sanne.group.school_year.name == "2025-2026"
    assert sorted(g.guardian.email for g in sanne.guardianships) == ["jan@example.org", "petra@example.org"]
    assert daan.email == "daan@example.org"
    assert count(session, Guardian) == 3, "Petra is one guardian of two students"
    assert sanne.pseudonym.startswith("st-") and "sanne" not in sanne.pseudonym.lower()
    assert len({s.pseudonym for s in students.values()}) == 3


def test_importing_the_same_file_twice_changes_nothing(session: Session) -> None:
    import_school(session)
    before = {table.name: session.execute(table.select()).all() for table in Base.metadata.sorted_tables}
    summary = import_roster(session, parse_roster(roster(SANNE, DAAN, NOOR), TODAY), STAFF, TODAY)
    session.commit()
    after = {table.name: session.execute(table.select()).all() for table in Base.metadata.sorted_tables}
    assert (summary.students_created, summary.students_updated, summary.students_unchanged) == (0, 0, 3)
    assert after == before


def test_a_changed_file_changes_only_what_changed_each_with_one_audit_row(session: Session) -> None:
    """R9: the change is in the register; R6: a guardian dropped by the school is no longer linked."""
    students = import_school(session)
    audit_rows = count(session, AuditEvent)
    moved = SANNE.replace(",7B,", ",8A,").replace("Jan de Vries,jan@example.org", ",")
    summary = import_roster(session, parse_roster(roster(moved, DAAN, NOOR), TODAY), STAFF, TODAY)
    session.commit()
    assert (summary.students_updated, summary.students_unchanged) == (1, 2)
    session.refresh(students["1001"])
    assert students["1001"].group.name == "8A"
    assert [g.guardian.email for g in students["1001"].guardianships] == ["petra@example.org"]
    assert count(session, Guardianship) == 3 and count(session, Group) == 4
    entries = session.query(AuditEvent).order_by(AuditEvent.id).offset(audit_rows).all()
    assert [(e.action, e.subject, e.detail["fields"]) for e in entries] == [
        ("student.update", students["1001"].pseudonym, ["group", "guardians"])
    ]


def test_bad_birth_date_on_line_37_of_500_names_line_37(tmp_path: Path) -> None:
    path = write_school_csv(tmp_path, lines=500, bad_line=37)
    with pytest.raises(RosterError) as refused:
        read_roster(path, TODAY)
    assert refused.value.problems == [(37, "birth_date '31-02-2012' is not a date (use YYYY-MM-DD or DD-MM-YYYY)")]
    assert "line 37: birth_date" in str(refused.value)


def test_every_invalid_row_is_reported_with_its_line_and_reason() -> None:
    text = roster(
        SANNE,
        SANNE.replace("Sanne", "Sara"),
        "1004,Bo,Jansen,2014-05-06,7B,,Kim Jansen,,,",
        "1005,Eva,Smit,2014-05-06,7B,,Kim Jansen,kim-at-example.org,,",
        "1006,,Smit,2014-05-06,7B,,,,,",
        "1007,Lot,Smit,2099-01-01,7B,,,,,",
    )
    with pytest.raises(RosterError) as refused:
        parse_roster(text, TODAY)
    assert [line for line, _ in refused.value.problems] == [3, 4, 5, 6, 7]
    reasons = " | ".join(reason for _, reason in refused.value.problems)
    for expected in ("also on line 2", "needs both a name and an email", "not an email address", "first_name is empty"):
        assert expected in reasons
    assert "not a plausible birth date" in reasons


def test_unknown_or_missing_columns_are_refused_before_any_row() -> None:
    with pytest.raises(RosterError) as refused:
        parse_roster("student_number;first_name;last_name;birth_date;guardian1_emial\n1;a;b;2014-01-01;x\n", TODAY)
    assert refused.value.problems == [
        (1, "missing column 'group'"),
        (1, "unknown column 'guardian1_emial': see the documented columns"),
    ]


def test_semicolons_and_dutch_dates_are_read(session: Session) -> None:
    text = "student_number;first_name;last_name;birth_date;group\n2001;Fleur;Visser;04-03-2014;7B\n"
    import_roster(session, parse_roster(text, TODAY), STAFF, TODAY)
    session.commit()
    assert session.query(Student).one().birth_date == date(2014, 3, 4)


def test_a_complete_file_marks_missing_students_as_left_who_then_get_no_links(session: Session) -> None:
    students = import_school(session)
    summary = import_roster(session, parse_roster(roster(SANNE, DAAN), TODAY), STAFF, TODAY, complete=True)
    session.commit()
    assert (summary.students_left, students["1003"].status) == (1, StudentStatus.LEFT)
    issued = link_service.issue_links(session, STAFF, utcnow() + timedelta(days=30))
    assert {i.student.student_number for i in issued} == {"1001", "1002"}
    import_roster(session, parse_roster(roster(SANNE, DAAN, NOOR), TODAY), STAFF, TODAY, complete=True)
    assert students["1003"].status is StudentStatus.ACTIVE, "back in the file, back at school"
