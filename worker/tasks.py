"""The worker's tasks: thin callers of the services, which hold the rules.

Every task is bound to `worker.app.celery_app`, so a message goes to the school's broker whichever
thread or process sends it. The web app and the CLI record what they ask for first and then send
it with `worker.app.enqueue`, which says `BrokerUnreachable` when the broker cannot be reached.
Nothing depends on a message arriving: every step leaves a row that `reconcile` (run by beat every
`reconcile_seconds`) finds again if its message was lost.
"""

import logging
import os
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cached_property

from sqlalchemy.orm import Session, sessionmaker

from mediacheck.channels.configured import ConfiguredChannels
from mediacheck.check import PhotoChecker
from mediacheck.config import AppSettings
from models import processing_service, publication_service
from models.audit import Actor, ActorRole
from models.base import utcnow
from models.database import make_engine, session_factory
from models.media import PublicationState
from models.publication_service import WORKER, ChannelCallFailed, PublicationRefused
from worker.app import celery_app, enqueue

log = logging.getLogger(__name__)
RECONCILE_GRACE = 5.0
"""Seconds a consent event or an overdue retry is left to its own message before reconcile steps in."""


@dataclass
class Runtime:
    """What one worker process keeps between tasks: the database connection pool, the channel
    adapters and the loaded models (loaded on first use, once per process)."""

    settings: AppSettings
    pid: int = field(default_factory=os.getpid)

    @cached_property
    def factory(self) -> sessionmaker[Session]:
        return session_factory(self.settings, make_engine(self.settings.database_url))

    @cached_property
    def channels(self) -> ConfiguredChannels:
        return ConfiguredChannels(self.settings)

    @cached_property
    def checker(self) -> PhotoChecker:
        return PhotoChecker()


_runtime: Runtime | None = None


def runtime() -> Runtime:
    """This process's runtime; a forked pool process makes its own (connections do not survive a fork)."""
    global _runtime
    settings = celery_app.settings
    if _runtime is None or _runtime.pid != os.getpid() or _runtime.settings is not settings:
        _runtime = Runtime(settings)
    return _runtime


# --- processing --------------------------------------------------------------------------------


@celery_app.task(name="worker.tasks.process_media")
def process_media(media_id: int) -> str | None:
    """Check one uploaded file and record what was found (uploaded → processing → checked / error)."""
    run = runtime()
    state = processing_service.process(run.factory, run.checker, media_id, WORKER)
    return state.value if state else None


# --- publication -------------------------------------------------------------------------------


@celery_app.task(name="worker.tasks.publish")
def publish(media_id: int, channel_key: str, actor_id: str) -> str | None:
    """Publish one checked photo on one channel, if the rules allow it now; staff `actor_id` asked for it."""
    run = runtime()
    try:
        publication_id, rendered = publication_service.prepare(
            run.factory, run.checker, media_id, channel_key, Actor(ActorRole.STAFF, actor_id)
        )
    except PublicationRefused as refused:
        log.info("media %s not published on %s: %s", media_id, channel_key, refused)
        return f"refused: {refused}"
    return _send(publication_id, rendered)


@celery_app.task(name="worker.tasks.send_publication")
def send_publication(publication_id: int) -> str | None:
    """Send again a publication whose earlier try failed or whose worker was lost."""
    return _send(publication_id)


def _send(publication_id: int, rendered: publication_service.Rendered | None = None) -> str | None:
    run = runtime()
    try:
        state = publication_service.send(run.factory, run.channels, run.checker, publication_id, rendered)
    except ChannelCallFailed as failed:
        log.warning("%s", failed)
        if failed.retry_in is not None:
            enqueue(send_publication, publication_id, countdown=failed.retry_in)
        return "failed"
    if state is PublicationState.TAKEDOWN_PENDING:  # withdrawn while on its way: down at once
        return _take_down(publication_id)
    return state.value if state else None


