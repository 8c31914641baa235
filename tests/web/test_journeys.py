"""The four journeys of SPEC.md's users, in Debian's chromium, against `mediacheck serve --demo` with its
worker: real uploads, real checks, real publications in the folder channel. Each saves screenshots
to test-artifacts/."""

import io
import re
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps
from playwright.sync_api import Browser, expect
from sqlalchemy import select

from models.media import DetectedFace, Media, PublicationState
from models.school import Student
from tests.samples import EVENTS
from tests.web.journeys import (
    PROCESSING_SECONDS,
    demo_link,
    logged_in,
    published_files,
    records_session,
    wait_for_publication,
    wait_until_checked,
)
from tests.web.servers import Server
from tests.worker.workers import wait_for

PHONE = {"width": 390, "height": 844}
HIDDEN, KEPT = 10, 5
"""Mean change of a face's pixels in a copy: re-encoding alone changes ~1.5, redaction ~25."""


def test_teacher_uploads_photos_and_sees_which_were_processed_and_which_refused(
    browser: Browser, demo_app: Server, artifacts: Path, tmp_path: Path
) -> None:
    """Journey (a): five files at once, one of them corrupt; four are checked, one is named with its reason."""
    page = logged_in(browser, demo_app, "teacher")
    page.goto(f"{demo_app.url}/albums")
    page.fill("input[name=name]", "Sports day")
    page.click("text=Create album")
    page.wait_for_url(re.compile(r"/albums/\d+$"))  # loaded, with its script listening
    photos = [EVENTS / name for name in ("alex_lacamoire_alone.jpg", "kit_harington_alone.jpg", "two_people.jpg")]
    photos.append(EVENTS / "obama_partial_face.jpg")
    corrupt = tmp_path / "broken.jpg"
    corrupt.write_bytes((EVENTS / "obama_alone.jpg").read_bytes()[:4000])  # a JPEG cut off mid-way
    page.set_input_files("#picker", [*photos, corrupt])
    page.screenshot(path=artifacts / "a1-teacher-uploading.png", full_page=True)
    rejected = page.locator("#uploads li.rejected")
    expect(rejected).to_have_count(1)
    expect(rejected).to_contain_text("broken.jpg")
    expect(rejected).to_contain_text("damaged or truncated image")
    processed = page.locator("#album-files td.state-checked")
    expect(processed).to_have_count(4, timeout=PROCESSING_SECONDS * 1000)
    expect(page.locator("#uploads li.uploaded")).to_have_count(4)
    page.screenshot(path=artifacts / "a2-teacher-processed.png", full_page=True)


def test_communications_previews_the_redacted_public_copy_and_publishes_it_to_the_folder(
    browser: Browser, demo_app: Server, artifacts: Path
) -> None:
    """Journey (b): traffic lights; the public preview hides the unknown child (R3, R11); what arrives in
    the folder channel is exactly the preview, without metadata or names (R10)."""
    media = wait_until_checked(demo_app, "obama_and_biden.jpg")
    page = logged_in(browser, demo_app, "comms")
    page.goto(f"{demo_app.url}/library")
    page.click("text=School musical (demo)")
    tile = page.locator(f'li.tile[data-media="{media.id}"]')
    expect(tile.locator('[data-channel="public"] .light')).to_have_text(re.compile(r"\d faces? redacted"))
    expect(page.locator(".light.blocked").first).to_be_visible()
    page.screenshot(path=artifacts / "b1-communications-traffic-lights.png", full_page=True)
    tile.locator("img").click()
    preview = page.request.get(f"{demo_app.url}/media/{media.id}/preview/public").body()
    child, obama = _face(demo_app, media.id, None), _face(demo_app, media.id, "1001")
    assert _change_inside(preview, media, child) > HIDDEN, "the unknown child is hidden in the public copy"
    assert _change_inside(preview, media, obama) < KEPT, "Barack, with public consent, is not"
    page.screenshot(path=artifacts / "b2-communications-photo-and-previews.png", full_page=True)
    page.click("text=Publish to Public website")
    expect(page.locator(".flash")).to_contain_text("1 queued for publication on public")
    published = wait_for(lambda: published_files(demo_app, "public", before=set()), PROCESSING_SECONDS, "the copy")
    copy = published.pop()
    assert copy.read_bytes() == preview, "what went out is exactly the preview"
    assert "obama" not in copy.name and "biden" not in copy.name
    with Image.open(copy) as image:
        assert not image.getexif() and not {"exif", "xmp", "icc_profile", "comment"} & set(image.info)
    page.goto(f"{demo_app.url}/publications")
    expect(page.locator("table.publications")).to_contain_text("obama_and_biden.jpg")
    page.screenshot(path=artifacts / "b3-communications-publications.png", full_page=True)


