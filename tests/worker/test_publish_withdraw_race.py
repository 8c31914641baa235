"""Publish and withdraw at the same moment, 200 times over, on SQLite and PostgreSQL (R3, R5).

Consent is checked again at the moment of publication, inside the transaction that records the
publication, under the student's lock that a withdrawal takes too. Whichever of the two commits first,
no copy stays up without consent: a withdrawal that commits first wins (nothing is recorded), and one
that commits after the publication finds it and has it taken down. Both transactions write to the
audit register (R9) under that lock, so its order is the order in which they committed.
"""

import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from mediacheck.channels.configured import ConfiguredChannels
from mediacheck.check import PhotoChecker
from mediacheck.config import AppSettings
from models import publication_service as service
from models.audit import AuditEvent
from models.base import utcnow
from models.consent_state import has_consent
from models.media import DetectedFace, Publication, PublicationState
from models.publication_service import PublicationRefused
from tests.records.builders import STAFF
from tests.worker.builders import SANNE_BOX, channel_files, checked_media, grant, school, withdraw

ROUNDS = 200
CHANNEL = "facebook"
"""Its policy blocks a photo whose subject has no consent: without Sanne's consent nothing may be up."""
LAG = 0.05
"""Seconds: the most by which one side starts before the other (`head_start`)."""
WITHDRAWAL_FIRST, PUBLICATION_FIRST = "withdrawal committed first", "publication recorded first"


def test_r3_r5_publish_and_withdraw_at_once_never_leave_a_copy_up_without_consent(
    factory: sessionmaker[Session], settings: AppSettings, photo_checker: PhotoChecker, tmp_path: Path
) -> None:
    """Consent is checked again at the moment of publication: each round a staff member publishes Sanne's
    photo on Facebook while her parent withdraws that consent. After the takedowns asked for have run, no
    copy is up without consent and the channel holds no file of a copy that is not up. Over the rounds
    both orders occur; a publication is never recorded after a withdrawal committed."""
    kids = school(factory)
    grant(factory, kids.sanne, CHANNEL)
    media_id = checked_media(factory, tmp_path / "uploads", {kids.sanne: SANNE_BOX})
    channels = ConfiguredChannels(settings)
    rng = random.Random(5)
    orders: Counter[str] = Counter()
    for _ in range(ROUNDS):
        mark = last_audit_id(factory)
        at_once(
            lambda: publish(factory, channels, photo_checker, media_id),
            lambda: withdraw_and_follow_up(factory, kids.sanne),
            head_start(orders, rng),
        )
        settle(factory, channels)
        assert_no_copy_without_consent(factory, settings, media_id)
        orders[order_of_round(factory, mark)] += 1
        grant(factory, kids.sanne, CHANNEL)
    assert min(orders[WITHDRAWAL_FIRST], orders[PUBLICATION_FIRST]) >= ROUNDS // 10, f"not a race: {orders}"


def head_start(orders: Counter[str], rng: random.Random) -> float:
    """Seconds by which the withdrawal starts after the publication (negative: before): a random head start
    for the side that committed first less often so far, so that both orders keep occurring on any engine."""
    lead = rng.uniform(0.0, LAG)
    return lead if orders[WITHDRAWAL_FIRST] > orders[PUBLICATION_FIRST] else -lead


def publish(
    factory: sessionmaker[Session], channels: ConfiguredChannels, checker: PhotoChecker, media_id: int
) -> PublicationState | None:
    """What the worker's `publish` task does: record the publication if consent allows it, then send it."""
    try:
        return service.publish(factory, channels, checker, media_id, CHANNEL, STAFF)
    except PublicationRefused:
        return None


def withdraw_and_follow_up(factory: sessionmaker[Session], student_id: int) -> list[int]:
    """A parent withdraws (the web app commits it), then the worker asks for the takedowns it implies."""
    withdraw(factory, student_id, CHANNEL)
    with factory.begin() as session:
        return service.apply_consent_change(session, student_id, CHANNEL)


def at_once(first: Callable[[], Any], second: Callable[[], Any], lag: float) -> None:
    """Run both on threads released together, the second `lag` seconds after the first (negative: the
    first after the second); re-raise what either raised."""
    barrier, errors = threading.Barrier(2), []

    def run(action: Callable[[], Any], delay: float) -> None:
        barrier.wait()
        time.sleep(max(delay, 0.0))
        try:
            action()
        except Exception as error:  # noqa: BLE001 - handed to the test's thread
            errors.append(error)

    threads = [threading.Thread(target=run, args=(first, -lag)), threading.Thread(target=run, args=(second, lag))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not any(thread.is_alive() for thread in threads), "a side hangs: a deadlock?"
    if errors:
        raise errors[0]


def settle(factory: sessionmaker[Session], channels: ConfiguredChannels) -> None:
    """Run the takedowns asked for, as the worker does right after a withdrawal (R5); each one lands."""
    with factory() as session:
        pending = [publication.id for publication in service.pending_takedowns(session)]
    for publication_id in pending:
        outcome = service.take_down(factory, channels, publication_id)
        assert outcome is not None and outcome.state is PublicationState.UNPUBLISHED


def assert_no_copy_without_consent(factory: sessionmaker[Session], settings: AppSettings, media_id: int) -> None:
    """R3/R5: no copy up (publishing or published) shows unredacted a clearly visible student without
    consent for the channel now, and the channel holds exactly the files of the copies that are up."""
    now = utcnow()
    with factory() as session:
        faces = session.scalars(select(DetectedFace).where(DetectedFace.media_id == media_id)).all()
        unconsented = {
            face.position
            for face in faces
            if face.clearly_visible and (face.student is None or not has_consent(session, face.student, CHANNEL, now))
        }
        up = session.scalars(
            select(Publication).where(Publication.media_id == media_id, Publication.state.in_(service.ON_CHANNEL))
        ).all()
        assert service.pending_takedowns(session) == []
    for publication in up:
        assert not unconsented - set(publication.redacted_positions), f"publication {publication.id} is up"
    assert channel_files(settings, CHANNEL) == sorted(p.external_id for p in up if p.external_id)


def last_audit_id(factory: sessionmaker[Session]) -> int:
    with factory() as session:
        return session.scalar(select(func.max(AuditEvent.id))) or 0


def order_of_round(factory: sessionmaker[Session], mark: int) -> str:
    """Which of the round's two transactions committed first, from the audit register; a publication
    recorded after the withdrawal committed fails the test: the withdrawal must win."""
    with factory() as session:
        actions = session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.id > mark, AuditEvent.action.in_(["consent.withdraw", "publication.request"]))
            .order_by(AuditEvent.id)
        ).all()
    if actions == ["consent.withdraw"]:
        return WITHDRAWAL_FIRST
    assert actions == ["publication.request", "consent.withdraw"], f"recorded after the withdrawal: {actions}"
    return PUBLICATION_FIRST
