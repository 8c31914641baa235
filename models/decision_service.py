"""Decide a stored photo's channels again from its recorded faces, and render what would go out (R2, R3, R5, R15).

The photo check ran once, in the worker; its faces and their review outcomes are in the records.
Consent and policy change afterwards, and reviewers resolve faces, so every decision that matters
(the traffic lights, the preview, the publication) is made again here from those records with the
consent in force now. A reviewer's resolution counts exactly like a match (R11a); a face still
waiting for review counts as no consent (R15); an automatic match counts only while the student's
face-matching consent is in force and matching is switched on (R11). Anything unreadable or
unchecked goes nowhere.
"""

import copy
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from mediacheck.check import CheckedFace, CheckedPhoto, PhotoChecker
from mediacheck.faces import Box, Face
from mediacheck.imaging import encode_clean, open_photo
from mediacheck.matching import Match, MatchStatus
from mediacheck.policy import ChannelDecision, Consents, Policy, decide, decide_unreadable
from mediacheck.video import still
from mediacheck.visibility import Visibility
from models import audit_service, policy_service
from models.audit import Actor
from models.base import utcnow
from models.channels import FACE_MATCHING, Channel
from models.consent_state import consenting_students, current_consents
from models.media import (
    ERASED_MATCH,
    DetectedFace,
    Media,
    MediaKind,
    MediaState,
    Publication,
    PublicationState,
    ReviewState,
)
from models.media import ChannelDecision as StoredDecision
from models.processing_service import kept_tracks
from models.school import Student

_BY_A_PERSON = (ReviewState.CONFIRMED, ReviewState.TAGGED)


@dataclass(frozen=True)
class Standing:
    """What every decision made now depends on, read once for a whole album."""

    consents: Consents
    recognisable: frozenset[str]
    """Pseudonyms an automatic match may name: face-matching consent in force, matching switched on."""
    policy: Policy


def standing(session: Session, at: datetime | None = None) -> Standing:
    at = at or utcnow()
    recognisable: frozenset[str] = frozenset()
    if policy_service.face_matching_enabled(session):
        ids = consenting_students(FACE_MATCHING, at)
        recognisable = frozenset(session.scalars(select(Student.pseudonym).where(Student.id.in_(ids))))
    return Standing(current_consents(session, at), recognisable, policy_service.check_policy(session))


def face_match(face: DetectedFace, recognisable: frozenset[str]) -> Match:
    """The match as it stands now: a person's resolution is a match, a rejection is nobody."""
    pseudonym = face.student.pseudonym if face.student else None
    if face.match_status == ERASED_MATCH:
        return Match(MatchStatus.UNKNOWN)
    if face.review_state in _BY_A_PERSON and pseudonym:
        return Match(MatchStatus.MATCHED, pseudonym, face.distance, face.margin)
    if face.review_state is ReviewState.REJECTED:
        return Match(MatchStatus.UNKNOWN)
    if face.review_state is ReviewState.PENDING:
        return Match(MatchStatus.UNSURE, pseudonym, face.distance, face.margin)
    status = MatchStatus(face.match_status)
    if status is MatchStatus.MATCHED and pseudonym not in recognisable:
        return Match(MatchStatus.UNKNOWN)
    return Match(status, pseudonym, face.distance, face.margin)


def checked_photo(session: Session, media: Media, at: datetime | None = None) -> CheckedPhoto:
    """The media's check result as the core knows it, with the decisions made now (or at `at`)."""
    return decided(media, standing(session, at))


def decided(media: Media, now: Standing) -> CheckedPhoto:
    """`checked_photo` with consent and policy read once already, for deciding many media."""
    path = Path(media.storage_path)
    if media.state is not MediaState.CHECKED or media.check_error:
        error = media.check_error or "not checked yet"
        return CheckedPhoto(path, error=error, decisions=decide_unreadable(now.policy))
    faces = tuple(_checked_face(face, now.recognisable) for face in media.faces)
    decisions = decide([f.facts for f in faces], now.consents, now.policy)
    return CheckedPhoto(path, media.width or 0, media.height or 0, faces, decisions)


