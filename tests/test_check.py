"""The photo check end to end on real sample photos: detector, matcher, policy, redaction."""

import shutil
from pathlib import Path

import numpy as np
from PIL import Image

from mediacheck.boxes import merge
from mediacheck.check import PhotoChecker
from mediacheck.faces import Box, Face
from mediacheck.imaging import open_photo
from mediacheck.matching import MatchStatus
from mediacheck.policy import ChannelStatus
from tests.samples import EVENTS

CHANNELS = ("protected", "public", "facebook")
EVERYONE = frozenset((p, c) for p in ("obama", "biden", "kit_harington", "rose_leslie") for c in CHANNELS)


def iou(a: Box, b: dict) -> float:
    other = Box(b["top"], b["right"], b["bottom"], b["left"])
    inter = a.intersection(other)
    return inter / (a.area + other.area - inter)


def find(faces, truth_box: dict):
    return max(faces, key=lambda f: iou(f.face.box, truth_box))


def test_r1_sample_ground_truth_faces_all_found_and_identified(checker: PhotoChecker, ground_truth) -> None:
    """Recall of clearly visible faces on the sample faces' ground truth is 100%, identities right."""
    for name, truth in ground_truth.items():
        checked, _ = checker.check(EVENTS / name)
        for face in (t for t in truth if t["required"]):
            found = find(checked.faces, face["box"])
            assert iou(found.face.box, face["box"]) > 0.5, f"{name}: face {face} not found"
            assert found.visibility.clearly_visible
            assert found.match.person == face["person"] or (
                face["person"] is None and found.match.status is MatchStatus.UNKNOWN
            ), f"{name}: {face['person']} taken for {found.match}"


def test_r1_r3_unenrolled_child_is_redacted_on_every_channel_whatever_the_consents(
    checker: PhotoChecker, ground_truth
) -> None:
    checker.consents = EVERYONE
    checked, photo = checker.check(EVENTS / "obama_and_biden.jpg")
    child_truth = next(t for t in ground_truth["obama_and_biden.jpg"] if t["person"] is None)
    child = checked.faces.index(find(checked.faces, child_truth["box"]))
    assert checked.faces[child].match.status is MatchStatus.UNKNOWN
    for channel in CHANNELS:
        decision = checked.decisions[channel]
        assert decision.status is ChannelStatus.REDACTED, channel
        assert decision.redact == (child,), channel
        data, _ = checker.render(checked, photo, channel)
        published = open_photo(data, checker.settings.max_pixels)
        region = checked.faces[child].face.box
        assert not checker.detector.detect(_crop(published.pixels, region, margin=0.5)), channel


def test_obama_and_biden_are_matched(checker: PhotoChecker) -> None:
    checked, _ = checker.check(EVENTS / "obama_and_biden.jpg")
    matched = {f.match.person for f in checked.faces if f.match.status is MatchStatus.MATCHED}
    assert matched == {"obama", "biden"}


def test_r2_each_channel_follows_its_own_consent_only(checker: PhotoChecker) -> None:
    checker.consents = frozenset({("obama", "public"), ("biden", "protected")})
    checked, _ = checker.check(EVENTS / "two_people.jpg")
    index = {f.match.person: i for i, f in enumerate(checked.faces)}
    assert set(checked.decisions["public"].redact) == {index["biden"]}
    assert set(checked.decisions["protected"].redact) == {index["obama"]}
    assert checked.decisions["facebook"].status is ChannelStatus.BLOCKED


def test_r3_no_consent_recorded_means_nothing_goes_out_unredacted(checker: PhotoChecker) -> None:
    checked, _ = checker.check(EVENTS / "obama_alone.jpg")
    assert checked.decisions["public"].status is ChannelStatus.REDACTED
    assert checked.decisions["facebook"].status is ChannelStatus.BLOCKED, "the only face is the subject"


def test_r11a_matching_switched_off_treats_every_visible_face_as_without_consent() -> None:
    checker = PhotoChecker(gallery=None, consents=EVERYONE)
    checked, _ = checker.check(EVENTS / "two_people.jpg")
    assert {f.match.status for f in checked.faces} == {MatchStatus.NOT_CHECKED}
    assert checked.decisions["public"].redact == (0, 1)


def test_exif_rotated_copy_gives_the_same_faces(checker: PhotoChecker, tmp_path: Path) -> None:
    """A phone stores a portrait photo sideways plus an orientation tag; faces must not be lost."""
    original = Image.open(EVENTS / "obama_and_biden.jpg")
    sideways = original.transpose(Image.Transpose.ROTATE_270)
    exif = Image.Exif()
    exif[0x0112] = 8  # display needs a 90° counter-clockwise turn → back to the original
    sideways.save(tmp_path / "sideways.jpg", exif=exif, quality=95)
    upright, _ = checker.check(EVENTS / "obama_and_biden.jpg")
    rotated, _ = checker.check(tmp_path / "sideways.jpg")
    assert (rotated.width, rotated.height) == (upright.width, upright.height)
    assert len(rotated.faces) == len(upright.faces)
    for a, b in zip(upright.faces, rotated.faces, strict=True):
        assert iou(a.face.box, b.face.box.as_dict()) > 0.8
        assert a.match.person == b.match.person


def test_redaction_cannot_be_recognised_by_detector_or_matcher(checker: PhotoChecker, sample_gallery) -> None:
    """Redaction is irreversible: neither the detector nor the matcher finds Obama in what goes out."""
    for style in ("pixelate", "solid"):
        checker.policy = checker.policy.__class__(
            tuple(c.__class__(c.name, c.unconsented, False, style) for c in checker.policy.channels)
        )
        checked, photo = checker.check(EVENTS / "obama_1080p.jpg")
        data, _ = checker.render(checked, photo, "public")
        published = open_photo(data, checker.settings.max_pixels).pixels
        assert not checker.detector.detect(published), style
        before = checked.faces[0].face.box
        faces = checker.detector.detect(_crop(published, before, margin=0.2))
        encodings = [checker.encoder.encode(published, f) for f in faces]
        assert not [m for m in sample_gallery.match(np.array(encodings), checker.settings) if m.person == "obama"]


def test_originals_are_never_modified(checker: PhotoChecker, tmp_path: Path) -> None:
    copy = tmp_path / "photo.jpg"
    shutil.copyfile(EVENTS / "obama_and_biden.jpg", copy)
    before = copy.read_bytes()
    checked, photo = checker.check(copy)
    checker.render(checked, photo, "public")
    assert copy.read_bytes() == before


def _crop(pixels: np.ndarray, box: Box, margin: float) -> np.ndarray:
    dy, dx = int(box.height * margin), int(box.width * margin)
    return pixels[max(0, box.top - dy) : box.bottom + dy, max(0, box.left - dx) : box.right + dx]


def test_r1_a_small_face_in_front_of_a_larger_one_is_never_merged_into_it() -> None:
    """A child's face over the middle of an adult's is a face of its own, so it can be redacted; a
    slightly shifted second box of one face is the same face (it must not count twice)."""
    adult = Face(Box(100, 300, 300, 100), 0.9, (), 1.0)
    child = Face(Box(170, 230, 250, 170), 0.6, (), 1.0)
    shifted = Face(Box(160, 360, 360, 160), 0.5, (), 1.0)  # IoU 0.32: one face by the centres
    assert {f.box for f in merge([adult, child])} == {adult.box, child.box}
    assert [f.box for f in merge([adult, shifted])] == [adult.box]
