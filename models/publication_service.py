"""Publish to a channel and take down again (R2, R3, R5, R7, R10), race-free against withdrawals.

Consent is checked again at the moment of publication, inside the transaction that records the
publication, while the media and every student in it are locked (`models.locks`). A withdrawal
takes the same student lock, so it either commits first and this check sees it, or it waits and
then finds the publication to take down: a withdrawal that lands between review and publish wins.

A channel call cannot be part of a database transaction, so each step is a short transaction
and the state in between is a row that any worker can pick up again:

    request_publication                  → publishing        consent checked, nothing sent yet
    send → channel → confirm_publication → published         the channel confirmed, with its id
    request_takedown                     → takedown_pending  a withdrawal, or staff
    take_down → channel → confirm_takedown → unpublished     the channel confirmed the removal

A send whose answer was lost (a timeout) may have arrived: its retry first asks the channel for the
file under its pseudonymous name and keeps that copy rather than send a second one that no record
would know to take down (WordPress and folders can tell; the Graph API cannot).

A withdrawal that arrives while a copy is on its way marks it takedown_pending; the send step
takes it down as soon as the channel confirms it. A takedown is retried until the channel
confirms (`pending_takedowns` shows what is not down yet, and why). After a withdrawal, a copy
redacted as the policy now requires replaces the one taken down, where the policy allows (R5) —
once, and never for a copy staff took down: that one stays down until a person publishes again.
The recorded reason says in words what happened ("consent withdrawn by the parent on 5 Dec").

Every consent event is the durable request to look at that student's publications: `reconcile`
finds the events not acted on yet (no `ConsentFollowup`), so a lost message delays a takedown by
one reconcile interval at most and never loses it.
"""

import copy
import hashlib
import secrets
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import NoReturn

from sqlalchemy import ColumnElement, exists, select
from sqlalchemy.orm import Session, selectinload, sessionmaker

from mediacheck.channels import ChannelError, Upload
from mediacheck.channels.configured import ConfiguredChannels
from mediacheck.check import CheckedPhoto, PhotoChecker
from mediacheck.imaging import ImageError, open_photo
from mediacheck.policy import ChannelDecision, ChannelStatus, Policy
from mediacheck.video import is_video, write_redacted
from models import audit_service, decision_service, policy_service
from models.audit import Actor, ActorRole
from models.base import utcnow
from models.channels import FACE_MATCHING, Channel
from models.consent import ConsentEvent, ConsentMeans, DeciderRole
from models.database import settings_of
from models.errors import NotFound, RecordsError
from models.locks import lock_rows
from models.media import (
    LIVE_PUBLICATION,
    ConsentFollowup,
    DetectedFace,
    Media,
    MediaState,
    Publication,
    PublicationState,
)
from models.processing_service import kept_tracks
from models.school import Student

WORKER = Actor(ActorRole.SYSTEM, "worker")
REVIEWED = "a reviewer corrected who is in the photo"
UNPUBLISHED_BY_STAFF = "unpublished by staff"
DECIDERS = {DeciderRole.GUARDIAN: "the parent", DeciderRole.STUDENT: "the student"}
PUBLISH_ATTEMPTS = 5
"""Failed channel calls after which a publication gives up (a takedown never does)."""
LONGEST_WAIT = 600.0
"""Seconds: the retry wait doubles per failed attempt up to this."""
MEDIA_TYPES = {".jpg": "image/jpeg", ".png": "image/png", ".webp": "image/webp", ".mp4": "video/mp4"}
ON_CHANNEL = (PublicationState.PUBLISHING, PublicationState.PUBLISHED)
"""States in which a copy is on the channel, or on its way, and nobody has asked for it to come down."""


class PublicationRefused(RecordsError):
    """Nothing goes out; the message says why (no consent, needs review, already published, …)."""


class RenderingOutdated(Exception):
    """Consent changed between rendering the copy and recording it: the copy hides too little."""


class ChannelCallFailed(Exception):
    """The channel did not confirm. `retry_in`: seconds until the next try, None when it gave up."""

    def __init__(self, publication_id: int, error: ChannelError | str, retry_in: float | None) -> None:
        super().__init__(f"publication {publication_id}: {error}")
        self.publication_id = publication_id
        self.retry_in = retry_in


