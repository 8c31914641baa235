"""The privacy gate (R1, R2, R3, R11) on generated event photos with exact ground truth, and on a
few real photos with hand-made truth.

The real `mediacheck check` runs in a subprocess on about 40 generated photos with a generated
gallery and consent table, and on `REAL_GATE_PHOTOS` with nobody enrolled; every file it wrote is
inspected (benchmarks/privacy_eval.py). Nothing the check reports may be a false face. Also holds
the generator to its promises: a seed names one set, and truth boxes are where faces are.
"""

from pathlib import Path

import numpy as np
import pytest

from benchmarks.eventset import (
    SETTINGS,
    EventSet,
    TruthFace,
    TruthPhoto,
    box_iou,
    centre_in_face,
    generate,
    load_event_set,
)
from benchmarks.privacy_eval import (
    CHANNELS,
    BandRecall,
    ChannelResult,
    Evidence,
    Inspection,
    PhotoPrecision,
    Precision,
    RealReport,
    Report,
    describe,
    describe_real,
    evaluate_generated,
    evaluate_real,
    held,
    over_redaction,
    precision_examples,
)
from benchmarks.real_photos_score import real_photos_dir
from mediacheck.encoding import SFaceEncoder
from mediacheck.faces import Box, FaceDetector
from mediacheck.imaging import open_photo
from mediacheck.matching import Gallery

GATE_PHOTOS = 40
GATE_SEED = 19
"""Its cast gives each channel a different 3–4 consenting people, so every channel publishes photos
with faces it must hide: the gate inspects real output on all three."""
REAL_GATE_PHOTOS = (
    "closeup_actor_smiling.jpg",  # one face filling the frame
    "decoy_dog_faces.jpg",  # four dogs and a face printed on a box: nobody's face
    "kids_group_portrait.jpg",  # eight children in rows, and a decoy
    "family_masked_with_child.jpg",  # masks, a child, a man in soft focus looking down
    "kids_lying_in_circle.jpg",  # children's faces sideways and upside down
)
"""Real photos from `../shared/real-photos` the gate checks: small enough to check in seconds, and
each hard in its own way. Their truth is benchmarks/real_photos_truth.json."""


@pytest.fixture(scope="module")
def gate(tmp_path_factory: pytest.TempPathFactory) -> Report:
    report, _ = evaluate_generated(tmp_path_factory.mktemp("privacy-gate"), GATE_PHOTOS, GATE_SEED)
    return report


@pytest.fixture(scope="module")
def real_gate(tmp_path_factory: pytest.TempPathFactory) -> RealReport:
    assert real_photos_dir().is_dir(), f"the real photos are missing: {real_photos_dir()} (set MEDIACHECK_SHARED)"
    return evaluate_real(tmp_path_factory.mktemp("privacy-gate-real"), REAL_GATE_PHOTOS)


@pytest.mark.parametrize("channel", CHANNELS)
def test_r1_r2_r3_no_clearly_visible_face_goes_out_without_consent(gate: Report, channel: str) -> None:
    """No clearly visible face (R1) of someone without consent for this channel (R2, R3; not
    enrolled counts as no consent, R11) is recognisable in any file written for the channel."""
    result = next(c for c in gate.channels if c.channel == channel)
    assert result.published_unconsented > 0, "the set must put unconsented faces in front of this channel"
    assert len(result.leaks) == 0, "leaks:\n" + "\n".join(map(describe, result.leaks))


def test_r1_r3_r11_no_clearly_visible_face_of_a_real_photo_goes_out(real_gate: RealReport) -> None:
    """Nobody is enrolled, so every clearly visible face (R1) in the real photos is a person without
    consent (R3, R11): none may be recognisable in any file written for any channel."""
    assert real_gate.visible >= 20
    assert sum(bool(p.published) and p.visible > 0 for p in real_gate.photos) >= 3, "the gate must inspect output"
    assert not real_gate.leaks, "leaks:\n" + "\n".join(map(describe_real, real_gate.leaks))


def test_r1_the_check_reports_no_false_face_on_the_gate_photos(gate: Report) -> None:
    """Every box the check reports lies on a face (R1): a false face is a needless redaction or a
    photo sent to review, which costs the school its photos."""
    false_faces = [line for line in gate.precision.examples if "false face" in line]
    assert gate.precision.false_faces == 0, "false faces, e.g. ([left, top, right, bottom]):\n" + "\n".join(false_faces)