def test_parent_withdraws_public_consent_on_a_phone_and_the_photo_comes_back_redacted(
    browser: Browser, demo_app: Server, artifacts: Path
) -> None:
    """Journey (c): Kit's photo is on the public site; the parent switches public off on the personal link,
    on a phone; the copy is taken down and replaced by one with Kit hidden (R5), the page says so."""
    media = wait_until_checked(demo_app, "kit_harington_alone.jpg")
    staff = logged_in(browser, demo_app, "comms")
    staff.goto(f"{demo_app.url}/media/{media.id}")
    before = published_files(demo_app, "public", before=set())
    staff.click("text=Publish to Public website")
    first = wait_for_publication(demo_app, media.id, PublicationState.PUBLISHED)
    original = wait_for(lambda: published_files(demo_app, "public", before), PROCESSING_SECONDS, "Kit's copy")
    phone = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2, locale="nl-NL")
    parent = phone.new_page()
    parent.goto(demo_link(demo_app))
    expect(parent.locator("h1")).to_contain_text("Kit")
    assert parent.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], "no sideways scrolling"
    parent.screenshot(path=artifacts / "c1-parent-consent-page-phone.png", full_page=True)
    parent.click("#choice-public label.no")
    parent.click("button.save")
    expect(parent.locator(".saved")).to_contain_text("Opgeslagen op")
    expect(parent.locator(".takedown")).to_contain_text("Openbare website")
    parent.screenshot(path=artifacts / "c2-parent-withdrawn-phone.png", full_page=True)
    wait_for(lambda: not any(p.exists() for p in original), PROCESSING_SECONDS, "the public copy to be taken down")
    replacement = wait_for_publication(demo_app, media.id, PublicationState.PUBLISHED, replaces=first.id)
    assert replacement.redacted_positions, "the copy that came back hides Kit's face"
    copy = wait_for(lambda: published_files(demo_app, "public", before | original), 30, "the redacted copy").pop()
    assert _change_inside(copy.read_bytes(), media, _face(demo_app, media.id, "1003")) > HIDDEN
    staff.goto(f"{demo_app.url}/publications")
    staff.screenshot(path=artifacts / "c3-communications-after-withdrawal.png", full_page=True)


def test_admin_imports_a_csv_with_one_bad_line_and_sees_its_number(
    browser: Browser, demo_app: Server, artifacts: Path, tmp_path: Path
) -> None:
    """Journey (d): the import names the bad line and changes nothing."""
    csv = tmp_path / "school.csv"
    csv.write_text(
        "student_number,first_name,last_name,birth_date,group,guardian1_name,guardian1_email\n"
        "2001,Ada,Visser,2013-05-01,8A,Eva Visser,eva@example.org\n"
        "2002,Bram,Smit,31-02-2013,8A,Tom Smit,tom@example.org\n"
        "2003,Cas,Mulder,2013-07-09,8A,Ilse Mulder,ilse@example.org\n",
        encoding="utf-8",
    )
    page = logged_in(browser, demo_app, "admin")
    page.goto(f"{demo_app.url}/admin")
    page.set_input_files("input[name=file]", csv)
    page.click("text=Import CSV")
    problems = page.locator("#import-problems")
    expect(problems).to_contain_text("Nothing was imported")
    expect(problems).to_contain_text("line 3:")
    expect(page.locator("table")).not_to_contain_text("Ada")
    page.screenshot(path=artifacts / "d1-admin-import-error.png", full_page=True)


def _face(server: Server, media_id: int, student_number: str | None) -> DetectedFace:
    """The one clearly visible face of that student in the media (None: of nobody enrolled)."""
    with records_session(server) as session:
        query = select(DetectedFace).where(DetectedFace.media_id == media_id, DetectedFace.clearly_visible)
        if student_number is None:
            query = query.where(DetectedFace.student_id.is_(None))
        else:
            query = query.join(Student).where(Student.student_number == student_number)
        faces = session.scalars(query).all()
    assert len(faces) == 1
    return faces[0]


def _change_inside(rendered: bytes, media: Media, face: DetectedFace) -> float:
    """Mean absolute difference between the copy and the original inside the face's box."""
    with Image.open(media.storage_path) as original, Image.open(io.BytesIO(rendered)) as copy:
        before = np.asarray(ImageOps.exif_transpose(original).convert("RGB"), dtype=np.int16)
        after = np.asarray(copy.convert("RGB"), dtype=np.int16)
    box = (slice(face.top, face.bottom), slice(face.left, face.right))
    return float(np.abs(before[box] - after[box]).mean())
