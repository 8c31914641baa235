"""The demo school (`mediacheck serve --demo`) finds its photos without any being committed: in a
folder the user names, in the shared sample faces, or in the photos `make install` takes from the
face_recognition package; with none, it starts with staff accounts only and says where it looked."""

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from models.channels import FACE_MATCHING
from models.consent_service import consent_history
from models.enrolment_service import reference_photos
from models.media import Media
from models.school import Student
from tests.samples import EVENTS, PEOPLE
from tests.services.require import require
from tests.web.inprocess import LocalApp, local_app
from web import cli, demo, demo_photos


@pytest.fixture
def app(tmp_path: Path) -> Iterator[LocalApp]:
    with local_app("sqlite", tmp_path / "app") as app:
        yield app


def school_of(app: LocalApp) -> dict[str, tuple[list[str], int]]:
    """Student number → the purposes granted, the reference photos enrolled."""
    with app.factory() as session:
        return {
            student.student_number: (
                sorted(e.purpose for e in consent_history(session, student) if e.granted),
                len(reference_photos(session, student)),
            )
            for student in session.scalars(select(Student))
        }


def album_of(app: LocalApp) -> list[str]:
    with app.factory() as session:
        return sorted(session.scalars(select(Media.filename)))


def test_r3_demo_loads_the_school_of_a_folder_the_user_names(tmp_path: Path, app: LocalApp) -> None:
    """A folder laid out like the sample faces becomes the demo school: its people are students, its
    consents.csv is entered, a person without a row there has no consent but face matching (R3)."""
    named = tmp_path / "my-photos"
    (named / "people" / "kit_harington").mkdir(parents=True)
    (named / "people" / "rose_leslie").mkdir()
    (named / "events").mkdir()
    shutil.copyfile(PEOPLE / "kit_harington" / "1.jpg", named / "people" / "kit_harington" / "1.jpg")
    shutil.copyfile(PEOPLE / "rose_leslie" / "1.jpg", named / "people" / "rose_leslie" / "1.jpg")
    shutil.copyfile(EVENTS / "kit_with_rose.jpg", named / "events" / "kit_with_rose.jpg")
    (named / "consents.csv").write_text("person,channel\nkit_harington,public\n")

    assert demo.find_samples(demo.sample_folders(named)) == named
    school = demo.load(app.factory, named)

    assert school_of(app) == {"1003": ([FACE_MATCHING, "public"], 1), "1004": ([FACE_MATCHING], 1)}
    assert album_of(app) == ["kit_with_rose.jpg"]
    assert school.consent_link and not school.not_enrolled


def test_r11_demo_falls_back_to_the_photos_make_install_takes_from_face_recognition(
    tmp_path: Path, app: LocalApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without the shared folder the demo school is Obama and Biden from face_recognition's own test
    photos, enrolled only with face-matching consent (R11), with consents by folder name."""
    require(
        (demo_photos.FOLDER / demo_photos.DONE).is_file(), f"the demo's photos in {demo_photos.FOLDER} (make install)"
    )
    monkeypatch.setenv("MEDIACHECK_SHARED", str(tmp_path / "no-shared-folder"))

    samples = demo.find_samples(demo.sample_folders())
    school = demo.load(app.factory, samples)

    assert samples == demo_photos.FOLDER
    assert school_of(app) == {
        "1001": ([FACE_MATCHING, "facebook", "protected", "public"], 2),
        "1002": ([FACE_MATCHING, "protected"], 1),
    }
    assert album_of(app) == ["obama_partial_face.jpg", "obama_partial_face2.jpg", "obama_standing.jpg"]
    assert school.consent_link and not school.not_enrolled


def test_demo_without_photos_starts_with_staff_only_and_says_where_it_looked(
    tmp_path: Path, app: LocalApp, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Missing photos never stop the demo: it names every folder it looked in."""
    named, shared, built = tmp_path / "named", tmp_path / "shared", tmp_path / "built"
    monkeypatch.setenv("MEDIACHECK_SHARED", str(shared))
    monkeypatch.setattr(demo_photos, "FOLDER", built)

    cli._load_demo(app.factory, named)

    said = capsys.readouterr().out
    assert "staff accounts only" in said
    assert all(str(folder) in said for folder in (named, shared / "sample-faces", built))
    assert school_of(app) == {} and album_of(app) == []
    assert "demo account 'teacher'" in said
