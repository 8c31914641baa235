"""Taking files through the check: claimed once, recovered when a worker is lost, videos per track."""

import shutil
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from mediacheck.check import PhotoChecker
from mediacheck.config import AppSettings
from mediacheck.matching import MatchStatus
from models import processing_service
from models.base import utcnow
from models.database import make_engine, session_factory
from models.media import Album, Media, MediaKind, MediaState
from models.media_service import add_media
from models.publication_service import WORKER
from tests.records.builders import STAFF
from tests.video_clips import stage_clip
from tests.worker.builders import media


def test_processing_claims_a_file_once_and_gives_up_on_one_that_keeps_stopping(
    factory: sessionmaker[Session], tmp_path: Path
) -> None:
    """Two workers never check one file at once; a file whose worker was lost is handed out again,
    and one that stops every check becomes an error instead of occupying the workers for ever."""
    with factory.begin() as session:
        album = Album(name="Sports day", created_by=str(STAFF))
        media_id, waiting = (
            add_media(session, name, tmp_path / name, "0" * 64, MediaKind.PHOTO, STAFF, album).id
            for name in ("a.jpg", "b.jpg")
        )
    now = utcnow()
    with factory.begin() as session:
        assert processing_service.claim(session, media_id, now).state is MediaState.PROCESSING
    with factory.begin() as session:
        assert processing_service.claim(session, media_id, now) is None, "another worker has it"
        album_id = session.get(Media, media_id).album_id
        assert processing_service.album_progress(session, album_id) == {
            MediaState.PROCESSING: 1,
            MediaState.UPLOADED: 1,
        }
        stale = processing_service.stale_media(session, now + processing_service.STALE_AFTER * 2)
        assert stale == [media_id, waiting]
    for attempt in range(2):
        later = now + processing_service.STALE_AFTER * (attempt + 2)
        with factory.begin() as session:
            assert processing_service.claim(session, media_id, later) is not None
    with factory.begin() as session:
        assert processing_service.claim(session, media_id, now + processing_service.STALE_AFTER * 9) is None
    stopped = media(factory, media_id)
    assert stopped.state is MediaState.ERROR and "several times" in stopped.check_error


def test_r1_r15_a_video_is_recorded_with_one_face_per_track(
    migrated_sqlite: Path, photo_checker: PhotoChecker, tmp_path: Path
) -> None:
    """Each face track becomes one recorded face, seen at a time in the video, clearly visible if it
    is so anywhere (R1); nobody is enrolled here, so each is unknown and the video is redacted."""
    shutil.copyfile(migrated_sqlite, tmp_path / "records.db")
    settings = AppSettings(data_dir=tmp_path / "data", database_url=f"sqlite:///{tmp_path / 'records.db'}")
    engine = make_engine(settings.database_url)
    factory = session_factory(settings, engine)
    clip = stage_clip(tmp_path / "musical.mp4", frames=30, sound=None)
    with factory.begin() as session:
        media_id = add_media(session, "musical.mp4", clip.path, "0" * 64, MediaKind.VIDEO, STAFF).id
    assert processing_service.process(factory, photo_checker, media_id, WORKER) is MediaState.CHECKED
    with factory() as session:
        recorded = session.get(Media, media_id)
        assert (recorded.width, recorded.height) == (480, 270)
        visible = [f for f in recorded.faces if f.clearly_visible]
        assert len(visible) >= 2, "obama's track and biden's"
        assert all(f.match_status == MatchStatus.NOT_CHECKED for f in recorded.faces)
        assert all(0 <= f.frame_ms < 1000 for f in recorded.faces), "30 frames at 30 fps"
        assert {d.status for d in recorded.decisions} == {"redacted", "blocked"}
    engine.dispose()
