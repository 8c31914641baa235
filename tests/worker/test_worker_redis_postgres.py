"""A real worker on the shared setup: Redis as broker, PostgreSQL, a real WordPress for the public
website and the Graph API stand-in for Facebook (R5).

This is how workers on several machines run: every one of them is configured with the same
`MEDIACHECK_BROKER_URL` and `MEDIACHECK_DATABASE_URL`.
"""

import io
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from PIL import Image
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from mediacheck.check import PhotoChecker
from mediacheck.config import AppSettings
from models.database import make_engine, session_factory, upgrade
from models.media import MediaState, Publication, PublicationState
from models.publication_service import pending_takedowns
from models.school import Student
from tests.records.conftest import fresh_postgres_schema
from tests.samples import EVENTS
from tests.services.graph_api import GraphState, start_graph_api
from tests.services.require import require
from tests.services.wordpress import WordPressSite, start_wordpress, wordpress_available
from tests.worker.builders import (
    School,
    decide,
    enrol,
    latest,
    publication,
    replacement_of,
    school,
    state_of,
    upload,
    withdraw,
)
from tests.worker.workers import REDIS_URL, own_redis_queues, redis_available, running_worker, wait_for
from worker import tasks
from worker.app import celery_app

PUBLIC, FACEBOOK = 2, 3
"""Channel ids of the default channels (migration 0002)."""


@pytest.fixture(scope="module")
def wordpress() -> Iterator[WordPressSite]:
    require(wordpress_available(), "WordPress (tests/services/wordpress_setup.sh)")
    with start_wordpress() as site:
        yield site


@pytest.fixture(scope="module")
def graph() -> Iterator[tuple[str, GraphState]]:
    with start_graph_api() as served:
        yield served


@pytest.fixture(scope="module")
def shared(
    tmp_path_factory: pytest.TempPathFactory,
    postgres_admin: Engine | None,
    wordpress: WordPressSite,
    graph: tuple[str, GraphState],
) -> Iterator[AppSettings]:
    require(redis_available(), f"Redis at {REDIS_URL}")
    require(postgres_admin is not None, "PostgreSQL")
    graph_url, state = graph
    with fresh_postgres_schema(postgres_admin) as url:
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        yield AppSettings(
            data_dir=tmp_path_factory.mktemp("shared") / "data",
            database_url=url,
            broker_url=REDIS_URL,
            queue_name=f"test-{uuid.uuid4().hex[:8]}",
            reconcile_seconds=1,
            retry_seconds=0.3,
            channel_adapters={
                "public": {
                    "kind": "wordpress",
                    "site_url": wordpress.url,
                    "user": wordpress.user,
                    "application_password": wordpress.application_password,
                },
                "facebook": {
                    "kind": "facebook",
                    "page_id": state.page_id,
                    "page_access_token": state.token,
                    "graph_url": graph_url,
                    "timeout": 10,
                },
            },
        )


@pytest.fixture(scope="module")
def records(shared: AppSettings) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(shared.database_url)
    yield session_factory(shared, engine)
    engine.dispose()


@pytest.fixture(scope="module")
def kids(records: sessionmaker[Session], photo_checker: PhotoChecker) -> School:
    kids = school(records)
    enrol(records, kids, photo_checker)
    with records.begin() as session:
        decide(session, session.get(Student, kids.sanne), "facebook", granted=True)
    return kids


