"""Read the audit register with filters; reading it is itself an entry in it (R9)."""

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import audit_service
from models.audit import Actor, AuditEvent

PAGE = 500


def view_register(
    session: Session,
    viewer: Actor,
    subject: str | None = None,
    actor_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[AuditEvent]:
    """Newest first, at most `PAGE` entries: about one student (pseudonym), by one actor, in a period."""
    query = select(AuditEvent).order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(PAGE)
    if subject:
        query = query.where(audit_service.about(subject))
    if actor_id:
        query = query.where(AuditEvent.actor_id == actor_id)
    if since:
        query = query.where(AuditEvent.at >= since)
    if until:
        query = query.where(AuditEvent.at < until)
    entries = list(session.scalars(query))
    filters = {"actor": actor_id, "since": since and since.isoformat(), "until": until and until.isoformat()}
    audit_service.record(session, viewer, "audit.view", "audit_event", "register", subject, {"filters": filters})
    return entries
