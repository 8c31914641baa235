"""The face detector on real photos: every face once, and what only looks like a face not at all (R1).

The photos are read from ../shared (never copied into the project); what each must show is derived
by eye (benchmarks/real_photos_truth.json for the real photos).
"""

import shutil
from pathlib import Path

import pytest

from benchmarks.real_photos_score import load_truth, real_photos_dir, score_photo
from mediacheck.check import PhotoChecker
from mediacheck.faces import YUNET_MODEL, FaceDetector
from mediacheck.imaging import open_photo
from mediacheck.model_files import ModelFileError, verified
from mediacheck.settings import CheckSettings
from tests.samples import EVENTS, PEOPLE


def _visible_boxes(checker: PhotoChecker, path: Path) -> list[tuple[int, int, int, int]]:
    faces = checker.find_faces(open_photo(path, checker.settings.max_pixels).pixels)
    return [
        (f.face.box.left, f.face.box.top, f.face.box.right, f.face.box.bottom)
        for f in faces
        if f.visibility.clearly_visible
    ]


@pytest.mark.parametrize("photo", ["closeup_actor_smiling.jpg", "child_baby_closeup.jpg", "closeup_man_glasses.jpg"])
def test_r1_a_close_up_face_is_one_face_not_several(checker: PhotoChecker, photo: str) -> None:
    """A face filling the frame gave three boxes (eyes, mouth and chin seen as faces of their own)."""
    truth = load_truth()[photo]
    result = score_photo(_visible_boxes(checker, real_photos_dir() / photo), truth)
    assert (result["found"], result["splits"], result["false_faces"]) == (1, 0, 0), result


def test_r1_a_face_cut_by_the_edge_is_one_face(checker: PhotoChecker) -> None:
    """obama_partial_face.jpg: the half face along the left edge was boxed a second time. (A spot on the
    tie, 10 px, is still reported: issue 15 leaves it open.)"""
    on_the_face = [box for box in _visible_boxes(checker, EVENTS / "obama_partial_face.jpg") if box[1] < 450]
    assert len(on_the_face) == 1, on_the_face


@pytest.mark.parametrize("photo", sorted(PEOPLE.glob("*/*.*")), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_r1_every_reference_portrait_shows_one_face(checker: PhotoChecker, photo: Path) -> None:
    """Small portraits (424 and 704 px) enlarged for the smallest faces showed a brow or a cheek as a
    second face, and a reference photo with two faces cannot be enrolled."""
    assert len(_visible_boxes(checker, photo)) == 1


def test_a_model_file_other_than_the_measured_one_is_refused(tmp_path: Path) -> None:
    """Fail closed: the thresholds hold for one exact file; another could miss faces unnoticed."""
    copy = tmp_path / YUNET_MODEL.name
    shutil.copyfile(YUNET_MODEL, copy)
    with copy.open("ab") as file:
        file.write(b"\0")
    with pytest.raises(ModelFileError, match="reinstall"):
        verified(copy, "0" * 64)
    with pytest.raises(ModelFileError, match="cannot be read"):
        verified(tmp_path / "missing.onnx", "0" * 64)


def test_the_detector_refuses_to_start_on_an_unmeasured_model(monkeypatch: pytest.MonkeyPatch) -> None:
    """The check of the files happens where the models load, not only in a helper."""
    monkeypatch.setattr("mediacheck.faces.YUNET_SHA256", "0" * 64)
    with pytest.raises(ModelFileError):
        FaceDetector(CheckSettings())
