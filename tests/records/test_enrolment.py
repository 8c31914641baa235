"""Biometric enrolment with the real detector and encoder (R11, R11a, R15)."""

import json
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest
from cryptography.fernet import Fernet
from sqlalchemy.orm import Session

from mediacheck.check import PhotoChecker
from mediacheck.gallery import PhotoRefused, reference_templates
from mediacheck.matching import MatchStatus
from models import consent_service, enrolment_service, media_service
from models.audit import AuditEvent
from models.base import utcnow
from models.biometrics import FaceTemplate, ReferencePhoto
from models.consent import ConsentMeans
from models.consent_service import Decider
from models.database import settings_of
from models.enrolment_service import DISTANT_TEMPLATE_MODEL, TEMPLATE_MODEL, EnrolmentRefused
from models.gallery_source import check_inputs, load_gallery
from models.media import DetectedFace, MediaKind
from models.school import Student
from models.template_cipher import TemplateKeyError, cipher, decrypt_template
from tests.composed import side_by_side
from tests.records.builders import PHOTO_OF, STAFF, count, import_school, stored_values
from tests.samples import EVENTS


def allow_face_matching(session: Session, student: Student, **when) -> None:
    decider = Decider.of_guardian(student.guardianships[0].guardian)
    consent_service.grant(session, student, "face-matching", decider, ConsentMeans.PAPER, STAFF, **when)


def enrolled(session: Session, photo_checker: PhotoChecker, number: str = "1001") -> Student:
    student = import_school(session)[number]
    allow_face_matching(session, student)
    enrolment_service.enrol(session, student, [PHOTO_OF[number]], photo_checker, STAFF)
    session.commit()
    return student


def test_r11_enrolment_is_refused_without_face_matching_consent(session: Session, photo_checker: PhotoChecker) -> None:
    sanne = import_school(session)["1001"]
    consent_service.grant(
        session, sanne, "public", Decider.of_guardian(sanne.guardianships[0].guardian), ConsentMeans.PAPER, STAFF
    )
    with pytest.raises(EnrolmentRefused, match="no consent for face matching"):
        enrolment_service.enrol(session, sanne, [PHOTO_OF["1001"]], photo_checker, STAFF)
    assert (count(session, ReferencePhoto), count(session, FaceTemplate)) == (0, 0)
    assert len(load_gallery(session)) == 0


def test_r11_withdrawal_deletes_templates_and_photos_and_the_gallery_forgets(
    session: Session, photo_checker: PhotoChecker
) -> None:
    sanne = enrolled(session, photo_checker)
    gallery = load_gallery(session)
    assert gallery.people == (sanne.pseudonym,) and gallery.templates.shape == (count(session, FaceTemplate), 128)
    decider = Decider.of_guardian(sanne.guardianships[0].guardian)
    consent_service.withdraw(session, sanne, "face-matching", decider, ConsentMeans.ADMIN, STAFF)
    assert (count(session, ReferencePhoto), count(session, FaceTemplate)) == (0, 0), "in the same transaction"
    session.commit()
    assert (count(session, ReferencePhoto), count(session, FaceTemplate)) == (0, 0)
    assert len(load_gallery(session)) == 0


def test_r11_r14_expired_face_matching_consent_leaves_the_gallery_and_is_purged(
    session: Session, photo_checker: PhotoChecker
) -> None:
    sanne = import_school(session)["1001"]
    allow_face_matching(session, sanne, expires_at=utcnow() + timedelta(days=1))
    enrolment_service.enrol(session, sanne, [PHOTO_OF["1001"]], photo_checker, STAFF)
    later = utcnow() + timedelta(days=2)
    assert len(load_gallery(session)) == 1 and len(load_gallery(session, at=later)) == 0
    assert enrolment_service.purge_without_consent(session, STAFF, at=later) == 1
    assert count(session, FaceTemplate) == 0


def test_r11_templates_and_reference_photos_are_stored_encrypted(session: Session, photo_checker: PhotoChecker) -> None:
    sanne = enrolled(session, photo_checker)
    made = reference_templates(photo_checker, PHOTO_OF["1001"])
    templates = [made.close_up, *made.distant]
    stored = session.query(FaceTemplate).order_by(FaceTemplate.id).all()
    assert len(stored) == len(templates) > 1, "the face as photographed and as if seen from afar"
    assert [row.model for row in stored] == [TEMPLATE_MODEL] + [DISTANT_TEMPLATE_MODEL] * len(made.distant)
    for row, template in zip(stored, templates, strict=True):
        assert template.astype("<f4").tobytes() not in row.template
        assert np.allclose(decrypt_template(cipher(session), row.template), template, atol=1e-5)
    photo = session.query(ReferencePhoto).one()
    assert not photo.image.startswith(b"\xff\xd8"), "not a readable JPEG"
    key = settings_of(session).template_key_bytes()
    assert not any(key in str(value).encode() for _, _, value in stored_values(session)), "the key is never stored"
    with pytest.raises(TemplateKeyError):
        decrypt_template(Fernet(Fernet.generate_key()), stored[0].template)
    assert sanne.pseudonym in load_gallery(session).people