@pytest.fixture(scope="module")
def worker(shared: AppSettings, kids: School, tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    celery_app.configure(shared)
    with own_redis_queues(shared), running_worker(shared, tmp_path_factory.mktemp("logs") / "worker.log"):
        yield


def checked(records: sessionmaker[Session], settings: AppSettings, photo: Path) -> int:
    media_id = upload(records, settings, photo)
    tasks.process_media.delay(media_id)
    wait_for(lambda: state_of(records, media_id) is MediaState.CHECKED, 120, "the check")
    return media_id


def on_wordpress(site: WordPressSite, media_id: str) -> bool:
    response = httpx.get(
        site.url, params={"rest_route": f"/wp/v2/media/{media_id}"}, auth=(site.user, site.application_password)
    )
    return response.status_code == 200


def served(site: WordPressSite, media_id: str) -> tuple[str, bytes]:
    """The file name WordPress gave the copy and the bytes it serves to visitors."""
    source = httpx.get(
        site.url, params={"rest_route": f"/wp/v2/media/{media_id}"}, auth=(site.user, site.application_password)
    ).json()["source_url"]
    return source.rsplit("/", 1)[1], httpx.get(source).content


def with_camera_metadata(photo: Path, folder: Path) -> Path:
    """`photo` as a phone writes it: camera make and a GPS position in its EXIF, the child's name in the file name."""
    exif = Image.Exif()
    exif[0x010F] = "SchoolPhone"  # Make
    exif[0x8825] = {1: "N", 2: (52.0, 22.0, 0.0)}  # GPS
    target = folder / "IMG_2041 Kit and Rose.jpg"
    with Image.open(photo) as image:
        image.save(target, "JPEG", quality=95, exif=exif)
    return target


def test_r5_r10_a_withdrawal_takes_the_copy_off_wordpress_and_a_redacted_one_goes_up(
    records: sessionmaker[Session],
    shared: AppSettings,
    kids: School,
    worker: None,
    wordpress: WordPressSite,
    tmp_path: Path,
) -> None:
    """WordPress serves the copy without any metadata or name (R10); a withdrawal removes it, file and all,
    and a copy with Sanne redacted takes its place (R5)."""
    media_id = checked(records, shared, with_camera_metadata(EVENTS / "kit_with_rose.jpg", tmp_path))
    tasks.publish.delay(media_id, "public", "teacher")
    first = wait_for(lambda: latest(records, media_id, PUBLIC, PublicationState.PUBLISHED), 30, "publishing")
    assert on_wordpress(wordpress, first.external_id)
    name, content = served(wordpress, first.external_id)
    assert "kit" not in name.lower() and "rose" not in name.lower()
    with Image.open(io.BytesIO(content)) as image:
        assert not image.getexif() and not {"exif", "xmp", "comment"} & set(image.info)
    withdraw(records, kids.sanne, "public")
    tasks.after_consent_change(kids.sanne, "public")
    replacement = wait_for(lambda: replacement_of(records, first.id), 30, "the redacted replacement")
    assert len(replacement.redacted_positions) > len(first.redacted_positions)
    assert not on_wordpress(wordpress, first.external_id), "gone from WordPress, file and all"
    assert on_wordpress(wordpress, replacement.external_id)


def test_r5_a_takedown_waits_out_a_facebook_outage_and_lands_when_it_is_back(
    records: sessionmaker[Session], shared: AppSettings, kids: School, worker: None, graph: tuple[str, GraphState]
) -> None:
    """While Facebook answers 500 the takedown is pending, visible with the channel's error, and
    retried; it lands once Facebook is back. The copy is not replaced: without Sanne's consent
    Facebook's policy blocks a photo of which she is the subject."""
    _, state = graph
    media_id = checked(records, shared, EVENTS / "kit_harington_alone.jpg")
    tasks.publish.delay(media_id, "facebook", "teacher")
    copy = wait_for(lambda: latest(records, media_id, FACEBOOK, PublicationState.PUBLISHED), 30, "publishing")
    assert copy.external_id in state.photos
    state.failure = "error500"
    withdraw(records, kids.sanne, "facebook")
    tasks.after_consent_change(kids.sanne, "facebook")

    def retried_and_pending() -> Publication | None:
        with records() as session:
            pending = [p for p in pending_takedowns(session) if p.id == copy.id and p.attempts >= 2]
            return pending[0] if pending else None

    pending = wait_for(retried_and_pending, 30, "two failed takedown attempts")
    assert "HTTP 500" in pending.last_error and copy.external_id in state.photos
    state.failure = "none"
    wait_for(lambda: copy.external_id not in state.photos, 30, "the takedown once Facebook is back")
    # Facebook deletes first, then the worker records that it confirmed
    wait_for(lambda: publication(records, copy.id).state is PublicationState.UNPUBLISHED, 10, "the record")
    with records() as session:
        assert pending_takedowns(session) == []
    assert latest(records, media_id, FACEBOOK, PublicationState.PUBLISHED) is None