@dataclass(frozen=True)
class Rendered:
    """The exact bytes for a channel, and which faces they hide."""

    content: bytes
    suffix: str
    redacted: tuple[int, ...]


@dataclass(frozen=True)
class TakedownOutcome:
    state: PublicationState
    replace: bool = False
    """A redacted copy should go out in its place (after a withdrawal, R5)."""


@dataclass(frozen=True)
class Reconciliation:
    """Work whose message was lost, or whose retry is overdue."""

    consent_changes: list[tuple[int, str]]
    """(student id, purpose) with consent events nobody acted on yet."""
    takedowns: list[int]
    """Publications whose takedown should have been tried again by now."""
    sends: list[int]
    """Publications recorded as publishing that should have been sent again by now."""
    overtaken: list[int]
    """Copies the rules in force no longer allow (a policy change, an expired consent: R13, R14),
    asked to come down just now."""


# --- publishing --------------------------------------------------------------------------------


def publish(
    factory: sessionmaker[Session],
    channels: ConfiguredChannels,
    checker: PhotoChecker,
    media_id: int,
    channel_key: str,
    actor: Actor,
    replaces_id: int | None = None,
) -> PublicationState | None:
    """Publish one checked photo on one channel as the rules allow now; returns the publication's state.

    Raises `PublicationRefused` when it may not go out, `ChannelCallFailed` when the channel did
    not confirm (the publication stays `publishing` until it is sent again, or has failed)."""
    publication_id, rendered = prepare(factory, checker, media_id, channel_key, actor, replaces_id)
    return send(factory, channels, checker, publication_id, rendered)


def prepare(
    factory: sessionmaker[Session],
    checker: PhotoChecker,
    media_id: int,
    channel_key: str,
    actor: Actor,
    replaces_id: int | None = None,
) -> tuple[int, Rendered]:
    """Render the copy outside any lock, then record the publication if consent still allows it."""
    for _ in range(3):
        with factory.begin() as session:
            media = _media(session, media_id)
            checked, policy = decision_service.checked_photo(session, media), policy_service.check_policy(session)
        decision = checked.decisions.get(channel_key)
        if checked.error or decision is None or not decision.may_go_out:
            raise PublicationRefused(_refusal(channel_key, checked, decision))
        try:
            rendered = _render(checker, checked, policy, channel_key, decision.redact)
        except (ImageError, OSError) as error:
            raise PublicationRefused(f"cannot make the copy: {error}") from None
        try:
            with factory.begin() as session:
                publication = request_publication(session, media_id, channel_key, actor, rendered, replaces_id)
                return publication.id, rendered
        except RenderingOutdated:
            continue
    raise PublicationRefused("consent kept changing while the copy was being made: try again")


def request_publication(
    session: Session,
    media_id: int,
    channel_key: str,
    actor: Actor,
    rendered: Rendered,
    replaces_id: int | None = None,
    at: datetime | None = None,
) -> Publication:
    """Check consent now, with the media and its students locked, and record the publication as
    `publishing` (R3, R5: the check and the record are one transaction). A publication of this
    media still on its way to this channel is returned as it is: sending it again resumes it."""
    lock_rows(session, Media, [media_id])
    media = _media(session, media_id)
    students = [face.student_id for face in media.faces if face.student_id]
    lock_rows(session, Student, students)
    if replaces_id is not None:
        _take_replacement_turn(session, replaces_id)
    now = at or utcnow()  # after the locks: a withdrawal that committed while this waited is in the past now
    if _dated_after(session, students, now):  # another machine's clock is ahead: its change would not count yet
        raise PublicationRefused("a consent change is dated later than this server's clock: check the clocks")
    channel = session.scalar(select(Channel).where(Channel.key == channel_key))
    if channel is None or not channel.active:
        raise PublicationRefused(f"no active channel {channel_key!r}")
    live = _live(session, media_id, channel.id)
    if live is not None and live.state is PublicationState.PUBLISHING:
        return live
    if live is not None:
        raise PublicationRefused(f"already on {channel_key} (publication {live.id}, {live.state.value})")
    if media.state is not MediaState.CHECKED:
        raise PublicationRefused(f"this file is {media.state.value}, not checked: it goes nowhere")
    decision = decision_service.current_decisions(session, media, now).get(channel_key)
    if decision is None or not decision.may_go_out:
        raise PublicationRefused(_refusal(channel_key, None, decision))
    if set(decision.redact) - set(rendered.redacted):
        raise RenderingOutdated
    publication = Publication(
        media=media,
        channel=channel,
        state=PublicationState.PUBLISHING,
        rendered_sha256=hashlib.sha256(rendered.content).hexdigest(),
        redacted_positions=sorted(rendered.redacted),
        published_at=now,
        published_by=str(actor),
        upload_name=f"{secrets.token_hex(8)}{rendered.suffix}",
        replaces_id=replaces_id,
        next_attempt_at=now,
    )
    session.add(publication)
    session.flush()
    detail = {"media": media_id, "channel": channel_key, "redacted": len(rendered.redacted), "replaces": replaces_id}
    audit_service.record(session, actor, "publication.request", "publication", publication.id, None, detail)
    return publication


