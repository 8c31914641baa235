"""Write to and read the audit register (R9). Writing is the only change the register ever sees."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
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


def entries(session: Session, subject: str | None = None, since: datetime | None = None) -> Sequence[AuditEvent]:
    query = select(AuditEvent).order_by(AuditEvent.at, AuditEvent.id)
    if subject is not None:
        query = query.where(AuditEvent.subject == subject)
    if since is not None:
        query = query.where(AuditEvent.at >= since)
    return session.scalars(query).all()
