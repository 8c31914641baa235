"""A small school and a photo whose check result is written straight into the records, so the
publication tests need no face models; the end-to-end tests run the real check in the worker."""

import hashlib
import io
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from mediacheck.check import CheckedFace, CheckedPhoto, PhotoChecker
from mediacheck.config import AppSettings
from mediacheck.faces import Box, Face
from mediacheck.matching import Match, MatchStatus
from mediacheck.policy import DEFAULT_POLICY, decide_unreadable
from mediacheck.visibility import Visibility
from models import consent_service, enrolment_service, media_service
from models.channels import FACE_MATCHING
from models.consent import ConsentMeans
from models.consent_service import Decider
from models.media import Media, MediaKind, MediaState, Publication, PublicationState
from models.roster_csv import parse_roster
from models.school import Student
from models.school_service import import_roster
from tests.records.builders import PHOTO_OF, STAFF, TODAY, roster

SANNE_BOX = Box(40, 130, 120, 60)
NOOR_BOX = Box(40, 270, 120, 200)


@dataclass(frozen=True)
class School:
    sanne: int
    noor: int


def school(factory: sessionmaker[Session], *rows: str) -> School:
    """Sanne (consent for the protected site and the public website, not Facebook) and Noor (no channel
    consent); both may be recognised (face-matching consent, R11)."""
    rows = rows or (
        "1001,Sanne,de Vries,2014-03-04,7B,,Petra de Vries,petra@example.org,,",
        "1003,Noor,Bakker,2015-02-01,6A,,Ali Bakker,ali@example.org,,",
    )
    with factory.begin() as session:
        import_roster(session, parse_roster(roster(*rows), TODAY), STAFF, TODAY)
    with factory.begin() as session:
        students = {s.first_name: s for s in session.scalars(select(Student))}
        for channel in ("protected", "public", FACE_MATCHING):
            decide(session, students["Sanne"], channel, granted=True)
        decide(session, students["Noor"], FACE_MATCHING, granted=True)
        return School(students["Sanne"].id, students["Noor"].id)


def enrol(factory: sessionmaker[Session], kids: School, checker: PhotoChecker) -> None:
    """Enrol Sanne and Noor for face matching from their reference photos (R11)."""
    with factory.begin() as session:
        for student_id, number in ((kids.sanne, "1001"), (kids.noor, "1003")):
            student = session.get(Student, student_id)
            enrolment_service.enrol(session, student, [PHOTO_OF[number]], checker, STAFF)


def decide(session: Session, student: Student, channel: str, granted: bool) -> None:
    guardian = Decider.of_guardian(student.guardianships[0].guardian)
    act = consent_service.grant if granted else consent_service.withdraw
    act(session, student, channel, guardian, ConsentMeans.PAPER, STAFF)


def withdraw(factory: sessionmaker[Session], student_id: int, channel: str) -> None:
    with factory.begin() as session:
        decide(session, session.get(Student, student_id), channel, granted=False)


def photo(directory: Path) -> Path:
    """A 320×240 JPEG of 8-px tiles (which JPEG keeps and redaction destroys), with EXIF that must never
    go out (R10)."""
    tiles = np.random.default_rng(7).integers(0, 256, (30, 40, 3), dtype=np.uint8)
    image = Image.fromarray(tiles.repeat(8, axis=0).repeat(8, axis=1))
    exif = Image.Exif()
    exif[0x010F] = "SchoolCam"  # Make
    exif[0x9003] = "2025:09:01 10:00:00"
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=95, exif=exif)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "IMG_0001 Sanne de Vries.jpg"
    path.write_bytes(buffer.getvalue())
    return path


def checked_media(
    factory: sessionmaker[Session], directory: Path, faces: dict[int, Box], error: str | None = None
) -> int:
    """A photo recorded as checked, with one clearly visible face matched to each student given."""
    path = photo(directory)
    with factory.begin() as session:
        media = media_service.add_media(session, path.name, path, "0" * 64, MediaKind.PHOTO, STAFF)
        pseudonyms = {s.id: s.pseudonym for s in session.scalars(select(Student).where(Student.id.in_(faces)))}
        checked = CheckedPhoto(
            path,
            320,
            240,
            tuple(
                CheckedFace(
                    Face(box, 0.99, (), 1.0),
                    Visibility(150.0, 50.0, 1.0, True),
                    Match(MatchStatus.MATCHED, pseudonyms[student_id], 0.3, 0.2),
                )
                for student_id, box in faces.items()
            ),
            decide_unreadable(DEFAULT_POLICY),  # the stored decisions do not matter: publication decides again
            error,
        )
        media_service.record_check(session, media, checked, 0, STAFF)
        return media.id


def publication(factory: sessionmaker[Session], publication_id: int) -> Publication:
    with factory() as session:
        found = session.get(Publication, publication_id)
        assert found is not None
        return found


def publications(factory: sessionmaker[Session], media_id: int) -> list[Publication]:
    with factory() as session:
        return list(
            session.scalars(select(Publication).where(Publication.media_id == media_id).order_by(Publication.id))
        )


def media(factory: sessionmaker[Session], media_id: int) -> Media:
    with factory() as session:
        found = session.get(Media, media_id)
        assert found is not None
        return found


def upload(
    records: sessionmaker[Session], settings: AppSettings, photo: Path, kind: MediaKind = MediaKind.PHOTO
) -> int:
    """Store a copy of `photo` (or video) as an upload, the way the web app does, and record it."""
    digest = hashlib.sha256(photo.read_bytes()).hexdigest()
    stored = settings.data_dir / "media" / f"{digest}{photo.suffix}"
    stored.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(photo, stored)
    with records.begin() as session:
        return media_service.add_media(session, photo.name, stored, digest, kind, STAFF).id


def state_of(records: sessionmaker[Session], media_id: int) -> MediaState:
    return media(records, media_id).state


def latest(
    records: sessionmaker[Session], media_id: int, channel_id: int, state: PublicationState
) -> Publication | None:
    """The newest publication of the media on the channel, if it is in `state`."""
    with records() as session:
        found = session.scalar(
            select(Publication)
            .where(Publication.media_id == media_id, Publication.channel_id == channel_id)
            .order_by(Publication.id.desc())
            .limit(1)
        )
    return found if found is not None and found.state is state else None


def replacement_of(records: sessionmaker[Session], publication_id: int) -> Publication | None:
    """The published copy that replaces a publication taken down after a withdrawal."""
    with records() as session:
        return session.scalar(
            select(Publication).where(
                Publication.replaces_id == publication_id, Publication.state == PublicationState.PUBLISHED
            )
        )


def grant(factory: sessionmaker[Session], student_id: int, channel: str) -> None:
    with factory.begin() as session:
        decide(session, session.get(Student, student_id), channel, granted=True)


def channel_files(settings: AppSettings, channel: str) -> list[str]:
    """The files on a folder channel that is not configured otherwise (`data_dir/published/<key>`)."""
    folder = settings.data_dir / "published" / channel
    return sorted(p.name for p in folder.iterdir() if not p.name.startswith(".")) if folder.exists() else []


def large_photo(directory: Path, *sources: Path) -> Path:
    """A 12-megapixel JPEG (4000×3000, a phone camera's) tiled from `sources`: its check takes seconds."""
    canvas = Image.new("RGB", (4000, 3000))
    for index, source in enumerate(sources[:4]):
        with Image.open(source) as tile:
            canvas.paste(tile.convert("RGB").resize((2000, 1500)), (index % 2 * 2000, index // 2 * 1500))
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "IMG_4000x3000.jpg"
    canvas.save(path, "JPEG", quality=90)
    return path
