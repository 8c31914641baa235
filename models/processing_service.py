"""Take an uploaded file through the photo check and record what it found (R1, R11a, R15).

A file goes uploaded → processing → checked (or error, fail closed). The check takes seconds,
so it runs outside any transaction: claiming the file and recording the result are short
transactions of their own, and the album's live view sees each step as it happens. A file whose
worker stopped half-way is handed out again; after `MAX_CHECK_ATTEMPTS` it is an error, so a file
that crashes every worker cannot keep them busy for ever.
"""

import copy
import time
from collections import Counter
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from mediacheck.check import CheckedFace, CheckedPhoto, CheckInputs, PhotoChecker
from mediacheck.config import AppSettings
from mediacheck.tracking import TrackPath
from mediacheck.video import ProgressCallback, VideoError, check_video, load_tracks, save_tracks
from models import media_service
from models.audit import Actor
from models.base import utcnow
from models.database import settings_of
from models.errors import NotFound
from models.gallery_source import check_inputs
from models.locks import lock_rows
from models.media import Media, MediaKind, MediaState

STALE_AFTER = timedelta(seconds=AppSettings.model_fields["check_lease_seconds"].default)
"""By default, a file waiting or processing this long is handed out again (its message or its worker
was lost); `AppSettings.check_lease_seconds` sets it (`stale_after`)."""
MAX_CHECK_ATTEMPTS = 3
PROGRESS_INTERVAL = 1.0
"""Seconds between two records of a long check's progress."""


def claim(session: Session, media_id: int, now: datetime) -> Media | None:
    """Mark the file as being checked now, or None when it is checked already or another worker
    is on it. Runs alone in its transaction, so two workers never check one file at once."""
    lock_rows(session, Media, [media_id])
    media = session.get(Media, media_id, populate_existing=True)
    if media is None:
        raise NotFound(f"no media {media_id}")
    if media.state in (MediaState.CHECKED, MediaState.ERROR):
        return None
    if media.state is MediaState.PROCESSING and media.processing_started_at > now - stale_after(session):
        return None
    if media.check_attempts >= MAX_CHECK_ATTEMPTS:
        media.state, media.check_error = MediaState.ERROR, "the check stopped without finishing, several times"
        media.checked_at = now
        return None
    media.state, media.processing_started_at, media.check_progress = MediaState.PROCESSING, now, None
    media.check_attempts += 1
    return media


def process(factory: sessionmaker[Session], checker: PhotoChecker, media_id: int, actor: Actor) -> MediaState | None:
    """Check one file with the gallery, consents and policy in force now, and record the outcome.

    `checker` brings the loaded models (once per process); its inputs are replaced. Returns the
    file's new state, or None when there was nothing to do."""
    with factory.begin() as session:
        media = claim(session, media_id, utcnow())
        if media is None:
            return None
        path, kind, started = Path(media.storage_path), media.kind, media.processing_started_at
        inputs = check_inputs(session)
    checked, seen_at = check_file(with_inputs(checker, inputs), path, kind, _progress_recorder(factory, media_id))
    with factory.begin() as session:
        lock_rows(session, Media, [media_id])
        media = session.get(Media, media_id, populate_existing=True)
        if media.state is not MediaState.PROCESSING or media.processing_started_at != started:
            return None  # it was handed to another worker meanwhile: that one records
        media_service.record_check(session, media, checked, inputs.policy.version, actor)
        media.check_progress = None
        for face, frame_ms in zip(media.faces, seen_at, strict=False):
            face.frame_ms = frame_ms
        return media.state


def with_inputs(checker: PhotoChecker, inputs: CheckInputs) -> PhotoChecker:
    """`checker`'s loaded models with these inputs; new models only when the policy changed their thresholds."""
    if checker.settings != inputs.settings:
        return PhotoChecker.from_inputs(inputs)
    ready = copy.copy(checker)
    ready.gallery, ready.consents, ready.policy = inputs.gallery, inputs.consents, inputs.policy
    return ready


def check_file(
    checker: PhotoChecker, path: Path, kind: MediaKind, on_progress: ProgressCallback | None = None
) -> tuple[CheckedPhoto, list[int | None]]:
    """The check's outcome in the form the records keep, and the time (ms) each face was seen at.

    A video is recorded with one face per face track: where the track is seen largest, clearly
    visible if it is so anywhere (R1), with the track's one identity (R15). Where each track is in
    every frame goes to `tracks_file(path)`, to write the copies from at publication."""
    if kind is MediaKind.PHOTO:
        return checker.check(path)[0], []
    video = check_video(checker, path, on_progress)
    if not video.error:
        save_tracks(video.tracks, tracks_file(path))
    faces, seen_at = [], []
    for track in video.tracks:
        largest = max(track.observations, key=lambda o: o.face.face.box.area)
        visibility = replace(largest.face.visibility, clearly_visible=track.clearly_visible)
        faces.append(CheckedFace(largest.face.face, visibility, track.match))
        seen_at.append(round(largest.frame * 1000 / video.fps) if video.fps else None)
    checked = CheckedPhoto(path, video.width, video.height, tuple(faces), video.decisions, video.error)
    return checked, seen_at


def tracks_file(path: Path) -> Path:
    """Where the face tracks of the video stored at `path` are kept."""
    return path.with_name(f"{path.name}.tracks.npz")


def kept_tracks(checked: CheckedPhoto) -> list[TrackPath]:
    """The tracks kept for a checked video, in the order of its recorded faces, so that a face's
    position names its track. Raises `VideoError` when they are missing or were kept by another
    check than the one recorded (then the positions mean nothing: nothing may be written from them)."""
    tracks = load_tracks(tracks_file(checked.path))
    if len(tracks) != len(checked.faces):
        raise VideoError("the video's face tracks do not belong to its recorded check: check it again")
    return tracks


def _progress_recorder(factory: sessionmaker[Session], media_id: int) -> ProgressCallback:
    """Record how far a long check is, at most every `PROGRESS_INTERVAL` seconds (each is a write)."""
    last = 0.0

    def record(done: int, total: int) -> None:
        nonlocal last
        if total <= 0 or time.monotonic() - last < PROGRESS_INTERVAL:
            return
        last = time.monotonic()
        with factory.begin() as session:
            session.execute(update(Media).where(Media.id == media_id).values(check_progress=min(done / total, 1.0)))

    return record


def stale_after(session: Session) -> timedelta:
    """How long a file may wait or be processing before it is handed out again, as configured."""
    return timedelta(seconds=settings_of(session).check_lease_seconds)


def stale_media(session: Session, now: datetime) -> list[int]:
    """Files whose message or worker was lost: waiting or processing for longer than `stale_after`."""
    stale = now - stale_after(session)
    return list(
        session.scalars(
            select(Media.id)
            .where(
                or_(
                    (Media.state == MediaState.UPLOADED) & (Media.uploaded_at < stale),
                    (Media.state == MediaState.PROCESSING) & (Media.processing_started_at < stale),
                )
            )
            .order_by(Media.id)
        )
    )


def album_progress(session: Session, album_id: int) -> Counter[MediaState]:
    """How many of the album's files are in each state, for the live view."""
    rows = session.execute(select(Media.state, func.count()).where(Media.album_id == album_id).group_by(Media.state))
    return Counter({state: count for state, count in rows})
