"""Every view of a student's data is written to the register, once per view (R9): the admin's student
list, the review page with its candidates, the face pictures and reference photos on it, and the photo
page with its previews. A picture fetched outside its page is a view of its own.

Each test runs on a fresh database and counts only the entries of the one staff member it acts as,
after a marker taken just before, so what it counts is exactly what it made."""

import re

from sqlalchemy import select

from mediacheck.check import PhotoChecker
from models import consent_service, enrolment_service
from models.consent import ConsentMeans
from models.consent_service import Decider
from models.media import DetectedFace, ReviewState
from models.roster_csv import parse_roster
from models.school import Student
from models.school_service import find_student, import_roster
from tests.records.builders import NOOR, PHOTO_OF, SANNE, TODAY, roster
from tests.samples import EVENTS
from tests.web.inprocess import SEED, LocalApp


def a_school(local: LocalApp) -> dict[str, Student]:
    with local.factory.begin() as session:
        import_roster(session, parse_roster(roster(SANNE, NOOR), TODAY), SEED, TODAY)
        students = {number: find_student(session, number) for number in ("1001", "1003")}
        session.expunge_all()
        return students


def a_face_of_sanne(
    local: LocalApp, checker: PhotoChecker, state: ReviewState = ReviewState.PENDING
) -> tuple[int, int, str]:
    """A checked photo whose first face the matcher was unsure about, Sanne (enrolled) its candidate;
    or (CONFIRMED) a reviewer said it is her. Returns the media id, the face id and Sanne's pseudonym."""
    a_school(local)
    media_id = local.add_photo(checker, EVENTS / "obama_and_biden.jpg", "sports.jpg")
    with local.factory.begin() as session:
        sanne = find_student(session, "1001")
        petra = Decider.of_guardian(sanne.guardianships[0].guardian)
        consent_service.grant(session, sanne, "face-matching", petra, ConsentMeans.PAPER, SEED)
        enrolment_service.enrol(session, sanne, [PHOTO_OF["1001"]], checker, SEED)
        face = session.scalar(select(DetectedFace).where(DetectedFace.media_id == media_id, DetectedFace.position == 0))
        face.student, face.review_state, face.distance, face.margin = sanne, state, 0.5, 0.01
        return media_id, face.id, sanne.pseudonym


def test_r9_the_admins_student_list_is_one_entry_naming_the_students_shown(local: LocalApp) -> None:
    students = a_school(local)
    with local.client("admin") as admin:
        marker = local.last_entry_id()
        assert admin.get("/admin").status_code == 200
    entries = local.entries_since(marker, "admin")
    assert [e.action for e in entries] == ["student.list.view"]
    assert sorted(entries[0].detail["students"]) == sorted(s.pseudonym for s in students.values())


def test_r9_the_review_page_with_its_pictures_is_one_entry(local: LocalApp, web_checker: PhotoChecker) -> None:
    _, face_id, sanne = a_face_of_sanne(local, web_checker)
    with local.client("reviewer") as reviewer:
        marker = local.last_entry_id()
        page = reviewer.get("/review")
        assert page.status_code == 200 and "Sanne" in page.text
        pictures = sorted(set(re.findall(r'src="(/review/[^"]+)"', page.text)))
        assert f"/review/faces/{face_id}/crop" in pictures and any("/references/" in p for p in pictures)
        assert all(reviewer.get(picture).status_code == 200 for picture in pictures)
    entries = local.entries_since(marker, "reviewer")
    assert [e.action for e in entries] == ["review.view"], "the page and its pictures are one view"
    assert entries[0].detail["students"] == [sanne] and face_id in entries[0].detail["faces"]


def test_r9_a_face_picture_fetched_outside_the_review_page_is_a_view(
    local: LocalApp, web_checker: PhotoChecker
) -> None:
    _, face_id, sanne = a_face_of_sanne(local, web_checker)
    with local.client("communications") as staff:
        marker = local.last_entry_id()
        assert staff.get(f"/review/faces/{face_id}/crop").status_code == 200
    entries = local.entries_since(marker, "communications")
    assert [(e.action, e.object_id, e.subject) for e in entries] == [("face.picture.view", str(face_id), sanne)]


def test_r9_the_photo_page_with_its_previews_is_one_entry(local: LocalApp, web_checker: PhotoChecker) -> None:
    media_id, _, sanne = a_face_of_sanne(local, web_checker, ReviewState.CONFIRMED)
    with local.client("communications") as staff:
        marker = local.last_entry_id()
        page = staff.get(f"/media/{media_id}")
        assert page.status_code == 200
        previews = sorted(set(re.findall(rf'src="(/media/{media_id}/preview/[^"]+)"', page.text)))
        assert previews, "the page shows the previews per channel"
        assert all(staff.get(preview).status_code == 200 for preview in previews)
    entries = local.entries_since(marker, "communications")
    assert [e.action for e in entries] == ["media.view"]
    assert entries[0].detail["students"] == [sanne]


def test_r9_a_preview_fetched_outside_the_photo_page_is_a_view(local: LocalApp, web_checker: PhotoChecker) -> None:
    media_id, _, sanne = a_face_of_sanne(local, web_checker, ReviewState.CONFIRMED)
    with local.client("admin") as admin:
        marker = local.last_entry_id()
        assert admin.get(f"/media/{media_id}/preview/protected").status_code == 200
    entries = local.entries_since(marker, "admin")
    assert [(e.action, e.object_id, e.detail["students"]) for e in entries] == [
        ("media.preview", str(media_id), [sanne])
    ]
