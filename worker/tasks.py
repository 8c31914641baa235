"""The worker's tasks: thin callers of the services, which hold the rules.

The web app and the CLI enqueue with `.delay(...)`; after a consent change commits they call
`after_consent_change`. Nothing depends on a message arriving: every step leaves a row that
`reconcile` (run by beat every `reconcile_seconds`) finds again if its message was lost.
"""

import logging
import os
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cached_property

from celery import current_app, shared_task
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
from worker.app import celery_app

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
    settings = getattr(current_app, "settings", None) or celery_app.settings
    if _runtime is None or _runtime.pid != os.getpid() or _runtime.settings is not settings:
        _runtime = Runtime(settings)
    return _runtime


# --- processing --------------------------------------------------------------------------------


@shared_task(name="worker.tasks.process_media")
def process_media(media_id: int) -> str | None:
    """Check one uploaded file and record what was found (uploaded → processing → checked / error)."""
    run = runtime()
    state = processing_service.process(run.factory, run.checker, media_id, WORKER)
    return state.value if state else None


# --- publication -------------------------------------------------------------------------------


@shared_task(name="worker.tasks.publish")
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


@shared_task(name="worker.tasks.send_publication")
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
            send_publication.apply_async((publication_id,), countdown=failed.retry_in)
        return "failed"
    if state is PublicationState.TAKEDOWN_PENDING:  # withdrawn while on its way: down at once
        return _take_down(publication_id)
    return state.value if state else None


@shared_task(name="worker.tasks.unpublish")
def unpublish(publication_id: int, reason: str, actor_id: str | None = None) -> str | None:
    """Take a copy down from its channel (R5); retried until the channel confirms. Staff `actor_id`, if
    given, asked for it; else the system did."""
    run = runtime()
    actor = Actor(ActorRole.STAFF, actor_id) if actor_id else WORKER
    with run.factory.begin() as session:
        publication_service.request_takedown(session, publication_id, reason, actor)
    return _take_down(publication_id)


def _take_down(publication_id: int) -> str | None:
    run = runtime()
    try:
        outcome = publication_service.take_down(run.factory, run.channels, publication_id)
    except ChannelCallFailed as failed:
        log.warning("takedown pending: %s", failed)
        if failed.retry_in is not None:
            take_down.apply_async((publication_id,), countdown=failed.retry_in)
        return "takedown pending"
    if outcome is None:
        return None
    if outcome.replace:
        replace_publication.delay(publication_id)
    return outcome.state.value


@shared_task(name="worker.tasks.take_down")
def take_down(publication_id: int) -> str | None:
    """Try again to take down a copy whose takedown is pending."""
    return _take_down(publication_id)


@shared_task(name="worker.tasks.replace_publication")
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


@shared_task(name="worker.tasks.apply_consent_change")
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
    `face-matching`): starts the takedowns at once. Never fails the caller: if the broker cannot be
    reached, `reconcile` finds the consent event within `reconcile_seconds` and does the same."""
    _enqueue_or_leave_to_reconcile(apply_consent_change, student_id, purpose)


@shared_task(name="worker.tasks.take_down_overtaken")
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
    Never fails the caller: reconcile finds them within `reconcile_seconds` otherwise."""
    _enqueue_or_leave_to_reconcile(take_down_overtaken)


def _enqueue_or_leave_to_reconcile(task, *args: object) -> None:
    try:
        task.delay(*args)
    except Exception:  # noqa: BLE001 - the change is stored; the takedown follows through reconcile
        log.warning("could not enqueue %s%s; reconcile will do it", task.name, args)


@shared_task(name="worker.tasks.reconcile")
def reconcile() -> dict[str, int]:
    """Find work whose message was lost or whose retry is overdue, and enqueue it again."""
    run = runtime()
    grace = timedelta(seconds=min(RECONCILE_GRACE, run.settings.reconcile_seconds))
    now = utcnow()
    with run.factory.begin() as session:
        found = publication_service.reconcile(session, grace, now)
        stale = processing_service.stale_media(session, now)
    for student_id, channel_key in found.consent_changes:
        apply_consent_change.delay(student_id, channel_key)
    for publication_id in [*found.overtaken, *found.takedowns]:
        take_down.delay(publication_id)
    for publication_id in found.sends:
        send_publication.delay(publication_id)
    for media_id in stale:
        process_media.delay(media_id)
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
