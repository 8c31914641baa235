"""Grant and withdraw consent, and show it with its proof (R2–R6, R11, R14).

Every change is one new `ConsentEvent` and one audit entry in the caller's transaction; nothing
is ever edited (R4). Who may act is decided by the student's age on the day of the act in the
school's time zone (R6): the guardians before the 16th birthday, the student from it. A guardian's
consent stays in force after that birthday until the student changes it, because the state is
simply the latest event. Withdrawing face matching deletes the templates and reference photos
in the same transaction (R11).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from models import audit_service, enrolment_service, policy_service, school_service
from models.audit import Actor
from models.base import utcnow
from models.channels import FACE_MATCHING, LANGUAGES, ConsentText
from models.consent import ConsentEvent, ConsentMeans, DeciderRole
from models.consent_state import ConsentState, consent_states, current_consents, purposes
from models.database import settings_of
from models.errors import RecordsError
from models.links import ConsentLink
from models.school import DECIDES_ALONE_FROM_AGE, Guardian, Student, StudentStatus

__all__ = ["ConsentRecord", "ConsentRefused", "Decider", "current_consents", "grant", "view_consents", "withdraw"]

CLOCK_SKEW = timedelta(minutes=5)
"""How far in the future a decision may be dated: clocks differ, paper forms are not signed tomorrow."""


class ConsentRefused(RecordsError):
    """The act is not allowed; the message names the rule."""


@dataclass(frozen=True)
class Decider:
    """Who gives or withdraws the consent (R4, R6)."""

    role: DeciderRole
    guardian: Guardian | None = None

    @classmethod
    def student(cls) -> "Decider":
        return cls(DeciderRole.STUDENT)

    @classmethod
    def of_guardian(cls, guardian: Guardian) -> "Decider":
        return cls(DeciderRole.GUARDIAN, guardian)


@dataclass(frozen=True)
class ConsentRecord:
    states: list[ConsentState]
    history: list[ConsentEvent]
    """Every event for the student, oldest first, with its text and decider loaded."""


def grant(
    session: Session,
    student: Student,
    purpose: str,
    decider: Decider,
    means: ConsentMeans,
    actor: Actor,
    *,
    at: datetime | None = None,
    link: ConsentLink | None = None,
    language: str = "nl",
    expires_at: datetime | None = None,
) -> ConsentEvent:
    """Record consent for one purpose. It expires at `expires_at`, else at the policy's expiry (R14)."""
    return _decide(session, student, purpose, True, decider, means, actor, at, link, language, expires_at)


def withdraw(
    session: Session,
    student: Student,
    purpose: str,
    decider: Decider,
    means: ConsentMeans,
    actor: Actor,
    *,
    at: datetime | None = None,
    link: ConsentLink | None = None,
    language: str = "nl",
) -> ConsentEvent:
    """Record that consent for one purpose is withdrawn (or refused); as easy as granting (R5)."""
    return _decide(session, student, purpose, False, decider, means, actor, at, link, language, None)


def view_consents(session: Session, student: Student, actor: Actor, at: datetime | None = None) -> ConsentRecord:
    """The state per purpose and the full history, as shown to staff or to the link holder (audited, R9)."""
    audit_service.record(session, actor, "consent.view", "student", student.pseudonym, student.pseudonym)
    return ConsentRecord(consent_states(session, student, at or utcnow()), consent_history(session, student))


def consent_history(session: Session, student: Student) -> list[ConsentEvent]:
    """Unaudited: for services that write their own audit entry."""
    return list(
        session.scalars(
            select(ConsentEvent)
            .where(ConsentEvent.student_id == student.id)
            .order_by(ConsentEvent.at, ConsentEvent.id)
            .options(selectinload(ConsentEvent.consent_text), selectinload(ConsentEvent.decided_by_guardian))
        )
    )


def current_text(session: Session, purpose: str, language: str) -> ConsentText:
    text = session.scalar(
        select(ConsentText)
        .where(ConsentText.purpose == purpose, ConsentText.language == language)
        .order_by(ConsentText.version.desc())
        .limit(1)
    )
    if text is None:
        raise ConsentRefused(f"no consent text for {purpose!r} in {language!r}: consent needs the words shown (R4)")
    return text


