"""The rights of a student and their guardians: a copy of everything stored, and erasure (R12).

`export_student` writes one zip: `index.json` describing every stored item about the student,
and the reference photos as files. `erase_student` removes the student's personal data and
biometrics and says what it kept and why: the consent events (pseudonymised) that prove what
was published before was lawful, and the append-only audit register. The student's faces stay
hidden in the event media that show other people too; a photo or video in which nobody else is
clearly visible is deleted, and no file name that may name the student is kept.
"""

import json
import zipfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from models import (
    audit_service,
    consent_service,
    decision_service,
    enrolment_service,
    media_service,
    school_service,
)
from models.audit import Actor, AuditEvent
from models.base import utcnow
from models.consent import ConsentEvent
from models.consent_state import ConsentState, consent_states
from models.errors import RecordsError
from models.links import ConsentLink
from models.media import ERASED_MATCH, DetectedFace, Media, Publication, ReviewState
from models.processing_service import tracks_file
from models.school import Guardianship, Student, StudentStatus

NOT_INCLUDED = (
    "The event photos and videos themselves are not in this export: they show other people too. "
    "Each one in which the student was recognised is listed under matched_faces; ask the school to see them."
)


class ErasureRefused(RecordsError):
    """Erasing now would lose what is needed to take publications down; the message says what to do first."""


@dataclass(frozen=True)
class Kept:
    key: str
    """What was kept; `web.i18n.ERASURE` words it and says why, for staff and parents."""
    count: int


@dataclass(frozen=True)
class ErasureReport:
    pseudonym: str
    removed: dict[str, int]
    """Counts by what was removed (keys worded in `web.i18n.ERASURE`)."""
    kept: list[Kept]
    files: tuple[Path, ...] = ()
    """Files of the deleted media, to remove once the erasure is committed (`remove_files`)."""


