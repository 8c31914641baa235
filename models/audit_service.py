"""Write to and read the audit register (R9). Writing is the only change the register ever sees."""

from collections.abc import Collection, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, String, cast, or_, select
from sqlalchemy.orm import Session

from models.audit import Actor, AuditEvent
from models.base import utcnow


def record(
    session: Session,
    actor: Actor,
    action: str,
    object_type: str,
    object_id: object,
    subject: str | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add one register entry to the caller's transaction, so it is stored exactly when the act is."""
    event = AuditEvent(
        at=utcnow(),
        actor_role=actor.role,
        actor_id=actor.id,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        subject=subject,
        detail=detail,
    )
    session.add(event)
    return event


PAGE_LOAD = timedelta(minutes=5)
"""How long after a page's view its pictures count as part of that view: one view, one entry."""


def record_view(
    session: Session,
    actor: Actor,
    action: str,
    object_type: str,
    object_id: object,
    students: Collection[str],
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """One entry for one view, however many students it shows: their pseudonyms are in the detail
    under "students" (and the subject, when there is one), so each student's register finds it."""
    shown = sorted(set(students))
    subject = shown[0] if len(shown) == 1 else None
    return record(session, actor, action, object_type, object_id, subject, {**(detail or {}), "students": shown})


def shown_by_a_view(session: Session, actor: Actor, action: str, key: str, value: object) -> bool:
    """The actor's latest `action` entry, made moments ago, lists `value` under `key`: a picture of
    that page, whose view is already registered."""
    latest = session.scalar(
        select(AuditEvent)
        .where(
            AuditEvent.actor_role == actor.role,
            AuditEvent.actor_id == actor.id,
            AuditEvent.action == action,
            AuditEvent.at >= utcnow() - PAGE_LOAD,
        )
        .order_by(AuditEvent.id.desc())
        .limit(1)
    )
    return latest is not None and value in (latest.detail or {}).get(key, [])


def about(subject: str) -> ColumnElement[bool]:
    """Entries about the student: named as the subject, or among the students a view showed."""
    return or_(AuditEvent.subject == subject, cast(AuditEvent.detail, String).contains(f'"{subject}"', autoescape=True))


def entries(session: Session, subject: str | None = None, since: datetime | None = None) -> Sequence[AuditEvent]:
    query = select(AuditEvent).order_by(AuditEvent.at, AuditEvent.id)
    if subject is not None:
        query = query.where(about(subject))
    if since is not None:
        query = query.where(AuditEvent.at >= since)
    return session.scalars(query).all()
