"""Personal consent links: issue them for a mail merge, find one by its token, revoke them (R8, R14).

A link shows one student to one holder: a guardian while the student is under 16, the student
from the 16th birthday (R6). Its token is an HMAC of a random nonce under the link key from the
settings; the database keeps the nonce and the token's SHA-256 only, so a copy of the database
opens no link, yet a reminder can print the very same link again.
"""

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.orm import Session, selectinload

from models import audit_service, consent_service
from models.audit import Actor, ActorRole
from models.base import utcnow
from models.consent import ConsentEvent, ConsentMeans, DeciderRole
from models.consent_service import Decider
from models.database import settings_of
from models.errors import NotFound
from models.links import ConsentLink
from models.school import DECIDES_ALONE_FROM_AGE, Group, Guardian, Student, StudentStatus


@dataclass(frozen=True)
class IssuedLink:
    """One row of the mail merge."""

    student: Student
    holder_name: str
    holder_email: str | None
    url: str
    link: ConsentLink


def issue_links(
    session: Session, actor: Actor, valid_until: datetime, group: str | None = None, at: datetime | None = None
) -> list[IssuedLink]:
    """One link per holder of every active student (in `group`), reusing a holder's link still valid."""
    at = at or utcnow()
    settings = settings_of(session)
    today = at.astimezone(ZoneInfo(settings.school_timezone)).date()
    key = settings.link_key_bytes()
    existing = _usable_links(session, at)
    rows = []
    for student in _students(session, group):
        for role, guardian in _holders(student, today):
            link = existing.get((student.id, role, guardian.id if guardian else None))
            action = "consent_link.reprint" if link else "consent_link.create"
            link = link or _new_link(session, key, student, role, guardian, at, valid_until)
            rows.append((student, guardian, action, link))
    session.flush()
    issued = []
    for student, guardian, action, link in rows:
        audit_service.record(session, actor, action, "consent_link", link.id, student.pseudonym)
        name, email = (guardian.name, guardian.email) if guardian else (student.name, student.email)
        issued.append(IssuedLink(student, name or "", email, link_url(settings.public_url, key, link), link))
    return issued


def resolve(session: Session, token: str, at: datetime | None = None) -> ConsentLink:
    """The link a token opens; raises `NotFound` for an unknown, expired or revoked one (fail closed)."""
    link = session.scalar(select(ConsentLink).where(ConsentLink.token_hash == token_hash(token)))
    if link is None or not link.usable_at(at or utcnow()) or link.student.status is StudentStatus.ERASED:
        raise NotFound("this link is not valid (any more); ask the school for a new one")
    return link


def decide_via_link(
    session: Session, token: str, purpose: str, granted: bool, language: str = "nl", at: datetime | None = None
) -> ConsentEvent:
    """What the parent page calls when the holder switches a purpose on or off."""
    link = resolve(session, token, at)
    decider = Decider(link.holder_role, link.guardian)
    actor = link_actor(link)
    decide = consent_service.grant if granted else consent_service.withdraw
    return decide(
        session, link.student, purpose, decider, ConsentMeans.LINK, actor, at=at, link=link, language=language
    )


def link_actor(link: ConsentLink) -> Actor:
    if link.holder_role is DeciderRole.GUARDIAN:
        return Actor(ActorRole.GUARDIAN, str(link.guardian_id))
    return Actor(ActorRole.STUDENT, link.student.pseudonym)


def revoke_links(session: Session, student: Student, actor: Actor) -> int:
    """Close every link of the student at once, e.g. when a letter went to the wrong address."""
    revoked = session.execute(
        update(ConsentLink)
        .where(ConsentLink.student_id == student.id, ConsentLink.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    ).rowcount
    detail = {"links": revoked}
    audit_service.record(session, actor, "consent_link.revoke", "student", student.pseudonym, student.pseudonym, detail)
    return revoked


def link_url(public_url: str, key: bytes, link: ConsentLink) -> str:
    return f"{public_url.rstrip('/')}/consent/{link_token(key, link.nonce)}"


def link_token(key: bytes, nonce: str) -> str:
    digest = hmac.new(key, nonce.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _students(session: Session, group: str | None) -> list[Student]:
    query = (
        select(Student)
        .where(Student.status == StudentStatus.ACTIVE)
        .order_by(Student.last_name, Student.first_name, Student.id)
        .options(selectinload(Student.guardianships))
    )
    if group is not None:
        query = query.join(Group, Group.id == Student.group_id).where(Group.name == group)
    return list(session.scalars(query))


def _holders(student: Student, today: date) -> list[tuple[DeciderRole, Guardian | None]]:
    """Who decides today (R6): the student from 16, else each guardian."""
    age = student.age_on(today)
    if age is not None and age >= DECIDES_ALONE_FROM_AGE:
        return [(DeciderRole.STUDENT, None)]
    return [(DeciderRole.GUARDIAN, g.guardian) for g in student.guardianships]


def _usable_links(session: Session, at: datetime) -> dict[tuple[int, DeciderRole, int | None], ConsentLink]:
    links = session.scalars(
        select(ConsentLink)
        .where(ConsentLink.revoked_at.is_(None), ConsentLink.expires_at > at)
        .order_by(ConsentLink.id)
    )
    return {(link.student_id, link.holder_role, link.guardian_id): link for link in links}


def _new_link(
    session: Session,
    key: bytes,
    student: Student,
    role: DeciderRole,
    guardian: Guardian | None,
    at: datetime,
    valid_until: datetime,
) -> ConsentLink:
    nonce = secrets.token_hex(16)
    link = ConsentLink(
        nonce=nonce,
        token_hash=token_hash(link_token(key, nonce)),
        student_id=student.id,
        holder_role=role,
        guardian=guardian,
        created_at=at,
        expires_at=valid_until,
    )
    session.add(link)
    return link
