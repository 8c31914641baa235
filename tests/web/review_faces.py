"""Faces to review, made as the worker makes them: a file in an album of its own, checked by the
worker's own step; and what the matcher would have recorded for a face, set directly."""

import shutil
from pathlib import Path

from sqlalchemy import select

from mediacheck.check import PhotoChecker
from models import album_service, processing_service
from models.audit import Actor, ActorRole
from models.database import make_engine, session_factory
from models.media import DetectedFace, ReviewState
from models.school_service import find_student
from tests.samples import EVENTS
from tests.web.database import records
from tests.web.servers import Server

TEACHER = Actor(ActorRole.STAFF, "teacher")
SYSTEM = Actor(ActorRole.SYSTEM, "test")


def checked_photo(server: Server, checker: PhotoChecker, folder: Path, name: str) -> tuple[int, list[int]]:
    incoming = folder / name
    shutil.copyfile(EVENTS / name, incoming)
    return checked_file(server, checker, folder, incoming)


def checked_file(server: Server, checker: PhotoChecker, folder: Path, incoming: Path) -> tuple[int, list[int]]:
    """The file in an album of its own, checked by the worker's own step; its clearly visible faces."""
    with records(server) as session:
        album = album_service.create_album(session, f"Review {folder.name}", None, None, TEACHER)
        media_dir = server.settings.data_dir / "media"
        media_id = album_service.add_upload(session, album, incoming.name, incoming, media_dir, TEACHER).id
    engine = make_engine(server.settings.database_url)
    try:
        processing_service.process(session_factory(server.settings, engine), checker, media_id, SYSTEM)
    finally:
        engine.dispose()
    with records(server) as session:
        faces = session.scalars(
            select(DetectedFace.id)
            .where(DetectedFace.media_id == media_id, DetectedFace.clearly_visible)
            .order_by(DetectedFace.position)
        ).all()
    return media_id, list(faces)


def set_match(server: Server, face_id: int, student_number: str, matched: bool) -> None:
    """What the matcher would have recorded: a confident match (distance 0.05), or unsure with a candidate."""
    with records(server) as session:
        face = session.get(DetectedFace, face_id)
        face.student = find_student(session, student_number)
        face.distance, face.margin = (0.05, 0.3) if matched else (0.5, 0.01)
        face.match_status = "matched" if matched else "unsure"
        face.review_state = ReviewState.NOT_NEEDED if matched else ReviewState.PENDING