def send(
    factory: sessionmaker[Session],
    channels: ConfiguredChannels,
    checker: PhotoChecker,
    publication_id: int,
    rendered: Rendered | None = None,
) -> PublicationState | None:
    """Send a `publishing` publication and record the channel's confirmation; returns the new state
    (`takedown_pending`: a withdrawal came in meanwhile, take it down now), or None when there was
    nothing to send (sent already, withdrawn, or another worker is sending it)."""
    with factory.begin() as session:
        publication = _claim(session, publication_id, PublicationState.PUBLISHING, utcnow())
        if publication is None:
            return None
        publication.attempts += 1
        retry = publication.attempts > 1
        key, name, hide = publication.channel.key, publication.upload_name, tuple(publication.redacted_positions)
        rechecked = decision_service.checked_again(publication)
        source = None
        if rendered is None or set(rendered.redacted) != set(hide):
            source = decision_service.checked_photo(session, publication.media), policy_service.check_policy(session)
    if rechecked:
        _fail(factory, publication_id, ChannelError("the photo was checked again: publish it again", retryable=False))
    try:
        if source is not None:
            rendered = _render(checker, *source, key, hide)
        upload = Upload(rendered.content, name or f"photo{rendered.suffix}", MEDIA_TYPES[rendered.suffix])
        channel = channels.get(key)
        arrived = channel.find(name) if retry and name else None  # an earlier try's answer may have been lost
        external_id = arrived or channel.publish(upload)
    except ChannelError as error:
        _fail(factory, publication_id, error)
    except (ImageError, OSError) as error:
        _fail(factory, publication_id, ChannelError(f"cannot make the copy: {error}", retryable=False))
    with factory.begin() as session:
        sha = hashlib.sha256(rendered.content).hexdigest()
        return confirm_publication(session, publication_id, external_id, sha).state


def confirm_publication(
    session: Session, publication_id: int, external_id: str, rendered_sha256: str, at: datetime | None = None
) -> Publication:
    """The channel confirmed the copy: keep its id. If the copy must come down meanwhile, it stays
    `takedown_pending`, ready to be taken down at once."""
    now = at or utcnow()
    publication = _locked(session, publication_id)
    publication.external_id, publication.rendered_sha256 = external_id, rendered_sha256
    publication.busy_until, publication.attempts, publication.last_error = None, 0, None
    if publication.state is PublicationState.PUBLISHING:
        publication.state, publication.published_at, publication.next_attempt_at = PublicationState.PUBLISHED, now, None
    else:
        if publication.state is not PublicationState.TAKEDOWN_PENDING:  # given up on, yet it arrived: fail closed
            _mark_takedown(publication, "the channel confirmed a copy that had been given up on", now)
        publication.next_attempt_at = now
    detail = {"media": publication.media_id, "channel": publication.channel.key}
    audit_service.record(session, WORKER, "publication.publish", "publication", publication.id, None, detail)
    return publication


# --- taking down -------------------------------------------------------------------------------


def unpublish_by_staff(session: Session, publication_id: int, actor: Actor, at: datetime | None = None) -> Publication:
    """Staff take a copy down (R5). It stays down: no withdrawal, policy change or reconcile publishes
    it or a replacement again; only a person does. Recorded before any message is sent, so the
    takedown happens even if the message is lost; a copy already on its way down is not replaced."""
    publication = _locked(session, publication_id)
    if publication.state in ON_CHANNEL:
        _mark_takedown(publication, UNPUBLISHED_BY_STAFF, at or utcnow(), replace=False)
        _audit_takedown(session, publication, actor)
    elif publication.state is PublicationState.TAKEDOWN_PENDING and publication.replace_when_down:
        publication.replace_when_down = False
        publication.unpublished_reason = f"{publication.unpublished_reason}; then {UNPUBLISHED_BY_STAFF}"
        _audit_takedown(session, publication, actor)
    return publication