OLD_ENCODER = "dlib-resnet-v1-upright"


def made_by_an_older_encoder(session: Session, student: Student) -> None:
    """What an enrolment before SFace left: dlib's 128 numbers (here any), labelled with its name."""
    for row in session.query(FaceTemplate).filter_by(student_id=student.id):
        row.model = OLD_ENCODER + ("-distant" if row.model == DISTANT_TEMPLATE_MODEL else "")
    session.commit()
    assert student.pseudonym not in load_gallery(session).people, "another encoder's templates are never compared"


def test_r11_templates_of_an_older_encoder_are_made_again_on_upgrade_once(
    session: Session, photo_checker: PhotoChecker
) -> None:
    """An upgrade makes the templates of a photo enrolled with an older encoder again from the stored
    photo, encrypted and audited, and the student is recognised again without enrolling anew; a second
    upgrade has nothing to do and loads no model."""
    sanne = enrolled(session, photo_checker)
    made_by_an_older_encoder(session, sanne)
    renewal = enrolment_service.renew_templates(session, lambda: photo_checker, STAFF)
    assert (renewal.renewed, renewal.failed) == (1, {})
    session.commit()
    rows = session.query(FaceTemplate).order_by(FaceTemplate.id).all()
    expected = reference_templates(photo_checker, PHOTO_OF["1001"])
    assert [row.model for row in rows] == [TEMPLATE_MODEL] + [DISTANT_TEMPLATE_MODEL] * len(expected.distant)
    close_up = decrypt_template(cipher(session), rows[0].template)
    # Made from the stored copy (re-encoded without metadata), not the original file.
    assert 1.0 - float(close_up @ expected.close_up) < 0.05
    assert sanne.pseudonym in load_gallery(session).people
    assert enrolment_service.not_recognised_because(session, sanne) is None
    entry = session.query(AuditEvent).filter_by(action="face_template.renew").one()
    assert entry.subject == sanne.pseudonym and entry.detail["model"] == TEMPLATE_MODEL

    def no_models() -> PhotoChecker:
        raise AssertionError("nothing to renew, yet the models were loaded")

    assert enrolment_service.renew_templates(session, no_models, STAFF).renewed == 0


def test_r11_a_photo_whose_templates_cannot_be_made_again_keeps_its_enrolment_and_says_why(
    session: Session, photo_checker: PhotoChecker
) -> None:
    """Fail closed: until it is renewed the student is not recognised (unknown: no consent), but stays
    enrolled with the photo kept, and the register and the upgrade's output name the reason."""
    sanne = enrolled(session, photo_checker)
    made_by_an_older_encoder(session, sanne)
    reference = session.query(ReferencePhoto).one()
    reference.image = cipher(session).encrypt((EVENTS / "kit_with_rose.jpg").read_bytes())
    session.commit()
    renewal = enrolment_service.renew_templates(session, lambda: photo_checker, STAFF)
    assert renewal.renewed == 0 and "faces of about the same size" in renewal.failed[sanne.pseudonym]
    assert any(sanne.pseudonym in line and "not recognised" in line for line in renewal.lines())
    session.commit()
    assert count(session, ReferencePhoto) == 1 and count(session, FaceTemplate) > 0
    assert sanne.pseudonym not in load_gallery(session).people
    entry = session.query(AuditEvent).filter_by(action="face_template.renew").one()
    assert "faces of about the same size" in entry.detail["failed"]
    assert "faces of about the same size" in enrolment_service.not_recognised_because(session, sanne)


def test_r15_enrolment_refuses_two_faces_of_one_size_naming_the_photo_and_stores_nothing(
    session: Session, photo_checker: PhotoChecker
) -> None:
    """R15: all or nothing; the refusal names the photo as staff uploaded it and says what to do."""
    sanne = import_school(session)["1001"]
    allow_face_matching(session, sanne)
    photos = [EVENTS / "kit_with_rose.jpg", PHOTO_OF["1001"]]
    with pytest.raises(PhotoRefused) as refusal:
        enrolment_service.enrol(session, sanne, photos, photo_checker, STAFF, ["IMG_1.jpg", "IMG_2.jpg"])
    assert [str(n) for n in refusal.value.notes] == [
        "IMG_1.jpg: 2 faces of about the same size: use a photo of this person alone"
    ]
    assert count(session, ReferencePhoto) == 0


