"""Subject rights: a complete copy of what is stored about a student, and erasure (R12)."""

import json
import zipfile
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from mediacheck.check import PhotoChecker
from mediacheck.imaging import open_photo
from models import consent_service, enrolment_service, link_service, media_service, rights_service
from models.audit import AuditEvent
from models.base import utcnow
from models.biometrics import FaceTemplate, ReferencePhoto
from models.channels import Channel
from models.consent import ConsentEvent, ConsentMeans
from models.consent_service import ConsentRefused, Decider, current_consents
from models.gallery_source import load_gallery
from models.links import ConsentLink
from models.media import DetectedFace, MediaKind, Publication
from models.rights_service import ErasureRefused
from models.school import Guardian, Student, StudentStatus
from tests.records.builders import PHOTO_OF, STAFF, import_school, stored_values
from tests.samples import EVENTS

EVENT = EVENTS / "kit_with_rose.jpg"


def a_full_record(session: Session, checker: PhotoChecker) -> tuple[Student, Publication]:
    """Sanne with consents, a reference photo, a consent link, a matched face and a publication."""
    sanne = import_school(session)["1001"]
    petra = Decider.of_guardian(sanne.guardianships[0].guardian)
    for purpose in ("face-matching", "public"):
        consent_service.grant(session, sanne, purpose, petra, ConsentMeans.PAPER, STAFF)
    enrolment_service.enrol(session, sanne, [PHOTO_OF["1001"]], checker, STAFF)
    link_service.issue_links(session, STAFF, utcnow().replace(year=utcnow().year + 1), group="7B")
    checked, _ = PhotoChecker(gallery=load_gallery(session)).check(EVENT)
    media = media_service.add_media(session, EVENT.name, EVENT, "0" * 64, MediaKind.PHOTO, STAFF)
    media_service.record_check(session, media, checked, 0, STAFF)
    public = session.scalar(select(Channel).where(Channel.key == "public"))
    publication = Publication(
        media=media, channel=public, rendered_sha256="1" * 64, redacted_positions=[], published_by="comms"
    )
    session.add(publication)
    session.commit()
    return sanne, publication


def test_r12_export_contains_every_stored_item_about_the_student(
    session: Session, photo_checker: PhotoChecker, tmp_path: Path
) -> None:
    sanne, publication = a_full_record(session, photo_checker)
    path = rights_service.export_student(session, sanne, STAFF, tmp_path / "export.zip")
    with zipfile.ZipFile(path) as archive:
        index = json.loads(archive.read("index.json"))
        photos = {name: archive.read(name) for name in archive.namelist() if name.startswith("reference_photos/")}
    assert index["student"] | {"recorded_since": None} == {
        "pseudonym": sanne.pseudonym,
        "student_number": "1001",
        "first_name": "Sanne",
        "last_name": "de Vries",
        "birth_date": "2014-03-04",
        "email": None,
        "group": "7B",
        "school_year": "2025-2026",
        "status": "active",
        "recorded_since": None,
    }
    assert sorted(g["email"] for g in index["guardians"]) == ["jan@example.org", "petra@example.org"]
    events = session.scalars(select(ConsentEvent).where(ConsentEvent.student_id == sanne.id)).all()
    assert [e["event"] for e in index["consents"]["history"]] == sorted(e.id for e in events)
    assert all(
        e["text"]["body"] and e["guardian"]["email"] == "petra@example.org" for e in index["consents"]["history"]
    )
    references = session.scalars(select(ReferencePhoto).where(ReferencePhoto.student_id == sanne.id)).all()
    assert (
        [p["file"] for p in index["reference_photos"]]
        == sorted(photos)
        == [f"reference_photos/{r.id}{r.suffix}" for r in references]
    )
    assert all(open_photo(data, 10**8).width > 0 for data in photos.values()), "the photos themselves, readable"
    faces = session.scalars(select(DetectedFace).where(DetectedFace.student_id == sanne.id)).all()
    assert [(f["media"], f["face"]) for f in index["matched_faces"]] == [(f.media_id, f.position) for f in faces]
    assert [p["publication"] for p in index["publications"]] == [publication.id]
    links = session.scalars(select(ConsentLink).where(ConsentLink.student_id == sanne.id)).all()
    assert sorted(link["link"] for link in index["consent_links"]) == sorted(link.id for link in links)
    register = session.scalars(select(AuditEvent).where(AuditEvent.subject == sanne.pseudonym)).all()
    assert len(index["audit_register"]) == len(register) - 1, "all entries but the export's own"


def test_r12_erase_leaves_none_of_their_personal_data(session: Session, photo_checker: PhotoChecker) -> None:
    sanne, publication = a_full_record(session, photo_checker)
    publication.unpublished_at = utcnow()
    session.commit()
    pseudonym = sanne.pseudonym
    report = rights_service.erase_student(session, sanne, STAFF)
    session.commit()
    assert [(t, c, v) for t, c, v in stored_values(session) if is_sannes(v)] == []
    assert session.query(FaceTemplate).count() == session.query(ReferencePhoto).count() == 0
    assert session.query(DetectedFace).filter(DetectedFace.student_id.is_not(None)).count() == 0
    assert report.removed["reference_photos"] == 1
    assert {k.key: k.count for k in report.kept}["consent_events"] == 2
    erased = session.scalar(select(Student).where(Student.pseudonym == pseudonym))
    assert erased.status is StudentStatus.ERASED
    assert session.query(ConsentEvent).filter_by(student_id=erased.id).count() == 2, "the proof stays, pseudonymised"


def is_sannes(value: object) -> bool:
    """Her name, number, birth date, or her guardian Jan who has no other child at the school."""
    text = json.dumps(value) if isinstance(value, dict | list) else str(value)
    return value in ("1001", date(2014, 3, 4)) or any(
        part in text for part in ("Sanne", "2014-03-04", "jan@example.org", "Jan de Vries")
    )


def test_r12_erase_keeps_a_guardian_shared_with_a_sibling(session: Session) -> None:
    students = import_school(session)
    rights_service.erase_student(session, students["1001"], STAFF)
    session.commit()
    emails = set(session.scalars(select(Guardian.email)))
    assert emails == {"petra@example.org", "ali@example.org", None}
    assert [g.guardian.email for g in students["1002"].guardianships] == ["petra@example.org"]


def test_r12_an_erased_student_has_no_consent_and_cannot_be_given_one(session: Session) -> None:
    sanne = import_school(session)["1001"]
    petra = Decider.of_guardian(sanne.guardianships[0].guardian)
    consent_service.grant(session, sanne, "public", petra, ConsentMeans.PAPER, STAFF)
    rights_service.erase_student(session, sanne, STAFF)
    assert current_consents(session, utcnow()) == frozenset()
    with pytest.raises(ConsentRefused, match="erased"):
        consent_service.grant(session, sanne, "public", petra, ConsentMeans.PAPER, STAFF)


def test_r5_r12_erase_is_refused_while_a_publication_still_shows_the_student(
    session: Session, photo_checker: PhotoChecker
) -> None:
    sanne, publication = a_full_record(session, photo_checker)
    with pytest.raises(ErasureRefused, match=f"publication\\(s\\) {publication.id} still show this student"):
        rights_service.erase_student(session, sanne, STAFF)
    position = session.scalar(select(DetectedFace.position).where(DetectedFace.student_id == sanne.id))
    publication.redacted_positions = [position]
    session.flush()
    rights_service.erase_student(session, sanne, STAFF)
