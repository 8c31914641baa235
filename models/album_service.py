"""Event albums and the files teachers upload into them (R8: a teacher sees only their own albums).

An upload is stored under its content hash, recorded as media, and handed to the worker by the
caller after the commit; the teacher never waits for the check. A file's state (processing,
checked, could not be checked) is read from the media row the worker fills in.
"""

import hashlib
import shutil
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mediacheck.gallery import PHOTO_SUFFIXES
from mediacheck.imaging import write_clean_original
from mediacheck.video import VIDEO_SUFFIXES
from models import audit_service, media_service, policy_service
from models.audit import Actor
from models.errors import NotFound, RecordsError
from models.media import Album, Media, MediaKind, MediaState
from models.plain_text import refuse_control_characters
from models.school import Group, SchoolYear
from models.uploads import UploadRefused, verify

DEFAULT_SUFFIX = {MediaKind.PHOTO: ".jpg", MediaKind.VIDEO: ".mp4"}


@dataclass(frozen=True)
class FileState:
    state: str
    """"waiting", "processing", "checked" or "failed"."""
    reason: str | None = None
    progress: int | None = None
    """Percent done of a long check (a video's frames) while it runs."""


_SHOWN = {
    MediaState.UPLOADED: "waiting",
    MediaState.PROCESSING: "processing",
    MediaState.CHECKED: "checked",
    MediaState.ERROR: "failed",
}


def create_album(session: Session, name: str, event_date: date | None, group: Group | None, actor: Actor) -> Album:
    if not name.strip():
        raise RecordsError("an album needs the event's name")
    refuse_control_characters("the album's name", name)
    album = Album(name=name.strip(), event_date=event_date, group=group, created_by=str(actor))
    session.add(album)
    session.flush()
    audit_service.record(session, actor, "album.create", "album", album.id)
    return album


def albums(session: Session, actor: Actor, see_all: bool) -> list[Album]:
    """Newest event first; a teacher (`see_all` False) gets only the albums they created."""
    query = select(Album).order_by(Album.event_date.desc().nulls_last(), Album.id.desc())
    if not see_all:
        query = query.where(Album.created_by == str(actor))
    return list(session.scalars(query))


def album(session: Session, album_id: int, actor: Actor, see_all: bool) -> Album:
    """One album, or `NotFound` when it does not exist or is not the teacher's: both look the same."""
    found = session.get(Album, album_id)
    if found is None or (not see_all and found.created_by != str(actor)):
        raise NotFound("no such album")
    return found


def album_media(session: Session, album: Album) -> list[Media]:
    return list(session.scalars(select(Media).where(Media.album_id == album.id).order_by(Media.id)))


def media_counts(session: Session) -> dict[int, int]:
    return dict(session.execute(select(Media.album_id, func.count()).group_by(Media.album_id)).all())


def groups(session: Session) -> list[Group]:
    """The groups of the newest school year, for naming an album's group."""
    year = session.scalar(select(SchoolYear).order_by(SchoolYear.starts_on.desc()).limit(1))
    if year is None:
        return []
    return list(session.scalars(select(Group).where(Group.school_year_id == year.id).order_by(Group.name)))


def add_upload(session: Session, album: Album, filename: str, incoming: Path, media_dir: Path, actor: Actor) -> Media:
    """Take in one uploaded file (already within the size limit) or raise `UploadRefused` with the reason."""
    max_pixels = policy_service.check_settings(session).max_pixels
    kind = verify(incoming, max_pixels)
    digest = _sha256(incoming)
    duplicate = session.scalar(select(Media.id).where(Media.album_id == album.id, Media.sha256 == digest).limit(1))
    if duplicate is not None:
        raise UploadRefused("already in this album (the same file was uploaded before)")
    target = media_dir / f"{digest}{_suffix(filename, kind)}"
    media_dir.mkdir(parents=True, exist_ok=True)
    if kind is MediaKind.PHOTO:
        target = write_clean_original(incoming, target, max_pixels)
    elif not target.exists():
        shutil.move(incoming, target)
    return media_service.add_media(session, Path(filename).name[:255], target, digest, kind, actor, album)


def file_state(media: Media) -> FileState:
    shown = "failed" if media.check_error else _SHOWN[media.state]
    running = media.state is MediaState.PROCESSING and media.check_progress is not None
    return FileState(shown, media.check_error, round(media.check_progress * 100) if running else None)


def _suffix(filename: str, kind: MediaKind) -> str:
    """Keep a known suffix of the right kind (the worker tells videos by it), else the kind's default."""
    suffix = Path(filename).suffix.lower()
    known = PHOTO_SUFFIXES if kind is MediaKind.PHOTO else VIDEO_SUFFIXES
    return suffix if suffix in known else DEFAULT_SUFFIX[kind]


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
