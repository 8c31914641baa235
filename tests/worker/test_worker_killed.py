"""A worker killed with SIGKILL half-way leaves nothing half-done, and the work completes after a restart
(fail closed, R3, R5), on the embedded default (SQLite, folder broker) and on Redis with PostgreSQL.

Neither broker gives the killed worker's message back in useful time: the embedded broker deletes a
message as it hands it out, and Redis keeps an unacknowledged one for its `visibility_timeout` (an hour).
The records do: `reconcile` hands out again a file left `processing` once `check_lease_seconds` ran out,
and sends again a publication left `publishing` once `channel_lease_seconds` ran out. Both are seconds here.
"""

import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from mediacheck.config import AppSettings
from models.database import make_engine, session_factory
from models.media import MediaState, PublicationState
from tests.samples import EVENTS
from tests.services.graph_api import GraphState, start_graph_api
from tests.worker.builders import (
    SANNE_BOX,
    channel_files,
    checked_media,
    grant,
    large_photo,
    latest,
    media,
    publications,
    school,
    state_of,
    upload,
)
from tests.worker.workers import REDIS_URL, kill, own_redis_queues, running_worker, wait_for
from worker import tasks
from worker.app import celery_app

FACEBOOK = 3
"""Channel id of Facebook (migration 0002)."""
CHECK_LEASE = 10.0
"""Seconds after which a file left `processing` is handed out again: longer than this photo's check."""
CHANNEL_LEASE = 3.0
"""Seconds after which a publication left `publishing` is sent again: the stand-in answers in milliseconds."""


@pytest.fixture
def facebook() -> Iterator[tuple[str, GraphState]]:
    with start_graph_api() as served:
        yield served


@pytest.fixture
def stack(database_url: str, tmp_path: Path, facebook: tuple[str, GraphState]) -> Iterator[AppSettings]:
    """SQLite with the embedded broker (the default), or PostgreSQL with Redis (workers on several
    machines); Facebook is the Graph API stand-in, the other channels are folders."""
    graph_url, graph = facebook
    settings = AppSettings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        broker_url=REDIS_URL if database_url.startswith("postgresql") else "",
        queue_name=f"test-{uuid.uuid4().hex[:8]}",
        reconcile_seconds=1,
        retry_seconds=0.2,
        check_lease_seconds=CHECK_LEASE,
        channel_lease_seconds=CHANNEL_LEASE,
        channel_adapters={
            "facebook": {
                "kind": "facebook",
                "page_id": graph.page_id,
                "page_access_token": graph.token,
                "graph_url": graph_url,
                "timeout": 30,
            }
        },
    )
    celery_app.configure(settings)  # the tasks send to this broker
    if not settings.broker_url:
        yield settings
        return
    with own_redis_queues(settings):
        yield settings


@pytest.fixture
def records(stack: AppSettings) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(stack.database_url)
    yield session_factory(stack, engine)
    engine.dispose()


def test_a_worker_killed_while_checking_publishes_nothing_and_the_next_worker_checks_the_file(
    stack: AppSettings, records: sessionmaker[Session], tmp_path: Path
) -> None:
    """Killed in the middle of `process_media` on a 12 MP photo. A publication asked for while the file
    was being checked was refused (an unchecked image goes nowhere); after the kill the file is still
    `processing` and unpublished, and the next worker checks it once its lease ran out."""
    photo = large_photo(tmp_path / "camera", *(EVENTS / name for name in ("kit_with_rose.jpg", "two_people.jpg")))
    media_id = upload(records, stack, photo)
    log = tmp_path / "killed.log"
    with running_worker(stack, log, concurrency=2) as worker:
        tasks.process_media.delay(media_id)
        wait_for(lambda: state_of(records, media_id) is MediaState.PROCESSING, 60, "the check to start")
        tasks.publish.delay(media_id, "public", "teacher")
        wait_for(lambda: "refused: not checked" in log.read_text(), 60, "the publication's refusal")
        kill(worker)
    assert state_of(records, media_id) is MediaState.PROCESSING, "killed before the check ended"
    assert publications(records, media_id) == [] and channel_files(stack, "public") == []
    with running_worker(stack, tmp_path / "restarted.log"):
        wait_for(lambda: state_of(records, media_id) is MediaState.CHECKED, 120, "the check after the restart")
    assert media(records, media_id).check_attempts == 2
    assert publications(records, media_id) == [] and channel_files(stack, "public") == []


def test_a_worker_killed_while_sending_leaves_nothing_half_published_and_the_next_worker_publishes_once(
    stack: AppSettings, records: sessionmaker[Session], facebook: tuple[str, GraphState], tmp_path: Path
) -> None:
    """Killed while Facebook holds the upload (the stand-in stalls): the publication stays `publishing`
    with nothing on Facebook; the next worker sends it again once its lease ran out, and exactly one
    copy is up, the one the publication names."""
    _, graph = facebook
    kids = school(records)
    grant(records, kids.sanne, "facebook")
    media_id = checked_media(records, tmp_path / "uploads", {kids.sanne: SANNE_BOX})
    graph.failure, graph.stall_seconds = "stall", 20
    with running_worker(stack, tmp_path / "killed.log") as worker:
        calls_before = set(threading.enumerate())
        tasks.publish.delay(media_id, "facebook", "teacher")
        wait_for(lambda: graph_call_open(calls_before), 60, "the upload to reach Facebook")
        kill(worker)
    graph.failure = "none"
    [sending] = publications(records, media_id)
    assert sending.state is PublicationState.PUBLISHING and sending.last_error is None, "killed inside the call"
    assert sending.external_id is None and graph.photos == {}
    with running_worker(stack, tmp_path / "restarted.log"):
        published = wait_for(lambda: latest(records, media_id, FACEBOOK, PublicationState.PUBLISHED), 60, "the send")
    assert published.id == sending.id and list(graph.photos) == [published.external_id]


def graph_call_open(before: set[threading.Thread]) -> bool:
    """A request came in to the stand-in since `before`: its server handles each connection on a thread."""
    return any(t not in before and t.name.endswith("(process_request_thread)") for t in threading.enumerate())
