"""A demo school from sample photos, so a newcomer sees a working school within a minute.

The photos come from the first of `sample_folders` laid out like the shared sample faces
(people/<name>/, events/). Every person in people/ becomes a student of group 7B with one guardian;
the consents in the folder's consents.csv (else sample_media/consents.csv, by folder name) are
entered as signed paper forms, everyone gets face-matching consent and is enrolled from their
folder, and the event photos land in one album for the worker to check. Staff accounts for each
role are created with passwords printed once; without photos the school has only those. Loading
twice adds nothing.
"""

import csv
import secrets
import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from mediacheck.check import PhotoChecker
from mediacheck.gallery import PHOTO_SUFFIXES, EnrolmentError
from mediacheck.samples import CONSENTS, sample_faces_dir
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
from web import demo_photos

DEMO = Actor(ActorRole.SYSTEM, "demo")
ALBUM = "School musical (demo)"
StudentRow = tuple[str, str, str, int]
"""Student number, first name, last name, age today."""
STUDENTS: dict[str, StudentRow] = {
    "obama": ("1001", "Barack", "Obama", 12),
    "biden": ("1002", "Joe", "Biden", 13),
    "kit_harington": ("1003", "Kit", "Harington", 12),
    "rose_leslie": ("1004", "Rose", "Leslie", 12),
    "alex_lacamoire": ("1005", "Alex", "Lacamoire", 13),
    "lin_manuel_miranda": ("1006", "Lin-Manuel", "Miranda", 16),
}
"""Folder in the sample faces' people/ → student number, names, age today (16+ decides alone, R6).
Any other folder becomes a student of 12 numbered from OTHERS, named after the folder."""
OTHERS = 2001
LINK_FOR = "kit_harington"
"""Whose guardian's consent link is printed; the first student's when the school has no such folder."""
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


def sample_folders(named: Path | None = None) -> dict[Path, str]:
    """Where the demo looks for its photos, in order, each with what it is in words."""
    folders = {named: "the folder named with --samples"} if named else {}
    return folders | {
        sample_faces_dir(): "the shared sample faces (MEDIACHECK_SHARED names the shared folder, else ../shared)",
        demo_photos.FOLDER: "the photos `make install` takes from the face_recognition package",
    }


def find_samples(folders: Iterable[Path]) -> Path | None:
    """The first folder laid out like the sample faces (a people/ folder in it), if any."""
    return next((folder for folder in folders if (folder / "people").is_dir()), None)


def load(factory: sessionmaker[Session], samples: Path | None) -> DemoSchool:
    demo = DemoSchool()
    with factory.begin() as session:
        demo.passwords = _staff(session)
        if samples is None:
            return demo
        students = _students(samples / "people")
        if not session.scalar(select(func.count()).select_from(Student)):
            demo.not_enrolled = _school(session, samples, students)
    with factory.begin() as session:
        demo.album_media = _album(session, samples)
        demo.consent_link = _a_consent_link(session, students)
    return demo


def _staff(session: Session) -> dict[str, str]:
    created = {}
    for username, role in STAFF.items():
        if session.scalar(select(User.id).where(User.username == username)) is None:
            created[username] = secrets.token_urlsafe(12)
            staff_service.create_user(session, username, f"Demo {role.value}", role, created[username], DEMO)
    return created


def _students(people: Path) -> dict[str, StudentRow]:
    """The folders in `people` → student number, names, age; the sample faces' people keep theirs."""
    folders = sorted(folder.name for folder in people.iterdir() if folder.is_dir())
    others = [folder for folder in folders if folder not in STUDENTS]
    return {
        **{folder: STUDENTS[folder] for folder in folders if folder in STUDENTS},
        **{folder: (str(OTHERS + i), *_names(folder), 12) for i, folder in enumerate(others)},
    }


def _names(folder: str) -> tuple[str, str]:
    """First and last name from a folder name: lin_manuel_miranda → Lin, Manuel Miranda; obama → Obama, Obama."""
    first, *last = folder.replace("-", "_").split("_")
    return first.title(), " ".join(last).title() or first.title()


def _school(session: Session, samples: Path, students: dict[str, StudentRow]) -> list[str]:
    """The students, their consents and reference photos; returns the photos the enrolment refused."""
    today = _today(session)
    import_roster(session, parse_roster(_roster(today, students), today), DEMO, today)
    session.flush()
    own = samples / "consents.csv"
    granted = _consents(own if own.is_file() else CONSENTS)
    checker = PhotoChecker()
    refused = []
    for folder, (number, *_rest) in students.items():
        student = find_student(session, number)
        decider = Decider.student() if student.age_on(today) >= 16 else Decider.of_guardian(_guardian(student))
        for purpose in [*granted.get(folder, []), FACE_MATCHING]:
            consent_service.grant(session, student, purpose, decider, ConsentMeans.PAPER, DEMO)
        for photo in _photos(samples / "people" / folder):
            try:
                with session.begin_nested():
                    enrolment_service.enrol(session, student, [photo], checker, DEMO)
            except EnrolmentError as refusal:
                refused.append(f"{folder}/{refusal}")
    return refused


def _photos(folder: Path) -> list[Path]:
    return sorted(p for p in folder.glob("*") if p.suffix.lower() in PHOTO_SUFFIXES) if folder.is_dir() else []


def _album(session: Session, samples: Path) -> list[int]:
    if session.scalar(select(Album.id).where(Album.name == ALBUM)) is not None:
        return []
    album = album_service.create_album(session, ALBUM, _today(session), None, DEMO)
    media_dir = settings_of(session).data_dir / "media"
    added = []
    with tempfile.TemporaryDirectory() as folder:
        for photo in _photos(samples / "events"):
            incoming = Path(folder) / photo.name
            shutil.copyfile(photo, incoming)
            added.append(album_service.add_upload(session, album, photo.name, incoming, media_dir, DEMO).id)
    return added


def _a_consent_link(session: Session, students: dict[str, StudentRow]) -> str | None:
    """The link of one student's guardian (Kit's when there is a Kit): a parent's view of the demo school."""
    if not students:
        return None
    number = students[LINK_FOR if LINK_FOR in students else next(iter(students))][0]
    student = session.scalar(select(Student).where(Student.student_number == number))
    if student is None:  # a school loaded earlier from other photos
        return None
    zone = ZoneInfo(settings_of(session).school_timezone)
    last_day = school_year_of(_today(session))[2]
    valid_until = datetime.combine(last_day, time(23, 59), zone)
    issued = link_service.issue_links(session, DEMO, valid_until, student.group.name if student.group else None)
    return next((i.url for i in issued if i.student.id == student.id), None)


def _roster(today: date, students: dict[str, StudentRow]) -> str:
    header = "student_number,first_name,last_name,birth_date,group,student_email,guardian1_name,guardian1_email"
    rows = [header]
    for number, first, last, age in students.values():
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
