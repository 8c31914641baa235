"""Fail closed, and lose nothing: a file no decoder can read is refused in plain words, and the rest of
the batch is checked. Photo or video is told from the bytes, never from the name."""

import io
import shutil
import struct
import threading
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from benchmarks.fuzz_uploads import INTERNALS, WRONG_FORMATS, heic_grid, png_declaring
from mediacheck.check import PhotoChecker
from mediacheck.imaging import DECODING, ImageError, open_photo, open_view
from mediacheck.policy import ChannelStatus
from tests.samples import EVENTS
from tests.test_cli import check_json

MAX_PIXELS = 64_000_000


def _by_name(report: dict) -> dict[str, dict]:
    return {Path(entry["path"]).name: entry for entry in [*report["images"], *report.get("videos", [])]}


def test_fail_closed_a_heic_declaring_65536_px_is_refused_in_words_and_the_batch_goes_on(tmp_path: Path) -> None:
    """libheif finds the grid's 65536×65536 only when it decodes, and raises RuntimeError: that was a
    traceback and no JSON at all, every other file of the batch lost."""
    (tmp_path / "a_good.jpg").write_bytes((EVENTS / "two_people.jpg").read_bytes())
    (tmp_path / "huge.heic").write_bytes(heic_grid((65536, 65536)))
    (tmp_path / "z_good.jpg").write_bytes((EVENTS / "kit_with_rose.jpg").read_bytes())
    code, report = check_json(str(tmp_path))
    found = _by_name(report)
    assert code == 1
    assert "too large" in found["huge.heic"]["error"]
    assert {c["status"] for c in found["huge.heic"]["channels"].values()} == {"blocked"}
    assert found["a_good.jpg"]["error"] is None and found["z_good.jpg"]["error"] is None


@pytest.mark.parametrize("fmt", ["bmp", "gif", "tiff"])
def test_fail_closed_image_bytes_named_mp4_are_not_taken_for_a_video(tmp_path: Path, fmt: str) -> None:
    """FFmpeg plays a BMP, GIF or TIFF as a one-frame video; named `.mp4`, it was checked as one."""
    (tmp_path / "clip.mp4").write_bytes(WRONG_FORMATS[fmt]())
    code, report = check_json(str(tmp_path / "clip.mp4"))
    assert code == 1 and "videos" not in report
    (refused,) = report["images"]
    assert f"{fmt.upper()} image" in refused["error"]


def test_a_jpeg_named_mov_is_checked_as_the_photo_it_is(tmp_path: Path) -> None:
    shutil.copyfile(EVENTS / "two_people.jpg", tmp_path / "holiday.mov")
    code, report = check_json(str(tmp_path / "holiday.mov"))
    assert code == 0 and report["images"][0]["error"] is None and len(report["images"][0]["faces"]) >= 2


def test_a_folder_scan_takes_jfif_jpe_and_files_without_a_suffix(tmp_path: Path) -> None:
    for name in ("a.jfif", "b.jpe", "c", "d.JFIF"):
        shutil.copyfile(EVENTS / "two_people.jpg", tmp_path / name)
    (tmp_path / "notes.txt").write_text("not a photo")
    code, report = check_json(str(tmp_path))
    found = _by_name(report)
    assert code == 0
    assert sorted(found) == ["a.jfif", "b.jpe", "c", "d.JFIF"]
    assert all(entry["error"] is None for entry in found.values())


def test_unsuffixed_non_media_in_a_folder_is_refused_with_a_reason_not_skipped(tmp_path: Path) -> None:
    shutil.copyfile(EVENTS / "two_people.jpg", tmp_path / "photo")
    (tmp_path / "README").write_text("a letter to parents\n")
    code, report = check_json(str(tmp_path))
    found = _by_name(report)
    assert code == 1 and "not a supported image" in found["README"]["error"]


@pytest.mark.parametrize("colour", [(0, 0, 0), (255, 255, 255), (120, 130, 90)])
def test_fail_closed_a_blank_photo_says_nothing_in_it_to_check_not_shaken(
    checker: PhotoChecker, tmp_path: Path, colour: tuple[int, int, int]
) -> None:
    path = tmp_path / "blank.jpg"
    Image.new("RGB", (1200, 900), colour).save(path, quality=90)
    checked, photo = checker.check(path)
    assert photo is None and checked.error.startswith("nothing in it to check")
    assert "shaken" not in checked.error
    assert {d.status for d in checked.decisions.values()} == {ChannelStatus.BLOCKED}


def test_a_smooth_gradient_has_nothing_in_it_to_check(checker: PhotoChecker, tmp_path: Path) -> None:
    path = tmp_path / "sky.png"
    Image.fromarray(np.tile(np.linspace(40, 220, 1600).astype(np.uint8)[None, :, None], (1000, 1, 3))).save(path)
    assert checker.check(path)[0].error.startswith("nothing in it to check")


def heic_declaring(width: int, height: int) -> bytes:
    heic = io.BytesIO()
    Image.new("RGB", (64, 64), (10, 200, 30)).save(heic, "HEIF")
    at = heic.getvalue().index(b"ispe")
    return heic.getvalue()[: at + 8] + struct.pack(">II", width, height) + heic.getvalue()[at + 16 :]


def _hostile_inputs() -> dict[str, bytes]:
    jpeg = (EVENTS / "obama_alone.jpg").read_bytes()
    tiny = png_declaring(1, 1)
    png = io.BytesIO()
    Image.new("RGB", (64, 64), (10, 200, 30)).save(png, "PNG")
    return {
        "heic grid": heic_grid((65536, 65536)),
        "heic grid 8000": heic_grid((8000, 8000)),
        "heic declaring 65536 px": heic_declaring(65536, 65536),
        "truncated jpeg": jpeg[:4000],
        "png with a bad crc": png.getvalue()[:30] + b"\xff\xff" + png.getvalue()[32:],
        "png header only": png.getvalue()[:40],
        "png declaring 65535 px, its checksum wrong": tiny[:16] + b"\x00\x00\xff\xff" * 2 + tiny[24:],
        **{name: make() for name, make in WRONG_FORMATS.items()},
    }


@pytest.mark.parametrize("name", sorted(_hostile_inputs()))
def test_fail_closed_refusals_carry_no_internals(name: str) -> None:
    """No decoder's words (`header b'…'`), exception class names or bytes: a teacher reads these."""
    with pytest.raises(ImageError) as refused:
        open_photo(_hostile_inputs()[name], MAX_PIXELS)
    message = str(refused.value)
    assert message and not INTERNALS.search(message), message


def test_a_64_mp_png_view_is_small_and_waits_for_the_decoding_budget(tmp_path: Path) -> None:
    """A 182 KB PNG declaring 8000×8000 took ~1 GB per thumbnail in the web process; four at once, 3.9 GB.
    Views are decoded one 64 MP photo at a time per process: here the budget is taken, so the view waits."""
    path = tmp_path / "large.png"
    path.write_bytes(png_declaring(8000, 8000))
    assert path.stat().st_size < 250_000
    views: list[Image.Image] = []
    with DECODING.hold(MAX_PIXELS):
        worker = threading.Thread(target=lambda: views.append(open_view(path, 480, MAX_PIXELS)))
        worker.start()
        worker.join(timeout=3)
        assert worker.is_alive() and not views, "a second 64 MP decode must wait for the first"
    worker.join(timeout=120)
    (view,) = views
    assert max(view.size) == 480 and view.mode == "RGB"


def test_a_png_declaring_more_than_the_limit_is_refused_before_it_is_decoded(tmp_path: Path) -> None:
    path = tmp_path / "bomb.png"
    path.write_bytes(png_declaring(8001, 8000))
    with pytest.raises(ImageError, match="image too large: 8001x8000"):
        open_view(path, 480, MAX_PIXELS)
