"""The consent in force at a moment, derived from the events alone (R3, R14).

The latest event (by decision time, then id) per student and purpose decides; no event means no
consent (R3), and a granted consent past its expiry is no consent (R14). Every reader of consent
(photo check, publication, parent page, export) goes through these queries.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.orm import Session

from mediacheck.policy import Consents
from models.channels import FACE_MATCHING, Channel
from models.consent import ConsentEvent
from models.school import Student, StudentStatus


@dataclass(frozen=True)
class ConsentState:
    purpose: str
    granted: bool
    """The answer at the moment asked: False when never asked, withdrawn or expired."""
    event: ConsentEvent | None
    """The event that decides it, i.e. the proof (R4); None when nobody ever answered (R3)."""

    @property
    def expired(self) -> bool:
        return self.event is not None and self.event.granted and not self.granted


def latest_events(at: datetime, student_id: int | None = None) -> Select[tuple[int]]:
    """Ids of the deciding event per (student, purpose) as of `at`."""
    ranked = select(
        ConsentEvent.id,
        func.row_number()
        .over(
            partition_by=(ConsentEvent.student_id, ConsentEvent.purpose),
            order_by=(ConsentEvent.at.desc(), ConsentEvent.id.desc()),
        )
        .label("rank"),
    ).where(ConsentEvent.at <= at)
    if student_id is not None:
        ranked = ranked.where(ConsentEvent.student_id == student_id)
    subquery = ranked.subquery()
    return select(subquery.c.id).where(subquery.c.rank == 1)


def in_force(at: datetime) -> ColumnElement[bool]:
    """The deciding event grants, and has not expired at `at` (R14)."""
    return and_(ConsentEvent.granted, or_(ConsentEvent.expires_at.is_(None), ConsentEvent.expires_at > at))


def purposes(session: Session) -> list[str]:
    """Every purpose consent can be asked for: the channels (R2) and face matching (R11)."""
    return [*session.scalars(select(Channel.key).order_by(Channel.id)), FACE_MATCHING]


def consent_states(session: Session, student: Student, at: datetime) -> list[ConsentState]:
    rows = session.execute(
        select(ConsentEvent, in_force(at)).where(ConsentEvent.id.in_(latest_events(at, student.id)))
    ).all()
    deciding = {event.purpose: (event, bool(granted)) for event, granted in rows}
    erased = student.status is StudentStatus.ERASED
    return [
        ConsentState(purpose, granted and not erased, event)
        for purpose in purposes(session)
        for event, granted in [deciding.get(purpose, (None, False))]
    ]


def has_consent(session: Session, student: Student, purpose: str, at: datetime) -> bool:
    return any(state.granted for state in consent_states(session, student, at) if state.purpose == purpose)


def consenting_students(purpose: str, at: datetime) -> Select[tuple[int]]:
    """Ids of the (not erased) students whose consent for `purpose` is in force at `at`."""
    return _granted(at, ConsentEvent.student_id).where(ConsentEvent.purpose == purpose)


def current_consents(session: Session, at: datetime) -> Consents:
    """(pseudonym, channel key) for every channel consent in force at `at`: the photo check's input."""
    rows = session.execute(
        _granted(at, Student.pseudonym, ConsentEvent.purpose).where(ConsentEvent.purpose != FACE_MATCHING)
    )
    return frozenset((pseudonym, purpose) for pseudonym, purpose in rows)


def _granted(at: datetime, *columns: Any) -> Select[Any]:
    """`columns` of every deciding event in force at `at` for a student who is not erased."""
    return (
        select(*columns)
        .select_from(ConsentEvent)
        .join(Student, Student.id == ConsentEvent.student_id)
        .where(ConsentEvent.id.in_(latest_events(at)), in_force(at), Student.status != StudentStatus.ERASED)
    )