def _take_down(publication_id: int) -> str | None:
    run = runtime()
    try:
        outcome = publication_service.take_down(run.factory, run.channels, publication_id)
    except ChannelCallFailed as failed:
        log.warning("takedown pending: %s", failed)
        if failed.retry_in is not None:
            enqueue(take_down, publication_id, countdown=failed.retry_in)
        return "takedown pending"
    if outcome is None:
        return None
    if outcome.replace:
        enqueue(replace_publication, publication_id)
    return outcome.state.value


@celery_app.task(name="worker.tasks.take_down")
def take_down(publication_id: int) -> str | None:
    """Take down a copy whose takedown is recorded as pending (by staff, or again after a failed try)."""
    return _take_down(publication_id)


@celery_app.task(name="worker.tasks.replace_publication")
def replace_publication(publication_id: int) -> str | None:
    """After a withdrawal took a copy down: publish the copy the rules allow now, if any (R5)."""
    run = runtime()
    try:
        prepared = publication_service.prepare_replacement(run.factory, run.checker, publication_id)
    except PublicationRefused as refused:
        log.info("publication %s not replaced: %s", publication_id, refused)
        return f"refused: {refused}"
    return _send(*prepared) if prepared else None


# --- consent changes and lost work -------------------------------------------------------------


@celery_app.task(name="worker.tasks.apply_consent_change")
def apply_consent_change(student_id: int, channel_key: str) -> int:
    """Take down every copy that shows the student without consent now (R5). `channel_key` may also be
    `face-matching`: a student no longer recognised counts as without consent on every channel (R11).

    The first try happens right here, not in a task of its own: under load every message waits for
    a free worker process, and a takedown should not wait twice."""
    run = runtime()
    with run.factory.begin() as session:
        overtaken = publication_service.apply_consent_change(session, student_id, channel_key)
    for publication_id in overtaken:
        _take_down(publication_id)
    return len(overtaken)


def after_consent_change(student_id: int, purpose: str) -> None:
    """Call right after a consent change committed (web, CLI), for each purpose changed (a channel key or
    `face-matching`): starts the takedowns at once. Raises `BrokerUnreachable` if the broker cannot be
    reached: the consent event is stored, and `reconcile` does the same once the broker answers."""
    enqueue(apply_consent_change, student_id, purpose)


@celery_app.task(name="worker.tasks.take_down_overtaken")
def take_down_overtaken() -> int:
    """Take down every copy the rules in force no longer allow as it went out (R5, R13, R14)."""
    run = runtime()
    with run.factory.begin() as session:
        overtaken = publication_service.take_down_overtaken(session)
    for publication_id in overtaken:
        _take_down(publication_id)
    return len(overtaken)


def after_policy_change() -> None:
    """Call right after a policy version was adopted: copies it no longer allows come down at once.
    Raises `BrokerUnreachable` if the broker cannot be reached: reconcile finds them once it answers."""
    enqueue(take_down_overtaken)


@celery_app.task(name="worker.tasks.reconcile")
def reconcile() -> dict[str, int]:
    """Find work whose message was lost or whose retry is overdue, and enqueue it again."""
    run = runtime()
    grace = timedelta(seconds=min(RECONCILE_GRACE, run.settings.reconcile_seconds))
    now = utcnow()
    with run.factory.begin() as session:
        found = publication_service.reconcile(session, grace, now)
        stale = processing_service.stale_media(session, now)
    for student_id, channel_key in found.consent_changes:
        enqueue(apply_consent_change, student_id, channel_key)
    for publication_id in [*found.overtaken, *found.takedowns]:
        enqueue(take_down, publication_id)
    for publication_id in found.sends:
        enqueue(send_publication, publication_id)
    for media_id in stale:
        enqueue(process_media, media_id)
    counts = {
        "consent_changes": len(found.consent_changes),
        "takedowns": len(found.takedowns),
        "overtaken": len(found.overtaken),
        "sends": len(found.sends),
        "media": len(stale),
    }
    if any(counts.values()):
        log.info("reconcile: %s", counts)
    return counts