CLEAN_REAL_PHOTOS = ("closeup_actor_smiling.jpg", "kids_group_portrait.jpg")
"""Gate photos on which the check reports only faces. Not yet on the others: on the dogs it takes dogs and
a printed face for faces, on the masked family and the children lying in a circle one spot each
(issue 15's target, not met: see README, Real photos)."""


def test_r1_the_check_takes_nothing_in_real_photos_for_a_face(real_gate: RealReport) -> None:
    """On real photos too, every face the check judges clearly visible lies on a person's face (R1): not
    on a wall, a button, a dog or a painting (these photos had 5 such boxes)."""
    clean = [p for p in real_gate.photos if p.file in CLEAN_REAL_PHOTOS]
    assert len(clean) == len(CLEAN_REAL_PHOTOS)
    wrong = [p.precision for p in clean if p.precision.false_faces_judged_visible or p.precision.decoys]
    boxes = [line for line in precision_examples(wrong) if "more than one box" not in line]
    assert not wrong, "boxes on no face ([left, top, right, bottom]):\n" + "\n".join(boxes)


def test_r1_the_gate_refuses_its_shaken_photos_and_no_sharp_one(gate: Report) -> None:
    """Its photos shaken 23–27 px as published hid faces from the detector: they go nowhere. Refusing
    costs the school a photo, so no unshaken one may be refused for shake."""
    shaken, of_shaken = gate.not_checked["shaken ≥14px"]
    assert of_shaken >= 2 and shaken == of_shaken
    assert gate.not_checked["unshaken"][0] == 0


def test_eventset_same_seed_same_truth_and_pixels(tmp_path: Path) -> None:
    """A seed names one set, so a gate failure can be reproduced and inspected file by file."""
    first = generate(tmp_path / "first", 3, seed=11)
    again = generate(tmp_path / "again", 3, seed=11)
    other = generate(tmp_path / "other", 3, seed=12)
    assert first.as_json() == again.as_json() == load_event_set(first.directory).as_json()
    for photo in first.photos:
        assert (first.photos_dir / photo.file).read_bytes() == (again.photos_dir / photo.file).read_bytes()
    assert other.as_json()["photos"] != first.as_json()["photos"]


def test_r1_eventset_truth_boxes_are_where_faces_are(tmp_path: Path, sample_gallery: Gallery) -> None:
    """Every large, sharp, nearly upright, unhidden truth face is found by the product's detector at
    its truth box and landmarks, in upright coordinates also in photos stored sideways, and is the
    person the truth names."""
    event_set = generate(tmp_path, 10, seed=59)
    easy = _easy_faces(event_set)
    assert sum(len(faces) for _, faces in easy) >= 8
    assert any(photo.orientation in (6, 8) for photo, _ in easy), "the sample must include a photo stored sideways"
    detector, encoder = FaceDetector(SETTINGS), SFaceEncoder()
    for photo, faces in easy:
        pixels = open_photo(event_set.photos_dir / photo.file, SETTINGS.max_pixels).pixels
        detected = detector.detect(pixels)
        for face in faces:
            found = max(detected, key=lambda d: box_iou(d.box, Box(**face.box)))
            assert box_iou(found.box, Box(**face.box)) > 0.5 and centre_in_face(face, found.box), (photo.file, face)
            eyes_apart = np.abs(np.subtract(found.landmarks[:2], face.landmarks[:2])).max()
            assert eyes_apart < 0.15 * face.height, (photo.file, face.landmarks, found.landmarks)
            if face.identity in sample_gallery.people:
                encoding = encoder.encode(pixels, found)
                distances = sample_gallery.person_distances(encoding[None])[0]
                assert sample_gallery.people[distances.argmin()] == face.identity, (photo.file, face)


def _easy_faces(event_set: EventSet) -> list[tuple[TruthPhoto, list[TruthFace]]]:
    """Faces no detector may miss: large, sharp, nearly upright, whole, unhidden, in good light."""
    easy = [(photo, [face for face in photo.faces if _easy(photo, face)]) for photo in event_set.photos]
    return [(photo, faces) for photo, faces in easy if faces]


def _easy(photo: TruthPhoto, face: TruthFace) -> bool:
    return (
        face.published_height >= 64
        and abs(face.angle) <= 15
        and face.motion_blur == 0
        and face.occluded_fraction <= 0.02
        and face.inside_fraction == 1
        and photo.light >= 0.8
        and photo.shake == 0
    )


