"""A real worker on the embedded setup: SQLite, the folder broker, folder channels (R5, R11a, R15).

One `mediacheck worker --beat` process serves the module; the test process plays the web app: it
records uploads and consent, and enqueues through `worker.tasks` exactly as the web app does.
"""

import shutil
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from mediacheck.check import PhotoChecker
from mediacheck.config import AppSettings
from models.database import make_engine, session_factory
from models.media import DetectedFace, MediaState, PublicationState
from tests.samples import EVENTS
from tests.worker.builders import (
    School,
    enrol,
    latest,
    publication,
    publications,
    replacement_of,
    school,
    state_of,
    upload,
    withdraw,
)
from tests.worker.workers import running_worker, wait_for
from worker import tasks
from worker.app import celery_app

EVENT_PHOTO = EVENTS / "kit_with_rose.jpg"
"""Kit Harington plays Sanne and Rose Leslie plays Noor (their reference photos are in PHOTO_OF)."""


@pytest.fixture(scope="module")
def embedded(tmp_path_factory: pytest.TempPathFactory, migrated_sqlite: Path) -> AppSettings:
    root = tmp_path_factory.mktemp("embedded")
    shutil.copyfile(migrated_sqlite, root / "records.db")
    return AppSettings(
        data_dir=root / "data",
        database_url=f"sqlite:///{root / 'records.db'}",
        queue_name=f"test-{uuid.uuid4().hex[:8]}",
        reconcile_seconds=1,
        retry_seconds=0.2,
    )


@pytest.fixture(scope="module")
def records(embedded: AppSettings) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(embedded.database_url)
    yield session_factory(embedded, engine)
    engine.dispose()


@pytest.fixture(scope="module")
def kids(records: sessionmaker[Session], photo_checker: PhotoChecker) -> School:
    """Sanne and Noor, both enrolled for face matching (R11)."""
    kids = school(records)
    enrol(records, kids, photo_checker)
    return kids


@pytest.fixture(scope="module")
def worker(embedded: AppSettings, kids: School, tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    celery_app.configure(embedded)  # the tasks send to this broker
    with running_worker(embedded, tmp_path_factory.mktemp("logs") / "worker.log"):
        yield


@pytest.fixture(scope="module")
def checked_photo(records: sessionmaker[Session], embedded: AppSettings, worker: None) -> int:
    """The event photo, uploaded and checked by the worker."""
    media_id = upload(records, embedded, EVENT_PHOTO)
    tasks.process_media.delay(media_id)
    wait_for(lambda: state_of(records, media_id) is MediaState.CHECKED, 120, "the check")
    return media_id


def positions(records: sessionmaker[Session], media_id: int, student_id: int) -> list[int]:
    with records() as session:
        return list(
            session.scalars(
                select(DetectedFace.position).where(
                    DetectedFace.media_id == media_id, DetectedFace.student_id == student_id
                )
            )
        )


def files(settings: AppSettings, channel: str) -> list[str]:
    folder = settings.data_dir / "published" / channel
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


PROTECTED, PUBLIC = 1, 2
"""Channel ids of the default channels (migration 0002)."""


def test_r5_the_worker_checks_publishes_and_takes_down_a_withdrawn_students_copy(
    records: sessionmaker[Session], embedded: AppSettings, kids: School, checked_photo: int
) -> None:
    """The worker recognises both students (R15), publishes on the public website with Noor redacted
    (no consent), takes the copy down as soon as Sanne's consent is withdrawn, and puts up a copy
    with both redacted in its place (R5)."""
    [sanne], [noor] = positions(records, checked_photo, kids.sanne), positions(records, checked_photo, kids.noor)
    tasks.publish.delay(checked_photo, "public", "teacher")
    first = wait_for(lambda: latest(records, checked_photo, PUBLIC, PublicationState.PUBLISHED), 30, "publishing")
    assert noor in first.redacted_positions and sanne not in first.redacted_positions
    assert files(embedded, "public") == [first.external_id]

    withdraw(records, kids.sanne, "public")
    withdrawn_at = time.monotonic()
    tasks.after_consent_change(kids.sanne, "public")
    wait_for(lambda: files(embedded, "public") != [first.external_id], 20, "the takedown")
    latency = time.monotonic() - withdrawn_at
    replacement = wait_for(lambda: replacement_of(records, first.id), 30, "the redacted replacement")
    assert replacement.redacted_positions == sorted([*first.redacted_positions, sanne])
    assert files(embedded, "public") == [replacement.external_id]
    assert latency < 5, f"takedown took {latency:.1f} s"


def test_r5_a_lost_message_delays_a_takedown_by_one_reconcile_at_most(
    records: sessionmaker[Session], embedded: AppSettings, kids: School, checked_photo: int
) -> None:
    """Nobody tells the worker about this withdrawal (a message lost, or the CLI): beat's reconcile
    finds the consent event and the copy still comes down."""
    tasks.publish.delay(checked_photo, "protected", "teacher")
    copy = wait_for(lambda: latest(records, checked_photo, PROTECTED, PublicationState.PUBLISHED), 30, "publishing")
    withdraw(records, kids.sanne, "protected")
    wait_for(lambda: copy.external_id not in files(embedded, "protected"), 20, "reconcile's takedown")
    # the file goes first, then the worker records that the channel confirmed it
    wait_for(lambda: publication(records, copy.id).state is PublicationState.UNPUBLISHED, 10, "the record")


def test_a_file_that_is_not_a_photo_is_an_error_and_goes_nowhere(
    records: sessionmaker[Session], embedded: AppSettings, worker: None, tmp_path: Path
) -> None:
    broken = tmp_path / "not-a-photo.jpg"
    broken.write_bytes(b"GIF89a not really")
    media_id = upload(records, embedded, broken)
    tasks.process_media.delay(media_id)
    wait_for(lambda: state_of(records, media_id) is MediaState.ERROR, 60, "the check")
    tasks.publish.delay(media_id, "protected", "teacher")
    time.sleep(1)
    assert publications(records, media_id) == []
