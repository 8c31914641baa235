"""A demo school from `sample_media`, so a newcomer sees a working school within a minute.

Every person in `sample_media/people` becomes a student of group 7B with one guardian; the consents
in `sample_media/consents.csv` are entered as signed paper forms, everyone gets face-matching
consent and is enrolled from their folder, and the event photos land in one album for the worker
to check. Staff accounts for each role are created with passwords printed once. Loading twice
adds nothing.
"""

import csv
import secrets
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from mediacheck.check import PhotoChecker
from mediacheck.gallery import PHOTO_SUFFIXES, EnrolmentError
from models import album_service, consent_service, enrolment_service, link_service, staff_service
from models.audit import Actor, ActorRole
from models.channels import FACE_MATCHING
from models.consent import ConsentMeans
from models.consent_service import Decider
from models.database import settings_of
from models.media import Album
from models.roster_csv import parse_roster
from models.school import Guardian, Student
from models.school_service import find_student, import_roster, school_year_of
from models.staff import StaffRole, User

SAMPLE_MEDIA = Path(__file__).resolve().parents[1] / "sample_media"
DEMO = Actor(ActorRole.SYSTEM, "demo")
ALBUM = "School musical (demo)"
STUDENTS = {
    "obama": ("1001", "Barack", "Obama", 12),
    "biden": ("1002", "Joe", "Biden", 13),
    "kit_harington": ("1003", "Kit", "Harington", 12),
    "rose_leslie": ("1004", "Rose", "Leslie", 12),
    "alex_lacamoire": ("1005", "Alex", "Lacamoire", 13),
    "lin_manuel_miranda": ("1006", "Lin-Manuel", "Miranda", 16),
}
"""Folder in sample_media/people → student number, names, age today (16+ decides alone, R6)."""
STAFF = {"teacher": StaffRole.TEACHER, "comms": StaffRole.COMMUNICATIONS, "reviewer": StaffRole.REVIEWER}


@dataclass
class DemoSchool:
    """What the person starting the demo needs to see once."""

    passwords: dict[str, str] = field(default_factory=dict)
    consent_link: str | None = None
    not_enrolled: list[str] = field(default_factory=list)
    """Reference photos the enrolment refused (e.g. a second face in the background), with the reason."""
    album_media: list[int] = field(default_factory=list)
    """Media to hand to the worker once committed."""


def load(factory: sessionmaker[Session], sample_media: Path = SAMPLE_MEDIA) -> DemoSchool:
    demo = DemoSchool()
    with factory.begin() as session:
        demo.passwords = _staff(session)
        if not session.scalar(select(func.count()).select_from(Student)):
            demo.not_enrolled = _school(session, sample_media)
    with factory.begin() as session:
        demo.album_media = _album(session, sample_media)
        demo.consent_link = _a_consent_link(session)
    return demo


def _staff(session: Session) -> dict[str, str]:
    created = {}
    for username, role in STAFF.items():
        if session.scalar(select(User.id).where(User.username == username)) is None:
            created[username] = secrets.token_urlsafe(12)
            staff_service.create_user(session, username, f"Demo {role.value}", role, created[username], DEMO)
    return created


def _school(session: Session, sample_media: Path) -> list[str]:
    """The students, their consents and reference photos; returns the photos the enrolment refused."""
    today = _today(session)
    import_roster(session, parse_roster(_roster(today), today), DEMO, today)
    session.flush()
    granted = _consents(sample_media / "consents.csv")
    checker = PhotoChecker()
    refused = []
    for folder, (number, *_rest) in STUDENTS.items():
        student = find_student(session, number)
        decider = Decider.student() if student.age_on(today) >= 16 else Decider.of_guardian(_guardian(student))
        for purpose in [*granted.get(folder, []), FACE_MATCHING]:
            consent_service.grant(session, student, purpose, decider, ConsentMeans.PAPER, DEMO)
        photos = sorted(p for p in (sample_media / "people" / folder).iterdir() if p.suffix.lower() in PHOTO_SUFFIXES)
        for photo in photos:
            try:
                with session.begin_nested():
                    enrolment_service.enrol(session, student, [photo], checker, DEMO)
            except EnrolmentError as refusal:
                refused.append(f"{folder}/{refusal}")
    return refused


def _album(session: Session, sample_media: Path) -> list[int]:
    if session.scalar(select(Album.id).where(Album.name == ALBUM)) is not None:
        return []
    album = album_service.create_album(session, ALBUM, _today(session), None, DEMO)
    media_dir = settings_of(session).data_dir / "media"
    added = []
    with tempfile.TemporaryDirectory() as folder:
        for photo in sorted((sample_media / "events").glob("*.jpg")):
            incoming = Path(folder) / photo.name
            shutil.copyfile(photo, incoming)
            added.append(album_service.add_upload(session, album, photo.name, incoming, media_dir, DEMO).id)
    return added


def _a_consent_link(session: Session) -> str | None:
    """The link of Kit's guardian: a parent's view of the demo school."""
    student = find_student(session, STUDENTS["kit_harington"][0])
    zone = ZoneInfo(settings_of(session).school_timezone)
    last_day = school_year_of(_today(session))[2]
    valid_until = datetime.combine(last_day, time(23, 59), zone)
    issued = link_service.issue_links(session, DEMO, valid_until, student.group.name if student.group else None)
    return next((i.url for i in issued if i.student.id == student.id), None)


def _roster(today: date) -> str:
    header = "student_number,first_name,last_name,birth_date,group,student_email,guardian1_name,guardian1_email"
    rows = [header]
    for number, first, last, age in STUDENTS.values():
        last_birthday = (today - timedelta(days=40)).replace(day=1)
        born = last_birthday.replace(year=last_birthday.year - age)
        email = f"{first.lower()}@students.example.org" if age >= 16 else ""
        rows.append(
            f"{number},{first},{last},{born.isoformat()},7B,{email},Parent of {first},parent.{number}@example.org"
        )
    return "\n".join(rows) + "\n"


def _consents(path: Path) -> dict[str, list[str]]:
    granted: dict[str, list[str]] = {}
    with path.open(newline="", encoding="utf-8") as file:
        for row in csv.DictReader(file):
            granted.setdefault(row["person"], []).append(row["channel"])
    return granted


def _guardian(student: Student) -> Guardian:
    return student.guardianships[0].guardian


def _today(session: Session) -> date:
    return datetime.now(ZoneInfo(settings_of(session).school_timezone)).date()