def test_over_redaction_counts_the_faces_the_check_hid_not_those_held_with_their_photo() -> None:
    """A consenting face is over-redacted when the check itself hid it: redacted, or sent to review
    because its own match was unsure (R15). One that waits only because another face put the photo
    in review is reviewer's work, counted apart."""
    faces = [{"match": "unsure", "person": "anna"}, {"match": "matched", "person": "bram"}, {"match": "unknown"}]
    image = {"faces": faces, "channels": {"public": {"status": "review", "redact": [0, 2]}}}
    assert over_redaction(image, "public", 0) == "sent to review"
    assert over_redaction(image, "public", 2) == "redacted: unknown"
    assert over_redaction(image, "public", 1) is None
    assert held(image, "public", 1) == "photo review"
    assert held(image, "public", 0) is None
    assert over_redaction(image, "public", None) is None, "a missed face goes out as is: a leak, not over-redaction"


def test_the_report_names_each_target_missed_and_what_misses_it() -> None:
    """Issue 3's targets: zero leaks, recall ≥ 99.5% in every size band and up to ±30° of tilt (the
    30–45° band is measured but not a target), over-redaction ≤ 10%."""
    leak = Inspection("protected", "0001.jpg", 0, _TRUTH_FACE, "missed", None, Evidence(1.0, None, None, None))
    size = (_band("32–40px", 199, of=200), _band("40–48px", 9, of=10))
    tilt = (_band("0–10°", 100), _band("10–20°", 100), _band("20–30°", 98), _band("30–45°", 50))
    channels = (_channel("protected", (leak,), over_redacted=5), _channel("public", (), over_redacted=11))
    report = Report(1, 1, 1, 1, {}, channels, size, tilt, (), (), {}, {}, _precision())
    assert list(report.missed_targets().values()) == [
        ["protected 1"],
        ["40–48px 90.0%"],
        ["20–30° 98.0%"],
        ["public 11.0%"],
        [],
        [],
        [],
    ]
    assert report.as_json()["missed_targets"] == report.missed_targets()


def test_the_report_holds_issue_15s_precision_targets() -> None:
    """Issue 15's cost side of R1: at most one false face or decoy per 50 photos, exactly one box per
    face, no sharp photo refused. A refused shaken photo is no miss."""
    met = _precision()
    assert not any(met.missed_targets().values())
    assert not any(_precision(false_faces=((1, 2, 3, 4),)).missed_targets().values()), "one in 50 is allowed"
    assert not any(_precision(refused="shaken").missed_targets().values()), "a shaken photo may be refused"
    two = ((1, 2, 3, 4), (5, 6, 7, 8))
    missed = _precision(false_faces=two, boxes_per_face=(1, 2), sharp=True, refused="shaken")
    assert list(missed.missed_targets().values()) == [
        ["2 false faces and 0 decoys on 50 photos"],
        ["faces with more than one box: 1"],
        ["1 of 50"],
    ]
    assert (missed.boxes_per_face, missed.false_faces_per_photo) == (52 / 51, 0.04)


def _precision(
    false_faces: tuple = (), boxes_per_face: tuple[int, ...] = (1,), sharp: bool = False, refused: str | None = None
) -> Precision:
    """50 photos, one of them as given; the rest sharp, checked, one box on one face."""
    odd = PhotoPrecision("odd.jpg", sharp, refused, len(false_faces), false_faces, 0, (), boxes_per_face)
    plain = PhotoPrecision("plain.jpg", True, None, 1, (), 0, (), (1,))
    return Precision.of([odd, *[plain] * 49])


_TRUTH_FACE = TruthFace(
    identity="obama",
    origin="events/x.jpg#0",
    box={"top": 0, "right": 40, "bottom": 50, "left": 0},
    centre=(20.0, 25.0),
    width=40.0,
    height=50.0,
    angle=0.0,
    landmarks=(),
    published_height=50.0,
    inside_fraction=1.0,
    occluded_fraction=0.0,
    sharpness=100.0,
    motion_blur=0.0,
    clearly_visible=True,
)


def _band(name: str, found: int, of: int = 100) -> BandRecall:
    return BandRecall(name, of, found, found, 1.0, ())


def _channel(name: str, leaks: tuple[Inspection, ...], over_redacted: int) -> ChannelResult:
    return ChannelResult(name, 10, 10, leaks, 0, 100, over_redacted, {}, {}, {}, 0)
