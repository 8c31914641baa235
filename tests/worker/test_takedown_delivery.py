"""Every takedown reaches the school's broker, from any thread, and a copy staff took down stays down (R5).

The tasks once used Celery's current app, which in a thread of FastAPI's pool is Celery's default app
(amqp://localhost): staff's Unpublish went to a RabbitMQ nobody read, and the copy stayed online until
another child's withdrawal put a redacted copy of it back. These tests read the broker itself."""

import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from mediacheck.channels.configured import ConfiguredChannels
from mediacheck.check import PhotoChecker
from mediacheck.config import AppSettings
from models import publication_service as service
from models.media import Publication, PublicationState
from tests.records.builders import STAFF
from tests.worker.builders import NOOR_BOX, SANNE_BOX, checked_media, school, withdraw
from tests.worker.queued import queued
from tests.worker.test_publication_service import adopt
from tests.worker.workers import REDIS_URL, own_redis_queues, wait_for
from web import tasks as web_tasks
from worker import tasks
from worker.app import BrokerUnreachable, celery_app


@pytest.fixture(params=["embedded", "redis"])
def broker(request: pytest.FixtureRequest, settings: AppSettings) -> Iterator[AppSettings]:
    """The settings with the embedded broker (a folder) or a real Redis, each with queues of its own."""
    if request.param == "embedded":
        yield settings
        return
    shared = settings.model_copy(update={"broker_url": REDIS_URL, "queue_name": f"t{uuid.uuid4().hex[:12]}"})
    with own_redis_queues(shared):
        yield shared


def test_r5_a_takedown_sent_from_another_thread_arrives_at_the_configured_broker(broker: AppSettings) -> None:
    """`threading.Thread(target=lambda: tasks.take_down.app.main)` printed `default`: now every thread
    sends to the configured broker, where the messages are, all of them and nothing else."""
    celery_app.configure(broker)
    seen: list[tuple[str, str]] = []

    def staff_and_parent() -> None:
        seen.append((tasks.take_down.app.main, tasks.take_down.app.connection_for_write().as_uri()))
        web_tasks.take_down(41)
        web_tasks.consent_changed(7, ["public", "face-matching"], ["public", "facebook"])

    thread = threading.Thread(target=staff_and_parent)
    thread.start()
    thread.join(30)
    assert seen == [("mediacheck", celery_app.connection_for_write().as_uri())]
    assert queued(broker) == sorted(
        [
            ("worker.tasks.take_down", (41,)),
            ("worker.tasks.apply_consent_change", (7, "public")),
            ("worker.tasks.apply_consent_change", (7, "facebook")),
        ]
    )


def test_r5_staff_unpublish_without_a_broker_says_so_is_kept_and_stays_down(
    factory: sessionmaker[Session],
    settings: AppSettings,
    photo_checker: PhotoChecker,
    tmp_path: Path,
) -> None:
    """The broker does not answer when staff unpublish: they are told in words, the takedown is recorded,
    and reconcile does it once the broker is back. Neither another child's withdrawal, a policy change
    nor reconcile puts the copy or a redacted replacement back: only a person publishes again."""
    channels = ConfiguredChannels(settings)
    kids = school(factory)
    media_id = checked_media(factory, tmp_path, {kids.sanne: SANNE_BOX, kids.noor: NOOR_BOX})
    service.publish(factory, channels, photo_checker, media_id, "public", service.WORKER)
    [copy] = _publications(factory, media_id)
    celery_app.configure(settings.model_copy(update={"broker_url": "redis://127.0.0.1:1/0"}))
    with factory.begin() as session:
        service.unpublish_by_staff(session, copy.id, STAFF)
    with pytest.raises(BrokerUnreachable, match=r"worker cannot be reached.*will be taken down as soon as"):
        web_tasks.take_down(copy.id)
    assert _publication(factory, copy.id).state is PublicationState.TAKEDOWN_PENDING, "the takedown is kept"

    withdraw(factory, kids.sanne, "public")  # another child in the same photo withdraws
    with factory.begin() as session:
        assert service.apply_consent_change(session, kids.sanne, "public") == []
    settings = settings.model_copy(update={"reconcile_seconds": 1.0})
    celery_app.configure(settings)  # the broker is back: reconcile finds the takedown
    found = wait_for(lambda: tasks.reconcile()["takedowns"], 30, "reconcile to find the takedown", interval=0.5)
    assert found == 1 and ("worker.tasks.take_down", (copy.id,)) in queued(settings)
    assert tasks.take_down(copy.id) == PublicationState.UNPUBLISHED.value
    assert _published(settings) == []
    assert tasks.replace_publication(copy.id) is None, "a copy staff took down is not replaced"
    adopt(factory, public="redact")
    tasks.take_down_overtaken()
    tasks.reconcile()
    [down] = _publications(factory, media_id)
    assert down.state is PublicationState.UNPUBLISHED and down.unpublished_reason == service.UNPUBLISHED_BY_STAFF
    assert _published(settings) == []


def test_r5_a_withdrawal_replaces_a_copy_once_and_staff_stop_a_replacement_pending(
    factory: sessionmaker[Session],
    settings: AppSettings,
    photo_checker: PhotoChecker,
    tmp_path: Path,
) -> None:
    """The rules took the copy down, so a redacted one replaces it, once (a second message does nothing).
    If staff unpublish while such a takedown is pending, no replacement follows."""
    celery_app.configure(settings)
    channels = ConfiguredChannels(settings)
    kids = school(factory)
    media_id = checked_media(factory, tmp_path, {kids.sanne: SANNE_BOX, kids.noor: NOOR_BOX})
    for channel in ("public", "protected"):
        service.publish(factory, channels, photo_checker, media_id, channel, service.WORKER)
    public, protected = sorted(_publications(factory, media_id), key=lambda p: p.id)
    for channel in ("public", "protected"):
        withdraw(factory, kids.sanne, channel)
        with factory.begin() as session:
            service.apply_consent_change(session, kids.sanne, channel)
    reason = _publication(factory, public.id).unpublished_reason
    assert reason.startswith("consent withdrawn on paper by the parent on "), "R5: the reason says what happened"
    with factory.begin() as session:
        service.unpublish_by_staff(session, protected.id, STAFF)
    assert _publication(factory, protected.id).unpublished_reason.endswith("; then unpublished by staff")
    assert not service.take_down(factory, channels, protected.id).replace
    assert service.take_down(factory, channels, public.id).replace
    assert tasks.replace_publication(public.id) == PublicationState.PUBLISHED.value
    assert tasks.replace_publication(public.id) is None, "replaced once"
    live = [p for p in _publications(factory, media_id) if p.state is PublicationState.PUBLISHED]
    assert [(p.channel.key, p.replaces_id) for p in live] == [("public", public.id)]


def _publications(factory: sessionmaker[Session], media_id: int) -> list[Publication]:
    with factory() as session:
        query = select(Publication).where(Publication.media_id == media_id).order_by(Publication.id)
        return [_loaded(p) for p in session.scalars(query)]


def _loaded(publication: Publication) -> Publication:
    _ = publication.channel.key
    return publication


def _publication(factory: sessionmaker[Session], publication_id: int) -> Publication:
    with factory() as session:
        return _loaded(session.get(Publication, publication_id))


def _published(settings: AppSettings) -> list[str]:
    folder = settings.data_dir / "published" / "public"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []
