"""`mediacheck check` and `enroll` as a user runs them: exit codes, JSON contract, outputs."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from mediacheck.check import PhotoChecker
from mediacheck.cli import app
from tests.composed import side_by_side
from tests.samples import CONSENTS, EVENTS, PEOPLE

runner = CliRunner()


def check_json(*args: str) -> tuple[int, dict]:
    result = runner.invoke(app, ["check", "--json", "--offline", *args])
    return result.exit_code, json.loads(result.stdout)


@pytest.fixture
def batch_with_bad_files(tmp_path: Path) -> Path:
    """Two good photos and four that must each fail with a clear error."""
    shutil.copyfile(EVENTS / "two_people.jpg", tmp_path / "a_good.jpg")
    shutil.copyfile(EVENTS / "kit_with_rose.jpg", tmp_path / "z_good.jpg")
    data = (EVENTS / "obama_alone.jpg").read_bytes()
    (tmp_path / "truncated.jpg").write_bytes(data[: len(data) // 3])
    (tmp_path / "notes.jpg").write_text("this is a text file, not a photo\n")
    (tmp_path / "empty.jpg").write_bytes(b"")
    Image.new("1", (30_000, 30_000)).save(tmp_path / "bomb.png", optimize=True)
    return tmp_path


def test_bad_files_get_a_clear_error_and_the_rest_of_the_batch_is_checked(batch_with_bad_files: Path) -> None:
    code, report = check_json(str(batch_with_bad_files))
    by_name = {Path(image["path"]).name: image for image in report["images"]}
    assert code == 1
    assert (batch_with_bad_files / "bomb.png").stat().st_size < 1_000_000, "a small file that claims 900 MP"
    expected = {
        "truncated.jpg": "truncated",
        "notes.jpg": "not a supported image",
        "empty.jpg": "empty",
        "bomb.png": "too large",
    }
    for name, words in expected.items():
        assert words in by_name[name]["error"], by_name[name]
        assert {c["status"] for c in by_name[name]["channels"].values()} == {"blocked"}, "fail closed"
    for name in ("a_good.jpg", "z_good.jpg"):
        assert by_name[name]["error"] is None
        assert len(by_name[name]["faces"]) >= 2


def test_json_contract_keys_and_boxes(tmp_path: Path) -> None:
    code, report = check_json(
        str(EVENTS / "obama_and_biden.jpg"), "--gallery", str(PEOPLE), "--consents", str(CONSENTS)
    )
    assert code == 0
    (image,) = report["images"]
    assert set(image) == {"path", "width", "height", "error", "faces", "channels"}
    assert (image["width"], image["height"]) == (2000, 1428)
    for face in image["faces"]:
        assert set(face) == {"box", "clearly_visible", "person", "match", "distance"}
        box = face["box"]
        assert 0 <= box["left"] < box["right"] <= image["width"] and 0 <= box["top"] < box["bottom"] <= image["height"]
    assert set(image["channels"]) == {"protected", "public", "facebook"}
    assert {f["person"] for f in image["faces"] if f["match"] == "matched"} == {"obama", "biden"}


def test_r10_published_copies_carry_no_metadata(tmp_path: Path) -> None:
    source = tmp_path / "in" / "IMG_4711 obama at school.jpg"
    source.parent.mkdir()
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # camera make
    exif[0xA431] = "SERIAL-123456"  # body serial number
    exif.get_ifd(0x8825)[2] = (52.0, 5.0, 0.0)  # GPS latitude
    Image.open(EVENTS / "obama_alone.jpg").save(
        source, exif=exif, icc_profile=b"\0" * 128, comment=b"Obama, group 5B", quality=95
    )
    out = tmp_path / "out"
    code, _ = check_json(str(source.parent), "--gallery", str(PEOPLE), "--consents", str(CONSENTS), "--out", str(out))
    assert code == 0
    published = out / "public" / "IMG_4711 obama at school.jpg"
    with Image.open(published) as image:
        assert not image.getexif()
        assert "icc_profile" not in image.info and "comment" not in image.info and "xmp" not in image.info
        assert [marker for marker, content in image.applist if not content.startswith(b"JFIF")] == []
    raw = published.read_bytes()
    assert b"PhoneMaker" not in raw and b"SERIAL" not in raw and b"Obama" not in raw


def test_out_writes_only_what_may_go_out_with_faces_hidden(tmp_path: Path) -> None:
    out = tmp_path / "out"
    code, report = check_json(str(EVENTS), "--gallery", str(PEOPLE), "--consents", str(CONSENTS), "--out", str(out))
    assert code == 0
    for image in report["images"]:
        name = Path(image["path"]).name
        for channel, decision in image["channels"].items():
            written = (out / channel / name).exists()
            assert written == (decision["status"] in ("publishable", "redacted")), (name, channel)
            if written and decision["redact"]:
                original = np.asarray(Image.open(EVENTS / name).convert("RGB"), dtype=int)
                published = np.asarray(Image.open(out / channel / name).convert("RGB"), dtype=int)
                for index in decision["redact"]:
                    b = image["faces"][index]["box"]
                    region = np.s_[b["top"] : b["bottom"], b["left"] : b["right"]]
                    change = np.abs(original[region] - published[region]).mean()
                    assert change > 0.3 * original[region].std(), (name, channel, index)


def test_other_photo_formats_are_recognised_from_their_bytes(tmp_path: Path) -> None:
    import pillow_heif

    photo = Image.open(EVENTS / "two_people.jpg")
    photo.save(tmp_path / "a.webp", quality=90)
    photo.save(tmp_path / "b.png")
    pillow_heif.from_pillow(photo).save(tmp_path / "c.heic", quality=90)
    shutil.copyfile(tmp_path / "b.png", tmp_path / "d_png_named.jpg")
    code, report = check_json(str(tmp_path), "--gallery", str(PEOPLE))
    assert code == 0
    assert [len(image["faces"]) for image in report["images"]] == [2, 2, 2, 2]


def test_bad_usage_exits_2() -> None:
    result = runner.invoke(app, ["check", str(EVENTS), "--offline", "--channel", "instagram"])
    assert result.exit_code == 2
    assert "unknown channel instagram" in result.output


def test_enroll_refuses_photos_without_exactly_one_face(tmp_path: Path) -> None:
    gallery = tmp_path / "gallery"
    empty = tmp_path / "wall.jpg"
    Image.new("RGB", (400, 300), (200, 180, 160)).save(empty)
    for photo, words in ((empty, "no clearly visible face"), (EVENTS / "two_people.jpg", "2 faces")):
        result = runner.invoke(app, ["enroll", "someone", str(photo), "--gallery", str(gallery)])
        assert result.exit_code == 1
        assert words in result.output
    assert not gallery.exists() or not any(gallery.rglob("*.jpg"))
    result = runner.invoke(app, ["enroll", "obama", str(PEOPLE / "obama" / "1.jpg"), "--gallery", str(gallery)])
    assert result.exit_code == 0
    assert (gallery / "obama" / "1.jpg").exists()


def test_console_script_prints_one_json_document() -> None:
    """What integrations do: run the installed command and parse stdout, progress stays on stderr."""
    command = [
        sys.executable,
        "-m",
        "mediacheck",
        "check",
        "--json",
        "--offline",
        str(EVENTS / "obama_alone.jpg"),
        str(EVENTS / "two_people.jpg"),
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert len(json.loads(done.stdout)["images"]) == 2


def test_r11_a_gallery_run_skips_each_unusable_photo_by_name_and_enrols_the_rest(tmp_path: Path) -> None:
    """R11, R15: one bad reference photo never stops the run. It is named with why; a person left with no
    usable photo is named as not enrolled, and their face then counts as unknown: no consent (fail closed)."""
    gallery, checker = tmp_path / "gallery", PhotoChecker()
    for person, photos in {"kit_harington": ["1.jpg"], "obama": ["1.jpg"], "rose_leslie": []}.items():
        (gallery / person).mkdir(parents=True)
        for photo in photos:
            shutil.copyfile(PEOPLE / person / photo, gallery / person / photo)
    for person, beside in (("obama", "biden/2.jpg"), ("rose_leslie", "kit_harington/2.jpg")):
        side_by_side(checker, PEOPLE / beside, PEOPLE / person / "1.jpg", 0.9, gallery / person / "pair.jpg")
    (gallery / "rose_leslie" / "notes.jpg").write_text("not a photo\n")
    consents = str(CONSENTS)
    result = runner.invoke(
        app,
        [
            "check",
            "--json",
            "--offline",
            str(EVENTS / "kit_with_rose.jpg"),
            "--gallery",
            str(gallery),
            "--consents",
            consents,
        ],
    )
    assert result.exit_code == 0
    report = json.loads(result.stdout)
    assert report["gallery"]["people"] == ["kit_harington", "obama"]
    skipped = {s["photo"]: s["why"] for s in report["gallery"]["skipped"]}
    assert set(skipped) == {"obama/pair.jpg", "rose_leslie/notes.jpg", "rose_leslie/pair.jpg"}
    assert skipped["obama/pair.jpg"].endswith("2 faces of about the same size: use a photo of this person alone")
    assert "cannot be opened as a photo" in skipped["rose_leslie/notes.jpg"]
    assert [n["person"] for n in report["gallery"]["not_enrolled"]] == ["rose_leslie"]
    for words in ("obama/pair.jpg", "rose_leslie/notes.jpg", "rose_leslie: not enrolled"):
        assert words in result.stderr
    (image,) = report["images"]
    matched = [f["person"] for f in image["faces"] if f["clearly_visible"] and f["match"] == "matched"]
    assert matched == ["kit_harington"], "Rose, not enrolled, is not recognised"
    assert image["channels"]["protected"]["status"] != "publishable", "Rose's consent cannot count unrecognised"