def _audit_takedown(session: Session, publication: Publication, actor: Actor) -> None:
    detail = {
        "media": publication.media_id,
        "channel": publication.channel.key,
        "reason": publication.unpublished_reason,
    }
    audit_service.record(session, actor, "publication.takedown_request", "publication", publication.id, None, detail)


def take_down(
    factory: sessionmaker[Session], channels: ConfiguredChannels, publication_id: int
) -> TakedownOutcome | None:
    """Remove a `takedown_pending` copy from its channel and record it; None when there is nothing to
    do now (not pending, or a worker is still sending it: that worker takes it down when the channel
    confirms). Raises `ChannelCallFailed` when the channel did not confirm: it stays pending."""
    with factory.begin() as session:
        publication = _claim(session, publication_id, PublicationState.TAKEDOWN_PENDING, utcnow())
        if publication is None:
            return None
        if publication.external_id is None:
            return _never_confirmed(session, publication)
        publication.attempts += 1
        key, external_id = publication.channel.key, publication.external_id
    try:
        channels.get(key).unpublish(external_id)
    except ChannelError as error:
        _fail(factory, publication_id, error)
    with factory.begin() as session:
        return confirm_takedown(session, publication_id)


def confirm_takedown(session: Session, publication_id: int, at: datetime | None = None) -> TakedownOutcome:
    publication = _locked(session, publication_id)
    _mark_unpublished(publication, at or utcnow())
    detail = {
        "media": publication.media_id,
        "channel": publication.channel.key,
        "reason": publication.unpublished_reason,
    }
    audit_service.record(session, WORKER, "publication.unpublish", "publication", publication.id, None, detail)
    return TakedownOutcome(publication.state, replace=publication.replace_when_down)


def removed_by_hand(session: Session, publication_id: int, actor: Actor, at: datetime | None = None) -> Publication:
    """Staff removed a copy the worker cannot (the channel never confirmed its id): record it as down."""
    publication = _locked(session, publication_id)
    if publication.state is not PublicationState.TAKEDOWN_PENDING:
        raise PublicationRefused(f"publication {publication_id} is {publication.state.value}, not waiting to come down")
    _mark_unpublished(publication, at or utcnow())
    detail = {"media": publication.media_id, "channel": publication.channel.key, "by_hand": True}
    audit_service.record(session, actor, "publication.unpublish", "publication", publication.id, None, detail)
    return publication


def prepare_replacement(
    factory: sessionmaker[Session], checker: PhotoChecker, publication_id: int
) -> tuple[int, Rendered] | None:
    """After a withdrawal took a copy down: record the copy the rules allow now in its place, ready to
    send (R5). None when it is not to be replaced (staff took it down, or it was replaced already);
    raises `PublicationRefused` when nothing may go out there now."""
    with factory.begin() as session:
        old = session.get(Publication, publication_id)
        if old is None or old.state is not PublicationState.UNPUBLISHED or not old.replace_when_down:
            return None
        media_id, key = old.media_id, old.channel.key
    return prepare(factory, checker, media_id, key, WORKER, replaces_id=publication_id)


def pending_takedowns(session: Session) -> list[Publication]:
    """Copies that must come down and whose removal the channel has not confirmed yet, oldest first;
    `last_error` says what stands in the way."""
    return list(
        session.scalars(
            select(Publication)
            .where(Publication.state == PublicationState.TAKEDOWN_PENDING)
            .order_by(Publication.takedown_requested_at, Publication.id)
            .options(selectinload(Publication.channel), selectinload(Publication.media))
        )
    )


# --- consent changes ---------------------------------------------------------------------------