def export_student(session: Session, student: Student, actor: Actor, destination: Path) -> Path:
    """Write everything stored about the student to the zip file `destination` (audited, R9)."""
    references = enrolment_service.reference_photos(session, student)
    faces = media_service.matched_faces(session, student)
    index = {
        "exported_at": utcnow().isoformat(),
        "student": _student_json(student),
        "guardians": [_guardian_json(g) for g in student.guardianships],
        "consents": {
            "current": [_state_json(s) for s in consent_states(session, student, utcnow())],
            "history": [_event_json(e) for e in consent_service.consent_history(session, student)],
        },
        "reference_photos": [
            {
                "file": f"reference_photos/{r.id}{r.suffix}",
                "added_at": r.created_at.isoformat(),
                "added_by": r.created_by,
            }
            for r, _ in references
        ],
        "consent_links": [_link_json(link) for link in _links(session, student)],
        "matched_faces": [_face_json(face) for face in faces],
        "publications": [
            _publication_json(p, faces) for p in media_service.publications_of(session, [f.media_id for f in faces])
        ],
        "audit_register": [_audit_json(a) for a in audit_service.entries(session, subject=student.pseudonym)],
        "not_included": NOT_INCLUDED,
    }
    destination.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(destination, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("index.json", json.dumps(index, indent=1, ensure_ascii=False))
        for reference, image in references:
            archive.writestr(f"reference_photos/{reference.id}{reference.suffix}", image)
    audit_service.record(session, actor, "student.export", "student", student.pseudonym, student.pseudonym)
    return destination


def erase_student(session: Session, student: Student, actor: Actor) -> ErasureReport:
    """Remove the student's personal data, biometrics and face matches; keep the pseudonymised proof.

    Deleted media leave their files behind until the caller has committed (`remove_files`): a
    rolled-back erasure must not lose a photo."""
    school_service.lock(session, student)
    if student.status is StudentStatus.ERASED:
        raise ErasureRefused(f"{student.pseudonym} has already been erased")
    _refuse_while_published(session, student)
    now = utcnow()
    media = _media_of(session, student)
    renamed = _pseudonymise_file_names(session, student, media)
    faces = _hide_faces(session, student)
    deleted = [m for m in media if not _others_visible(m, student) and not _published(session, m)]
    removed = {
        "reference_photos": enrolment_service.delete_biometrics(session, student),
        "recognitions": faces,
        "media_deleted": _delete_media(session, deleted),
        "file_names": renamed,
        "guardians": _forget_guardians(session, student),
        "consent_links": session.execute(
            update(ConsentLink)
            .where(ConsentLink.student_id == student.id, ConsentLink.revoked_at.is_(None))
            .values(revoked_at=now)
        ).rowcount,
    }
    for name in ("student_number", "first_name", "last_name", "birth_date", "email", "group"):
        setattr(student, name, None)
    student.status, student.erased_at = StudentStatus.ERASED, now
    session.flush()
    files = _unused_files(session, {m.storage_path for m in deleted})
    for kept_media in (m for m in media if m not in deleted):
        decision_service.redecide(session, kept_media, actor, "student erased")
    kept = _kept(session, student, [m for m in media if m not in deleted])
    detail = {"removed": removed, "kept": {k.key: k.count for k in kept}}
    audit_service.record(session, actor, "student.erase", "student", student.pseudonym, student.pseudonym, detail)
    return ErasureReport(student.pseudonym, removed, kept, files)


def remove_files(report: ErasureReport, cache_dir: Path) -> None:
    """After the erasure is committed: delete the files of the deleted media and their staff views."""
    for path in report.files:
        path.unlink(missing_ok=True)
        for view in cache_dir.glob(f"{path.stem}-*.jpg") if path.stem.isalnum() else ():
            view.unlink(missing_ok=True)


def _refuse_while_published(session: Session, student: Student) -> None:
    """A live publication showing the student must come down first (R5): after erasure nobody could find it."""
    rows = session.execute(
        select(Publication, DetectedFace.position)
        .join(DetectedFace, DetectedFace.media_id == Publication.media_id)
        .where(DetectedFace.student_id == student.id, Publication.unpublished_at.is_(None))
    ).all()
    live = sorted({p.id for p, position in rows if position not in p.redacted_positions})
    if live:
        raise ErasureRefused(
            f"publication(s) {', '.join(map(str, live))} still show this student: withdraw the channel consents "
            "and let them be taken down first"
        )


def _media_of(session: Session, student: Student) -> list[Media]:
    """The media in which one of the student's faces was found, matched or asked about."""
    return list(
        session.scalars(
            select(Media)
            .where(Media.id.in_(select(DetectedFace.media_id).where(DetectedFace.student_id == student.id)))
            .order_by(Media.id)
        )
    )


def _hide_faces(session: Session, student: Student) -> int:
    """The student's faces stay in the event media, hidden on every channel and never put to a reviewer."""
    return session.execute(
        update(DetectedFace)
        .where(DetectedFace.student_id == student.id)
        .values(
            student_id=None,
            match_status=ERASED_MATCH,
            distance=None,
            margin=None,
            review_state=ReviewState.NOT_NEEDED,
            reviewed_by=None,
            reviewed_at=None,
        )
        .execution_options(synchronize_session="fetch")
    ).rowcount


def _pseudonymise_file_names(session: Session, student: Student, media: list[Media]) -> int:
    """Name by number every file the student is in, and every file whose name has the student's name in it."""
    names = [n.lower() for n in (student.first_name, student.last_name) if n and len(n) >= 2]
    named = [func.lower(Media.filename).contains(n, autoescape=True) for n in names]
    found = list(session.scalars(select(Media).where(or_(*named)))) if named else []
    renamed = 0
    for item in {m.id: m for m in [*media, *found]}.values():
        pseudonymous = f"{item.kind.value}-{item.id}{Path(item.filename).suffix.lower()}"
        if item.filename != pseudonymous:
            item.filename, renamed = pseudonymous, renamed + 1
    return renamed


def _others_visible(media: Media, student: Student) -> bool:
    """Someone other than the student is clearly visible: the media still has a use without them."""
    return any(f.clearly_visible and f.match_status != ERASED_MATCH for f in media.faces)


def _published(session: Session, media: Media) -> bool:
    """A publication record points at the media: the school must be able to prove or take down that copy."""
    return session.scalar(select(func.count()).where(Publication.media_id == media.id)) > 0


def _unused_files(session: Session, paths: set[str]) -> tuple[Path, ...]:
    """The files of deleted media that no other media still uses (one upload can be in two albums)."""
    used = set(session.scalars(select(Media.storage_path).where(Media.storage_path.in_(paths))))
    return tuple(file for path in sorted(paths - used) for file in (Path(path), tracks_file(Path(path))))


def _delete_media(session: Session, media: list[Media]) -> int:
    for item in media:
        session.delete(item)
    session.flush()
    return len(media)


def _forget_guardians(session: Session, student: Student) -> int:
    """Drop the student's guardian links; blank a guardian who has no other student at the school."""
    forgotten = 0
    for link in list(student.guardianships):
        guardian = link.guardian
        student.guardianships.remove(link)
        session.flush()
        others = session.scalar(select(func.count()).where(Guardianship.guardian_id == guardian.id))
        if not others:
            guardian.name = guardian.email = None
            forgotten += 1
    return forgotten


def _kept(session: Session, student: Student, media: list[Media]) -> list[Kept]:
    """What stays; `web.i18n.ERASURE` says what each is and why it stays, in Dutch and English."""

    def count(query: Any) -> int:
        return session.scalar(select(func.count()).select_from(query.subquery())) or 0

    published = [m for m in media if _published(session, m)]
    return [
        Kept("media_with_others", len([m for m in media if m not in published])),
        Kept("media_published", len(published)),
        Kept("consent_events", count(select(ConsentEvent.id).where(ConsentEvent.student_id == student.id))),
        Kept("consent_links", count(select(ConsentLink.id).where(ConsentLink.student_id == student.id))),
        Kept("audit_entries", count(select(AuditEvent.id).where(audit_service.about(student.pseudonym)))),
    ]


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _student_json(student: Student) -> dict[str, Any]:
    return {
        "pseudonym": student.pseudonym,
        "student_number": student.student_number,
        "first_name": student.first_name,
        "last_name": student.last_name,
        "birth_date": student.birth_date.isoformat() if student.birth_date else None,
        "email": student.email,
        "group": student.group.name if student.group else None,
        "school_year": student.group.school_year.name if student.group else None,
        "status": student.status.value,
        "recorded_since": _iso(student.created_at),
    }


def _guardian_json(link: Guardianship) -> dict[str, Any]:
    return {"name": link.guardian.name, "email": link.guardian.email, "relation": link.relation}


def _state_json(state: ConsentState) -> dict[str, Any]:
    return {
        "purpose": state.purpose,
        "granted": state.granted,
        "expired": state.expired,
        "decided_by_event": state.event.id if state.event else None,
    }


def _event_json(event: ConsentEvent) -> dict[str, Any]:
    guardian = event.decided_by_guardian
    return {
        "event": event.id,
        "purpose": event.purpose,
        "granted": event.granted,
        "at": event.at.isoformat(),
        "recorded_at": event.recorded_at.isoformat(),
        "decided_by": event.decided_by_role.value,
        "guardian": {"name": guardian.name, "email": guardian.email} if guardian else None,
        "means": event.means.value,
        "consent_link": event.consent_link_id,
        "recorded_by": event.recorded_by,
        "expires_at": _iso(event.expires_at),
        "text": {
            "version": event.consent_text.version,
            "language": event.consent_text.language,
            "body": event.consent_text.body,
        },
    }


def _links(session: Session, student: Student) -> list[ConsentLink]:
    return list(
        session.scalars(select(ConsentLink).where(ConsentLink.student_id == student.id).order_by(ConsentLink.id))
    )


def _link_json(link: ConsentLink) -> dict[str, Any]:
    return {
        "link": link.id,
        "holder": link.holder_role.value,
        "guardian": link.guardian.email if link.guardian else None,
        "created_at": link.created_at.isoformat(),
        "expires_at": link.expires_at.isoformat(),
        "revoked_at": _iso(link.revoked_at),
    }


def _face_json(face: DetectedFace) -> dict[str, Any]:
    media = face.media
    return {
        "media": media.id,
        "filename": media.filename,
        "album": media.album.name if media.album else None,
        "uploaded_at": media.uploaded_at.isoformat(),
        "face": face.position,
        "box": {"top": face.top, "right": face.right, "bottom": face.bottom, "left": face.left},
        "clearly_visible": face.clearly_visible,
        "match": face.match_status,
        "distance": face.distance,
        "review": face.review_state.value,
    }


def _publication_json(publication: Publication, faces: list[DetectedFace]) -> dict[str, Any]:
    positions = [f.position for f in faces if f.media_id == publication.media_id]
    return {
        "publication": publication.id,
        "media": publication.media_id,
        "channel": publication.channel.key,
        "published_at": publication.published_at.isoformat(),
        "unpublished_at": _iso(publication.unpublished_at),
        "external_id": publication.external_id,
        "student_redacted": all(p in publication.redacted_positions for p in positions),
    }


def _audit_json(entry: AuditEvent) -> dict[str, Any]:
    return {
        "at": entry.at.isoformat(),
        "actor": f"{entry.actor_role.value}:{entry.actor_id}",
        "action": entry.action,
        "object": f"{entry.object_type}:{entry.object_id}",
    }