def current_decisions(session: Session, media: Media, at: datetime | None = None) -> dict[str, ChannelDecision]:
    return checked_photo(session, media, at).decisions


def decisions_for(
    session: Session, medias: Sequence[Media], at: datetime | None = None
) -> dict[int, dict[str, ChannelDecision]]:
    """The decisions made now (or at `at`) for many media at once (an album's traffic lights)."""
    now = standing(session, at)
    return {media.id: decided(media, now).decisions for media in medias}


def redecide(session: Session, media: Media, actor: Actor, reason: str) -> dict[str, ChannelDecision]:
    """Store the decisions made now on the media, for the worker and the records."""
    decisions = current_decisions(session, media)
    channels = {c.key: c for c in session.scalars(select(Channel))}
    stored = {d.channel.key: d for d in media.decisions}
    for key, decision in decisions.items():
        row = stored.get(key)
        if row is None:
            row = StoredDecision(channel=channels[key], status="", redact=[])
            media.decisions.append(row)
        row.status, row.redact, row.decided_at = decision.status.value, list(decision.redact), utcnow()
    session.flush()
    detail = {"reason": reason, "channels": {k: d.status.value for k, d in decisions.items()}}
    audit_service.record(session, actor, "media.redecide", "media", media.id, None, detail)
    return decisions


def render(session: Session, media: Media, channel: str, checker: PhotoChecker) -> tuple[bytes, str] | None:
    """The exact bytes that would go out on `channel` now and their suffix, or None if nothing may.
    For a video: a JPEG still of the copy (`mediacheck.video.still`), since writing the whole copy
    takes as long as publishing it.

    `checker` only renders (its models load once per process); the policy in force is used."""
    now = standing(session)
    checked = decided(media, now)
    decision = checked.decisions.get(channel)
    if checked.error or decision is None or not decision.may_go_out:
        return None
    if media.kind is MediaKind.VIDEO:
        return _video_still(checked, now.policy.channel(channel).redaction, decision.redact)
    rendering = copy.copy(checker)
    rendering.policy = now.policy
    photo = open_photo(Path(media.storage_path), rendering.settings.max_pixels)
    return rendering.render(checked, photo, channel)


def _video_still(checked: CheckedPhoto, style: str, hide: Sequence[int]) -> tuple[bytes, str]:
    return encode_clean(still(checked.path, kept_tracks(checked), hide, style), "JPEG")


def overtaken_publications(session: Session, at: datetime | None = None) -> list[Publication]:
    """Copies on a channel that the decisions made now (or at `at`) no longer allow as they went out,
    and whose takedown nobody has asked for yet (e.g. after a policy change): they must come down (R5)."""
    on_channel = (PublicationState.PUBLISHING, PublicationState.PUBLISHED)
    live = list(
        session.scalars(select(Publication).where(Publication.state.in_(on_channel)).order_by(Publication.published_at))
    )
    decided = decisions_for(session, [p.media for p in live], at)
    return [p for p in live if overtaken(p, decided[p.media_id].get(p.channel.key))]


def overtaken(publication: Publication, decision: ChannelDecision | None) -> bool:
    """The channel's decision now no longer allows the copy as it went out (fail closed)."""
    return (
        checked_again(publication)
        or decision is None
        or not decision.may_go_out
        or bool(set(decision.redact) - set(publication.redacted_positions))
    )


def checked_again(publication: Publication) -> bool:
    """The media was checked again since the copy was asked for (or has no check): its faces have new
    positions, so the redactions recorded with the copy may name the wrong faces."""
    checked_at = publication.media.checked_at
    return checked_at is None or checked_at > publication.published_at


def _checked_face(face: DetectedFace, recognisable: frozenset[str]) -> CheckedFace:
    box = Box(face.top, face.right, face.bottom, face.left)
    hide = face.clearly_visible or face.match_status == ERASED_MATCH  # an erased child is hidden even half-seen
    visibility = Visibility(face.published_height, face.sharpness, face.inside_fraction, hide)
    return CheckedFace(Face(box, face.score, (), face.inside_fraction), visibility, face_match(face, recognisable))
