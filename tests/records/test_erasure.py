"""Erasure reaches the event media (R12): the student's faces stay hidden and out of the review queue,
file names no longer name them, and a photo only they are clearly visible in is deleted."""

import re
import shutil
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from mediacheck.check import PhotoChecker
from models import consent_service, decision_service, enrolment_service, media_service, review_service, rights_service
from models.channels import Channel
from models.consent import ConsentMeans
from models.consent_service import Decider
from models.gallery_source import load_gallery
from models.media import ERASED_MATCH, DetectedFace, Media, MediaKind, Publication
from models.review_service import Resolution, ReviewRefused
from models.school import Student
from tests.records.builders import PHOTO_OF, STAFF, import_school
from tests.samples import EVENTS
from web import i18n


def checked_media(session: Session, source: Path, name: str, folder: Path) -> Media:
    """The photo stored as an upload is (a copy of its own, since erasure may delete it), checked now."""
    folder.mkdir(parents=True, exist_ok=True)
    stored = folder / f"{len(list(folder.iterdir()))}{source.suffix}"
    shutil.copyfile(source, stored)
    checked, _ = PhotoChecker(gallery=load_gallery(session)).check(stored)
    media = media_service.add_media(session, name, stored, stored.stem.zfill(64), MediaKind.PHOTO, STAFF)
    media_service.record_check(session, media, checked, 0, STAFF)
    return media


def recognised_sanne(session: Session, checker: PhotoChecker) -> Student:
    """Sanne (the sample's Kit Harington) with face-matching consent and a reference photo."""
    sanne = import_school(session)["1001"]
    petra = Decider.of_guardian(sanne.guardianships[0].guardian)
    consent_service.grant(session, sanne, "face-matching", petra, ConsentMeans.PAPER, STAFF)
    enrolment_service.enrol(session, sanne, [PHOTO_OF["1001"]], checker, STAFF)
    return sanne


@pytest.fixture
def erased_school(session: Session, photo_checker: PhotoChecker, tmp_path: Path) -> dict[str, Media]:
    """Sanne alone, Sanne with Rose, and an empty-named album photo named after her; then Sanne erased."""
    sanne = recognised_sanne(session, photo_checker)
    media = {
        "alone": checked_media(session, EVENTS / "kit_harington_alone.jpg", "sanne_de_vries_alone.jpg", tmp_path),
        "with_rose": checked_media(session, EVENTS / "kit_with_rose.jpg", "Sanne and Rose.JPG", tmp_path),
        "named": checked_media(session, EVENTS / "obama_alone.jpg", "for-Sanne.jpg", tmp_path),
    }
    session.commit()
    assert all(session.scalars(select(DetectedFace.student_id).where(DetectedFace.media_id == media["alone"].id)))
    report = rights_service.erase_student(session, sanne, STAFF)
    session.commit()
    rights_service.remove_files(report, tmp_path / "cache")
    media["report"] = report
    return media


def test_r12_erase_deletes_a_photo_only_the_student_is_clearly_visible_in(
    session: Session, erased_school: dict, tmp_path: Path
) -> None:
    alone = erased_school["alone"]
    assert session.get(Media, alone.id) is None
    assert not Path(alone.storage_path).exists()
    assert session.scalar(select(DetectedFace.id).where(DetectedFace.media_id == alone.id)) is None
    assert Path(erased_school["with_rose"].storage_path).exists(), "a photo that shows Rose too stays"
    report = erased_school["report"]
    assert report.removed["media_deleted"] == 1
    assert {k.key: k.count for k in report.kept}["media_with_others"] == 1


def test_r10_r12_erase_pseudonymises_the_file_names_that_may_name_the_student(
    session: Session, erased_school: dict
) -> None:
    names = {key: session.get(Media, erased_school[key].id).filename for key in ("with_rose", "named")}
    assert names == {
        "with_rose": f"photo-{erased_school['with_rose'].id}.jpg",
        "named": f"photo-{erased_school['named'].id}.jpg",
    }


