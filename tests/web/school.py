"""A small school built through the real services on the database a running web app uses: two
students with a consent link each, staff of every role, an album with a checked photo, a
reference photo, and a publication; every id a route can name."""

import shutil
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from mediacheck.check import PhotoChecker
from mediacheck.config import AppSettings
from models import (
    album_service,
    consent_service,
    decision_service,
    enrolment_service,
    link_service,
    media_service,
    publication_service,
    staff_service,
)
from models.audit import Actor, ActorRole
from models.base import utcnow
from models.consent import ConsentMeans
from models.consent_service import Decider
from models.database import make_engine, session_factory
from models.media import DetectedFace
from models.roster_csv import parse_roster
from models.school_service import find_student, import_roster
from models.staff import StaffRole, User
from tests.records.builders import NOOR, PHOTO_OF, SANNE, TODAY, roster
from tests.samples import EVENTS
from tests.web.servers import ADMIN_PASSWORD

SEED = Actor(ActorRole.SYSTEM, "test-seed")
PASSWORD = "a-long-test-password"
ACCOUNTS = {
    "teacher": StaffRole.TEACHER,
    "other_teacher": StaffRole.TEACHER,
    "communications": StaffRole.COMMUNICATIONS,
    "reviewer": StaffRole.REVIEWER,
}


@dataclass
class School:
    """Ids of what the routes name, the two consent tokens, and who can log in with what."""

    ids: dict[str, str] = field(default_factory=dict)
    token_sanne: str = ""
    token_noor: str = ""
    passwords: dict[str, str] = field(default_factory=dict)


def build_school(settings: AppSettings, checker: PhotoChecker, folder: Path) -> School:
    """Sanne (1001) has public and face-matching consent and a reference photo; Noor (1003) has nothing.
    The teacher's album holds obama_and_biden.jpg, checked, and published on the protected site."""
    engine = make_engine(settings.database_url)
    factory = session_factory(settings, engine)
    school = School(passwords={"admin": ADMIN_PASSWORD})
    try:
        with factory.begin() as session:
            import_roster(session, parse_roster(roster(SANNE, NOOR), TODAY), SEED, TODAY)
            for username, role in ACCOUNTS.items():
                staff_service.create_user(session, username, username, role, PASSWORD, SEED)
                school.passwords[username] = PASSWORD
        with factory.begin() as session:
            sanne = find_student(session, "1001")
            guardian = Decider.of_guardian(sanne.guardianships[0].guardian)
            for purpose in ("public", "face-matching"):
                consent_service.grant(session, sanne, purpose, guardian, ConsentMeans.PAPER, SEED)
            reference = enrolment_service.enrol(session, sanne, [PHOTO_OF["1001"]], checker, SEED).references[0]
            school.ids |= {
                "student_id": str(sanne.id),
                "reference_id": str(reference.id),
                "guardian_id": str(sanne.guardianships[0].guardian_id),
            }
            issued = link_service.issue_links(session, SEED, utcnow() + timedelta(days=30))
            tokens = {i.student.student_number: urlsplit(i.url).path.rsplit("/", 1)[1] for i in issued}
            school.token_sanne, school.token_noor = tokens["1001"], tokens["1003"]
            school.ids["user_id"] = str(session.scalar(select(User.id).where(User.username == "other_teacher")))
        with factory.begin() as session:
            school.ids |= _album_with_a_photo(session, checker, settings, folder)
    finally:
        engine.dispose()
    return school


def _album_with_a_photo(session: Session, checker: PhotoChecker, settings: AppSettings, folder: Path) -> dict[str, str]:
    teacher = Actor(ActorRole.STAFF, "teacher")
    album = album_service.create_album(session, "Sports day", TODAY, None, teacher)
    incoming = folder / "upload.jpg"
    shutil.copyfile(EVENTS / "obama_and_biden.jpg", incoming)
    media = album_service.add_upload(
        session, album, "obama_and_biden.jpg", incoming, settings.data_dir / "media", teacher
    )
    checked, _ = checker.check(Path(media.storage_path))
    media_service.record_check(session, media, checked, 0, SEED)
    content, suffix = decision_service.render(session, media, "protected", checker)
    redacted = tuple(decision_service.current_decisions(session, media)["protected"].redact)
    rendered = publication_service.Rendered(content, suffix, redacted)
    publication = publication_service.request_publication(session, media.id, "protected", SEED, rendered)
    face = session.scalar(select(DetectedFace).where(DetectedFace.media_id == media.id).limit(1))
    return {
        "album_id": str(album.id),
        "media_id": str(media.id),
        "face_id": str(face.id),
        "publication_id": str(publication.id),
        "channel": "public",
        "claim_id": "0",  # none: the claim routes need no fields, so they are only tried up to their CSRF gate
    }