def test_r11_enrolment_of_one_dominant_face_stores_it_with_a_note_on_the_faces_ignored(
    session: Session, photo_checker: PhotoChecker, tmp_path: Path
) -> None:
    """R11: Kit's face with Rose's at 0.3 of its height beside it enrols Kit's face; staff are told."""
    sanne = import_school(session)["1001"]
    allow_face_matching(session, sanne)
    photo = side_by_side(photo_checker, PHOTO_OF["1001"], PHOTO_OF["1003"], 0.3, tmp_path / "kit.jpg")
    enrolled = enrolment_service.enrol(session, sanne, [photo], photo_checker, STAFF)
    assert len(enrolled.references) == 1
    assert [n.photo for n in enrolled.notes] == ["kit.jpg"] and not enrolled.notes[0].refused
    assert "only the main face was enrolled" in str(enrolled.notes[0])


def test_r15_students_who_share_a_guardian_are_siblings_in_the_gallery(
    session: Session, photo_checker: PhotoChecker
) -> None:
    students = import_school(session)
    sanne, daan, noor = students["1001"], students["1002"], students["1003"]
    allow_face_matching(session, sanne)
    consent_service.grant(session, daan, "face-matching", Decider.student(), ConsentMeans.PAPER, STAFF)
    allow_face_matching(session, noor)
    enrolment_service.enrol(session, sanne, [PHOTO_OF["1001"]], photo_checker, STAFF)
    enrolment_service.enrol(session, daan, [PHOTO_OF["1003"]], photo_checker, STAFF)
    enrolment_service.enrol(session, noor, [PHOTO_OF["1003"]], photo_checker, STAFF)
    gallery = load_gallery(session)
    index = {person: i for i, person in enumerate(gallery.people)}
    assert gallery.siblings[index[sanne.pseudonym], index[daan.pseudonym]]
    assert not gallery.siblings[index[sanne.pseudonym], index[noor.pseudonym]]
    assert not gallery.siblings[index[daan.pseudonym], index[noor.pseudonym]]


def test_r11a_no_table_holds_an_event_face_template(session: Session, photo_checker: PhotoChecker) -> None:
    """The event photo's faces are matched against the database's gallery and recorded; none of their
    templates, which existed only in memory, can be found anywhere in the database."""
    sanne = enrolled(session, photo_checker)
    checker = PhotoChecker(gallery=load_gallery(session))
    checked, photo = checker.check(EVENTS / "kit_with_rose.jpg")
    media = media_service.add_media(
        session, "kit_with_rose.jpg", EVENTS / "kit_with_rose.jpg", "0" * 64, MediaKind.PHOTO, STAFF
    )
    media_service.record_check(session, media, checked, 0, STAFF)
    session.commit()
    visible = [f for f in checked.faces if f.visibility.clearly_visible]
    event_templates = [checker.encoder.encode(photo.pixels, f.face) for f in visible]
    assert event_templates and [f.match.person for f in visible if f.match.status is MatchStatus.MATCHED] == [
        sanne.pseudonym
    ]
    assert session.query(DetectedFace).filter_by(student_id=sanne.id).count() == 1
    values = stored_values(session)
    blobs = [value for _, _, value in values if isinstance(value, bytes)]
    texts = [json.dumps(value) if isinstance(value, dict | list) else str(value) for _, _, value in values]
    for template in event_templates:
        raw = template.astype("<f4").tobytes()
        assert not any(raw[:64] in blob for blob in blobs)
        assert not any(f"{float(template[0]):.6f}" in text for text in texts)
    assert {table for table, _, value in values if isinstance(value, bytes)} == {"reference_photo", "face_template"}


def test_r2_r11_the_photo_check_reads_gallery_consents_and_policy_from_the_records(
    session: Session, photo_checker: PhotoChecker
) -> None:
    """Sanne is enrolled with consent for the public website only: she goes out there as is and is
    hidden on the protected site; once face matching is withdrawn she is unknown everywhere."""
    sanne = enrolled(session, photo_checker)
    decider = Decider.of_guardian(sanne.guardianships[0].guardian)
    consent_service.grant(session, sanne, "public", decider, ConsentMeans.PAPER, STAFF)
    session.commit()
    inputs = check_inputs(session)
    checker = PhotoChecker(inputs.gallery, inputs.consents, inputs.policy, inputs.settings)
    checked, _ = checker.check(EVENTS / "kit_harington_alone.jpg")
    assert [f.match.person for f in checked.faces if f.visibility.clearly_visible] == [sanne.pseudonym]
    statuses = {channel: decision.status.value for channel, decision in checked.decisions.items()}
    assert statuses == {"protected": "redacted", "public": "publishable", "facebook": "blocked"}
    consent_service.withdraw(session, sanne, "face-matching", decider, ConsentMeans.PAPER, STAFF)
    inputs = check_inputs(session)
    checked, _ = PhotoChecker(inputs.gallery, inputs.consents, inputs.policy).check(EVENTS / "kit_harington_alone.jpg")
    assert checked.decisions["public"].status.value == "redacted"