def apply_consent_change(session: Session, student_id: int, purpose: str, at: datetime | None = None) -> list[int]:
    """After the student's consent for `purpose` changed: ask for every copy that shows the student
    and that the rules no longer allow as it went out to come down (R5). `purpose` is a channel key,
    or face matching: whether the student is recognised at all touches every channel (R11).
    Returns the publications to take down; marks the student's events for `purpose` as acted on."""
    now = at or utcnow()
    lock_rows(session, Student, [student_id])
    shown = select(DetectedFace.media_id).where(DetectedFace.student_id == student_id)
    query = (
        select(Publication)
        .join(Channel, Channel.id == Publication.channel_id)
        .where(Publication.state.in_(ON_CHANNEL), Publication.media_id.in_(shown))
        .order_by(Publication.id)
        .with_for_update(of=Publication)
    )
    if purpose != FACE_MATCHING:
        query = query.where(Channel.key == purpose)
    reason = withdrawal_reason(session, student_id, purpose)
    overtaken = _take_down_overtaken(session, session.scalars(query).all(), reason, WORKER, now)
    unhandled = session.scalars(
        select(ConsentEvent.id).where(
            ConsentEvent.student_id == student_id, ConsentEvent.purpose == purpose, _not_followed_up()
        )
    ).all()
    session.add_all(ConsentFollowup(consent_event_id=event_id, handled_at=now) for event_id in unhandled)
    session.flush()
    return [publication.id for publication in overtaken]


def apply_review(session: Session, media_id: int, actor: Actor, at: datetime | None = None) -> list[int]:
    """After a reviewer named or corrected a face: ask for every copy of the media that the new
    decision no longer allows as it went out to come down. Call it with the media row locked (as
    `review_service.resolve_face` does), so no publication of the same media slips in between.
    The takedowns are durable: reconcile sends them even if no message follows."""
    query = (
        select(Publication)
        .where(Publication.media_id == media_id, Publication.state.in_(ON_CHANNEL))
        .order_by(Publication.id)
        .with_for_update(of=Publication)
    )
    return [p.id for p in _take_down_overtaken(session, session.scalars(query).all(), REVIEWED, actor, at or utcnow())]


def reconcile(session: Session, grace: timedelta, at: datetime | None = None) -> Reconciliation:
    """What should have happened by now and has not: consent events nobody acted on, takedowns
    and sends whose retry is overdue by more than `grace` and that no worker is busy with. Copies
    that no consent event touches yet the rules no longer allow (an adopted policy, an expiry date
    passed) are asked to come down here and listed as `overtaken`."""
    now = at or utcnow()
    overtaken = take_down_overtaken(session, now)
    changes = session.execute(
        select(ConsentEvent.student_id, ConsentEvent.purpose)
        .where(_not_followed_up(), ConsentEvent.recorded_at < now - grace)
        .distinct()
    )
    free = (Publication.busy_until.is_(None)) | (Publication.busy_until < now)
    overdue = Publication.next_attempt_at < now - grace
    takedowns = session.scalars(
        select(Publication.id).where(Publication.state == PublicationState.TAKEDOWN_PENDING, overdue, free)
    ).all()
    sends = session.scalars(
        select(Publication.id).where(Publication.state == PublicationState.PUBLISHING, overdue, free)
    ).all()
    takedowns = sorted(set(takedowns) - set(overtaken))
    pairs = sorted((student, channel) for student, channel in changes)
    return Reconciliation(pairs, takedowns, sorted(sends), overtaken)


def take_down_overtaken(session: Session, at: datetime | None = None) -> list[int]:
    """Ask for every copy on a channel that the decisions made now no longer allow as it went out to
    come down (R5, R13, R14); returns them. Run after a policy is adopted, and by every reconcile."""
    now = at or utcnow()
    candidates = decision_service.overtaken_publications(session, now)  # one read for all, then each under its lock
    return [p.id for p in _take_down_overtaken(session, candidates, overtaken_reason(session), WORKER, now)]


def withdrawal_reason(session: Session, student_id: int, purpose: str) -> str:
    """What happened, in words for staff: who withdrew the consent for `purpose`, how and on which day."""
    event = session.scalar(
        select(ConsentEvent)
        .where(ConsentEvent.student_id == student_id, ConsentEvent.purpose == purpose)
        .order_by(ConsentEvent.at.desc(), ConsentEvent.id.desc())
        .limit(1)
    )
    what = "consent for face matching" if purpose == FACE_MATCHING else "consent"
    if event is None or event.granted:
        return f"{what} no longer allows it"
    day = _day(event.at)
    if event.means is ConsentMeans.LINK:
        return f"{what} withdrawn by {DECIDERS[event.decided_by_role]} on {day}"
    how = "on paper" if event.means is ConsentMeans.PAPER else "in a message to the school"
    return f"{what} withdrawn {how} by {DECIDERS[event.decided_by_role]} on {day}, entered by {event.recorded_by}"