def add_text(session: Session, purpose: str, language: str, body: str, actor: Actor) -> ConsentText:
    """A new version of the wording; earlier consents keep pointing at the version they were given under."""
    if purpose not in purposes(session) or language not in LANGUAGES:
        raise ConsentRefused(f"no purpose {purpose!r} or language {language!r}")
    previous = session.scalar(
        select(ConsentText.version)
        .where(ConsentText.purpose == purpose, ConsentText.language == language)
        .order_by(ConsentText.version.desc())
        .limit(1)
    )
    text = ConsentText(purpose=purpose, language=language, version=(previous or 0) + 1, body=body)
    session.add(text)
    session.flush()
    audit_service.record(session, actor, "consent_text.add", "consent_text", text.id, None, {"purpose": purpose})
    return text


def _decide(
    session: Session,
    student: Student,
    purpose: str,
    granted: bool,
    decider: Decider,
    means: ConsentMeans,
    actor: Actor,
    at: datetime | None,
    link: ConsentLink | None,
    language: str,
    expires_at: datetime | None,
) -> ConsentEvent:
    now = utcnow()
    at = at or now
    school_service.lock(session, student)
    _check_act(session, student, purpose, decider, means, link, at, now)
    event = ConsentEvent(
        student=student,
        purpose=purpose,
        granted=granted,
        decided_by_role=decider.role,
        decided_by_guardian=decider.guardian,
        means=means,
        consent_link_id=link.id if link else None,
        recorded_by=None if means is ConsentMeans.LINK else str(actor),
        consent_text=current_text(session, purpose, language),
        at=at,
        recorded_at=now,
        expires_at=_expiry(session, at, expires_at) if granted else None,
    )
    session.add(event)
    session.flush()
    detail: dict[str, object] = {"purpose": purpose, "means": means.value, "by": decider.role.value}
    if not granted and purpose == FACE_MATCHING:
        detail["reference_photos_deleted"] = enrolment_service.delete_biometrics(session, student)
    action = "consent.grant" if granted else "consent.withdraw"
    audit_service.record(session, actor, action, "consent_event", event.id, student.pseudonym, detail)
    return event


def _check_act(
    session: Session,
    student: Student,
    purpose: str,
    decider: Decider,
    means: ConsentMeans,
    link: ConsentLink | None,
    at: datetime,
    now: datetime,
) -> None:
    if student.status is StudentStatus.ERASED:
        raise ConsentRefused("this student's data has been erased")
    if purpose not in purposes(session):
        raise ConsentRefused(f"no purpose {purpose!r}; known: {', '.join(purposes(session))}")
    if at > now + CLOCK_SKEW:
        raise ConsentRefused("a decision cannot be dated in the future")
    _check_decider(session, student, decider, at)
    if means is ConsentMeans.LINK:
        _check_link(student, decider, link, at)
    elif link is not None:
        raise ConsentRefused(f"a decision by {means.value} does not come through a consent link")


def _check_decider(session: Session, student: Student, decider: Decider, at: datetime) -> None:
    """R6: the age on the day of the act, in the school's time zone, decides who may act."""
    day = at.astimezone(ZoneInfo(settings_of(session).school_timezone)).date()
    age = student.age_on(day)
    birthday = student.birthday(DECIDES_ALONE_FROM_AGE)
    if age is None or birthday is None:
        raise ConsentRefused("the student's birth date is unknown, so nobody can be shown to decide (R6)")
    if decider.role is DeciderRole.STUDENT and age < DECIDES_ALONE_FROM_AGE:
        raise ConsentRefused(f"until the 16th birthday on {birthday} the guardians decide, not the student (R6)")
    if decider.role is DeciderRole.GUARDIAN:
        if age >= DECIDES_ALONE_FROM_AGE:
            raise ConsentRefused(f"since the 16th birthday on {birthday} only the student decides (R6)")
        if decider.guardian is None or all(g.guardian_id != decider.guardian.id for g in student.guardianships):
            raise ConsentRefused("only a guardian of this student can decide for them (R6)")


def _check_link(student: Student, decider: Decider, link: ConsentLink | None, at: datetime) -> None:
    if link is None or not link.usable_at(at) or link.student_id != student.id:
        raise ConsentRefused("this consent link is not valid (expired, revoked, or for another student)")
    holder = (link.holder_role, link.guardian_id)
    if holder != (decider.role, decider.guardian.id if decider.guardian else None):
        raise ConsentRefused("a consent link can only be used by the person it was sent to")


def _expiry(session: Session, at: datetime, expires_at: datetime | None) -> datetime | None:
    expires = expires_at or policy_service.consent_expiry(session)
    if expires is not None and expires <= at:
        raise ConsentRefused(f"the consent expiry {expires:%Y-%m-%d} has passed: adopt a policy with a new one (R14)")
    return expires