def test_r12_an_erased_students_face_never_returns_to_the_review_queue(
    session: Session, erased_school: dict, photo_checker: PhotoChecker
) -> None:
    with_rose = session.get(Media, erased_school["with_rose"].id)
    erased = [f for f in with_rose.faces if f.match_status == ERASED_MATCH]
    assert len(erased) == 1 and erased[0].student_id is None
    assert erased[0].id not in {f.id for f in review_service.queue(session, limit=10_000)}
    assert not review_service.is_waiting(erased[0])
    with pytest.raises(ReviewRefused, match="erased"):
        review_service.resolve_face(session, erased[0], Resolution.NOT_A_STUDENT, STAFF)
    session.rollback()
    checked, _ = PhotoChecker(gallery=load_gallery(session)).check(Path(with_rose.storage_path))
    media_service.record_check(session, with_rose, checked, 0, STAFF)
    session.commit()
    again = [f for f in with_rose.faces if f.match_status == ERASED_MATCH]
    assert [f.position for f in again] == [erased[0].position], "a check run again keeps the face erased"
    assert not [
        f
        for f in review_service.queue(session, limit=10_000)
        if f.position == erased[0].position and f.media_id == with_rose.id
    ]


def test_r12_an_erased_students_face_is_hidden_on_every_channel(session: Session, erased_school: dict) -> None:
    with_rose = session.get(Media, erased_school["with_rose"].id)
    position = next(f.position for f in with_rose.faces if f.match_status == ERASED_MATCH)
    face = with_rose.faces[position]
    face.clearly_visible = False  # even a face the policy would not call clearly visible
    session.flush()
    decisions = decision_service.current_decisions(session, with_rose)
    assert decisions
    assert all(position in d.redact or not d.may_go_out for d in decisions.values())


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_r12_the_summary_says_what_was_kept_and_why_in_words(erased_school: dict, lang: str) -> None:
    summary = i18n.erasure_summary(erased_school["report"], lang)
    lines = [*summary["removed"], *summary["kept"]]
    assert len(summary["kept"]) == len(erased_school["report"].kept) and all(": " in line for line in summary["kept"])
    assert not [line for line in lines if re.search(r"\bR\d+\b|_|\bst-[0-9a-f]", line)], "no rule numbers, keys, codes"
    kept_with_others = summary["kept"][0]
    assert (
        kept_with_others.startswith("1 ")
        and ("andere kinderen" if lang == "nl" else "other children") in kept_with_others
    )


def test_r12_a_file_another_kept_media_uses_is_not_deleted(
    session: Session, photo_checker: PhotoChecker, tmp_path: Path
) -> None:
    """The same upload in two albums is one file: deleting one media must not take the other's photo."""
    sanne = recognised_sanne(session, photo_checker)
    kept = checked_media(session, EVENTS / "kit_harington_alone.jpg", "sanne.jpg", tmp_path)
    public = session.scalar(select(Channel).where(Channel.key == "public"))
    position = kept.faces[0].position
    session.add(
        Publication(
            media=kept, channel=public, rendered_sha256="1" * 64, redacted_positions=[position], published_by="comms"
        )
    )
    deleted = media_service.add_media(session, "copy.jpg", Path(kept.storage_path), kept.sha256, MediaKind.PHOTO, STAFF)
    checked, _ = PhotoChecker(gallery=load_gallery(session)).check(Path(kept.storage_path))
    media_service.record_check(session, deleted, checked, 0, STAFF)
    session.commit()
    report = rights_service.erase_student(session, sanne, STAFF)
    session.commit()
    rights_service.remove_files(report, tmp_path / "cache")
    assert session.get(Media, deleted.id) is None and session.get(Media, kept.id) is not None
    assert Path(kept.storage_path).exists(), "the published media keeps its photo"