def overtaken_reason(session: Session) -> str:
    """Why copies come down that no consent event touched: the policy adopted last, or a consent that ran out."""
    policy = policy_service.current_version(session)
    adopted = f"policy version {policy.version} (adopted {_day(policy.created_at)})" if policy else "the policy"
    return f"{adopted} no longer allows it, or a consent ran out"


# --- helpers -----------------------------------------------------------------------------------


def _media(session: Session, media_id: int) -> Media:
    media = session.get(Media, media_id, populate_existing=True)
    if media is None:
        raise NotFound(f"no media {media_id}")
    return media


def _dated_after(session: Session, student_ids: Sequence[int], now: datetime) -> bool:
    dated = select(ConsentEvent.id).where(ConsentEvent.student_id.in_(student_ids), ConsentEvent.at > now)
    return session.scalar(select(exists(dated))) is True


def _live(session: Session, media_id: int, channel_id: int) -> Publication | None:
    return session.scalar(
        select(Publication).where(
            Publication.media_id == media_id,
            Publication.channel_id == channel_id,
            Publication.state.in_(LIVE_PUBLICATION),
        )
    )


def _locked(session: Session, publication_id: int) -> Publication:
    lock_rows(session, Publication, [publication_id])
    publication = session.get(Publication, publication_id, populate_existing=True)
    if publication is None:
        raise NotFound(f"no publication {publication_id}")
    return publication


def _claim(session: Session, publication_id: int, state: PublicationState, now: datetime) -> Publication | None:
    """Take the publication for one channel call, unless it is in another state or another worker has it.
    The claim lapses after `channel_lease_seconds`, so a lost worker's publication is picked up again."""
    publication = _locked(session, publication_id)
    if publication.state is not state or (publication.busy_until is not None and publication.busy_until > now):
        return None
    publication.busy_until = now + timedelta(seconds=settings_of(session).channel_lease_seconds)
    return publication


def _fail(factory: sessionmaker[Session], publication_id: int, error: ChannelError) -> NoReturn:
    """Record a failed channel call and raise `ChannelCallFailed` with the wait before the next try."""
    now = utcnow()
    with factory.begin() as session:
        publication = _locked(session, publication_id)
        publication.busy_until, publication.last_error = None, str(error)[:2000]
        retry_in: float | None = min(LONGEST_WAIT, settings_of(session).retry_seconds * 2 ** (publication.attempts - 1))
        sending = publication.state is PublicationState.PUBLISHING
        if sending and (not error.retryable or publication.attempts >= PUBLISH_ATTEMPTS):
            # given up: nothing is known to be on the channel, so nothing keeps the student's erasure waiting
            publication.state, publication.unpublished_at, retry_in = PublicationState.FAILED, now, None
            detail = {
                "media": publication.media_id,
                "channel": publication.channel.key,
                "attempts": publication.attempts,
            }
            audit_service.record(session, WORKER, "publication.fail", "publication", publication.id, None, detail)
        elif publication.external_id is None and not sending:
            # withdrawn while it was being sent, and the send failed: nothing to remove, or nothing we can find
            retry_in = None
            if not error.retryable:
                _mark_unpublished(publication, now)
            else:
                _needs_a_person(publication)
        publication.next_attempt_at = now + timedelta(seconds=retry_in) if retry_in is not None else None
    raise ChannelCallFailed(publication_id, error, retry_in) from error


def _never_confirmed(session: Session, publication: Publication) -> TakedownOutcome:
    """A copy to take down that the channel never confirmed, so it has no id to remove."""
    publication.busy_until = None
    if publication.attempts == 0:  # never sent: the send step will find it withdrawn and skip it
        _mark_unpublished(publication, utcnow())
        return TakedownOutcome(publication.state)
    _needs_a_person(publication)
    return TakedownOutcome(publication.state)


def _needs_a_person(publication: Publication) -> None:
    publication.next_attempt_at = None
    publication.last_error = (
        f"the channel never confirmed this copy (last error: {publication.last_error}); if the channel shows "
        f"a file named {publication.upload_name}, remove it by hand, then mark this takedown done"
    )[:2000]


