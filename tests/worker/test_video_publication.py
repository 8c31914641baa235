"""Videos through the worker's services, on SQLite and PostgreSQL (R1, R2, R5, R10): checked once,
their face tracks kept, and each channel's copy written at publication from those tracks, with
every frame of a face without consent hidden and the sound copied unchanged."""

from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from mediacheck.channels.configured import ConfiguredChannels
from mediacheck.check import PhotoChecker
from mediacheck.config import AppSettings
from models import enrolment_service, processing_service
from models import publication_service as service
from models.media import MediaKind, MediaState, PublicationState
from models.publication_service import PublicationRefused
from models.school import Student
from tests.records.builders import STAFF
from tests.samples import PEOPLE
from tests.video_clips import Clip, expect_same_frames_and_sound, frames_showing, stage_clip
from tests.worker.builders import School, media, publications, school, upload, withdraw


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Clip:
    """Obama sits still on the left; biden walks in from the right and out through the bottom."""
    return stage_clip(tmp_path_factory.mktemp("clip") / "musical.mp4")


@pytest.fixture
def kids(factory: sessionmaker[Session], photo_checker: PhotoChecker) -> School:
    """Sanne is the face obama's photos show (consent for the public website), Noor biden's (none)."""
    kids = school(factory)
    with factory.begin() as session:
        for student_id, person in ((kids.sanne, "obama"), (kids.noor, "biden")):
            student = session.get(Student, student_id)
            enrolment_service.enrol(session, student, [PEOPLE / person / "1.jpg"], photo_checker, STAFF)
    return kids


def checked_video(factory: sessionmaker[Session], settings: AppSettings, checker: PhotoChecker, clip: Clip) -> int:
    media_id = upload(factory, settings, clip.path, MediaKind.VIDEO)
    assert processing_service.process(factory, checker, media_id, service.WORKER) is MediaState.CHECKED
    return media_id


def copy_on(settings: AppSettings, channel: str, external_id: str) -> Path:
    return settings.data_dir / "published" / channel / external_id


def test_r1_r5_a_video_goes_out_with_unconsented_faces_hidden_and_after_withdrawal_comes_back_hiding_more(
    factory: sessionmaker[Session], settings: AppSettings, photo_checker: PhotoChecker, kids: School, clip: Clip
) -> None:
    channels = ConfiguredChannels(settings)
    media_id = checked_video(factory, settings, photo_checker, clip)
    assert service.publish(factory, channels, photo_checker, media_id, "public", service.WORKER) is (
        PublicationState.PUBLISHED
    )
    [first] = publications(factory, media_id)
    out = copy_on(settings, "public", first.external_id)
    assert out.suffix == ".mp4" and "musical" not in out.name, "a pseudonymous name (R10)"
    expect_same_frames_and_sound(clip.path, out)
    assert frames_showing(clip, out, "biden") == [], "Noor (biden) has no consent: hidden in every frame"
    assert len(frames_showing(clip, out, "obama")) == clip.frames, "Sanne (obama) consented: untouched"

    withdraw(factory, kids.sanne, "public")
    with factory.begin() as session:
        assert service.apply_consent_change(session, kids.sanne, "public") == [first.id]
    assert service.take_down(factory, channels, first.id).replace and not out.exists()
    replacement, rendered = service.prepare_replacement(factory, photo_checker, first.id)
    assert service.send(factory, channels, photo_checker, replacement, rendered) is PublicationState.PUBLISHED
    [_, second] = publications(factory, media_id)
    again = copy_on(settings, "public", second.external_id)
    expect_same_frames_and_sound(clip.path, again)
    assert frames_showing(clip, again, "biden") == frames_showing(clip, again, "obama") == [], "now nobody (R5)"


def test_a_video_whose_face_tracks_are_missing_goes_nowhere(
    factory: sessionmaker[Session], settings: AppSettings, photo_checker: PhotoChecker, kids: School, clip: Clip
) -> None:
    """The copy can only hide what the check found: without its tracks, nothing is written (fail closed)."""
    media_id = checked_video(factory, settings, photo_checker, clip)
    processing_service.tracks_file(Path(media(factory, media_id).storage_path)).unlink()
    with pytest.raises(PublicationRefused, match="face tracks"):
        service.publish(factory, ConfiguredChannels(settings), photo_checker, media_id, "protected", service.WORKER)
    assert publications(factory, media_id) == []