def _mark_takedown(publication: Publication, reason: str, now: datetime, replace: bool = False) -> None:
    if publication.external_id is not None:  # a fresh step: earlier send failures do not count
        publication.attempts, publication.last_error = 0, None
    publication.state, publication.unpublished_reason = PublicationState.TAKEDOWN_PENDING, reason
    publication.takedown_requested_at, publication.next_attempt_at = now, now
    publication.replace_when_down = replace


def _take_replacement_turn(session: Session, replaced_id: int) -> None:
    """A copy replaces the one a withdrawal took down once, and never one staff took down (R5)."""
    replaced = _locked(session, replaced_id)
    if not replaced.replace_when_down or replaced.state is not PublicationState.UNPUBLISHED:
        raise PublicationRefused(f"publication {replaced_id} is not to be replaced: only a person publishes it again")
    replaced.replace_when_down = False


def _day(moment: datetime) -> str:
    return f"{moment.day} {moment:%b %Y}"


def _mark_unpublished(publication: Publication, now: datetime) -> None:
    publication.state, publication.unpublished_at = PublicationState.UNPUBLISHED, now
    publication.busy_until = publication.next_attempt_at = None


def _overtaken(publication: Publication, now: decision_service.Standing) -> bool:
    decision = decision_service.decided(publication.media, now).decisions.get(publication.channel.key)
    return decision_service.overtaken(publication, decision)


def _take_down_overtaken(
    session: Session, candidates: Sequence[Publication], reason: str, actor: Actor, now: datetime
) -> list[Publication]:
    """Lock the candidates in one statement, read them again with what deciding needs, read consent
    and policy once, and ask for those the rules no longer allow to come down (a withdrawal may touch
    hundreds of copies: per-copy reads and locks made its takedowns wait seconds)."""
    ids = [candidate.id for candidate in candidates]
    lock_rows(session, Publication, ids)
    fresh = session.scalars(
        select(Publication)
        .where(Publication.id.in_(ids))
        .order_by(Publication.id)
        .options(selectinload(Publication.channel), selectinload(Publication.media).selectinload(Media.faces))
        .execution_options(populate_existing=True)
    ).all()
    standing = decision_service.standing(session, now)
    overtaken = [p for p in fresh if p.state in ON_CHANNEL and _overtaken(p, standing)]
    for publication in overtaken:
        _mark_takedown(publication, reason, now, replace=True)  # the rules asked: a copy they allow may replace it
        _audit_takedown(session, publication, actor)
    return overtaken


def _not_followed_up() -> ColumnElement[bool]:
    return ~exists().where(ConsentFollowup.consent_event_id == ConsentEvent.id)


def _render(
    checker: PhotoChecker, checked: CheckedPhoto, policy: Policy, channel_key: str, hide: Sequence[int]
) -> Rendered:
    """The copy with exactly the faces `hide` redacted, in the style the policy sets for the channel."""
    if is_video(checked.path):
        return _render_video(checked, policy, channel_key, hide)
    status = ChannelStatus.REDACTED if hide else ChannelStatus.PUBLISHABLE
    forced = replace(checked, decisions={channel_key: ChannelDecision(status, tuple(hide), ())})
    rendering = copy.copy(checker)  # the loaded models, with the policy in force for the redaction style
    rendering.policy = policy
    photo = open_photo(checked.path, rendering.settings.max_pixels)
    content, suffix = rendering.render(forced, photo, channel_key)
    return Rendered(content, suffix, tuple(sorted(hide)))


def _render_video(checked: CheckedPhoto, policy: Policy, channel_key: str, hide: Sequence[int]) -> Rendered:
    """The video with the face tracks `hide` redacted in every frame, from the tracks its check kept."""
    tracks = kept_tracks(checked)
    with tempfile.TemporaryDirectory(prefix="mediacheck-") as folder:
        target = Path(folder) / "copy.mp4"
        write_redacted(checked.path, target, [tracks[i] for i in hide], policy.channel(channel_key).redaction)
        return Rendered(target.read_bytes(), ".mp4", tuple(sorted(hide)))


def _refusal(channel_key: str, checked: CheckedPhoto | None, decision: ChannelDecision | None) -> str:
    if checked is not None and checked.error:
        return f"not checked ({checked.error}): it goes nowhere"
    if decision is None:
        return f"the policy has no channel {channel_key!r}"
    return f"{channel_key}: {decision.status.value} — the rules do not let it out now"
