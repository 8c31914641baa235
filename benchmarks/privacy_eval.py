"""Does anything go out that the rules forbid? The real `mediacheck check` on a generated event set.

A leak is a clearly visible face (R1) of a person without consent for a channel (R2, R3; not
enrolled is no consent, R11) that is still recognisable in what was written for that channel.
Each published file is looked at the way someone holding our own models would: inside the truth
box, (a) the product's detector, encoder and gallery run on a crop, and (b) the pixels are
compared with the unredacted photo. A face essentially unchanged, still matched to its own person,
or still found with part of its detail left is a leak, whatever the check's JSON claims. A photo
not written for a channel cannot leak.

Also measured: over-redaction of consenting people (faces the check itself redacted or sent to
review; those only held because another face put their photo in review are counted apart),
detection recall of clearly visible faces by size, rotation and blur band, the identity confusion
matrix, the time per photo, and precision, the cost side: false faces (reported boxes on no truth
face; on real photos, decoys such as dogs and paintings are counted apart), boxes per true face
(more than one is a duplicate or a split) and photos refused. Boxes are given to truth faces as
benchmarks/real_photos_score.py does. The report ends with issues 3's and 15's targets and what
misses each.

`--real` runs the same check and inspection on the real photos of `../shared/real-photos` with
their hand-made truth (benchmarks/real_photos_truth.md). Nobody in them is enrolled, so every
clearly visible face is a person without consent on every channel.

    python -m benchmarks.privacy_eval --photos 300 --seed 1
    MEDIACHECK_SHARED=/path/to/shared python -m benchmarks.privacy_eval --real
"""

import csv
import hashlib
import itertools
import json
import math
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Annotated

import cv2
import numpy as np
import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from benchmarks.eventset import (
    CHILD,
    SAMPLES,
    SETTINGS,
    EventSet,
    FaceArea,
    TruthFace,
    TruthPhoto,
    box_iou,
    centre_in_face,
    face_oval,
    generate,
    polygon_region,
    source_faces,
)
from benchmarks.real_photos_score import Attribution, Rect, attribute, load_truth, real_photos_dir
from mediacheck.check import PhotoChecker
from mediacheck.faces import Box, Face
from mediacheck.gallery import load_gallery, reference_photos
from mediacheck.imaging import open_photo
from mediacheck.matching import Gallery, MatchStatus
from mediacheck.policy import DEFAULT_POLICY

CHANNELS = tuple(channel.name for channel in DEFAULT_POLICY.channels)
DEFAULT_REPORT = Path(__file__).resolve().parent / "results" / "privacy_eval.json"
DEFAULT_REAL_REPORT = DEFAULT_REPORT.with_name("privacy_eval_real.json")
KEPT_DETAIL_UNCHANGED = 0.5
"""Share of a face's fine detail still in the published file from which the face counts as
essentially unchanged. Measured on 300 generated photos: redacted faces keep at most 0.25 (99% of
them under 0.18), untouched ones 0.88 or more unless a neighbour's redaction covers part of them."""
KEPT_DETAIL_PARTIAL = 0.3
"""A face the detector still finds is a leak once this much of its detail survived: a redaction
too small or misplaced. Below it the detector fires on the head-shaped blob of a properly redacted
small face, in which nobody can be recognised: reported (`blobs_detected`), not a leak."""
CROP_MARGIN = 0.6
"""Context around a truth box given to the detector, in face sizes on each side."""
MIN_MATCH_IOU = 0.2
SIZE_BANDS = (32, 40, 48, 64, 128, 256, 512, math.inf)
"""Published face height bands (px) for recall; clearly visible starts at `min_face_height` (32)."""
ROTATION_BANDS = (0, 10, 20, 30, 45.01)
BLUR_BANDS = (0, 0.001, 0.1, 0.25, 0.51)
"""Subject motion blur as a share of the face height: none, light, strong, heavy."""
RECALL_TARGET = 0.995
"""Issue 3's recall target for clearly visible faces, in every size band and up to `RECALL_TARGET_TILT`°."""
RECALL_TARGET_TILT = 30
OVER_REDACTION_TARGET = 0.10
"""Issue 3's largest share of consenting faces hidden; its third target is zero leaks on every channel."""
PHOTOS_PER_FALSE_FACE = 50
"""Issue 15's precision target: at most one false face (or thing taken for a face) per this many photos.
Its others: exactly one box per face, and no sharp photo refused."""
Group = tuple[str, Callable[[TruthPhoto, TruthFace], bool]]
"""A named test of a truth face (and its photo): a band or a condition the recall is broken down by."""
Visible = list[tuple[TruthPhoto, int, TruthFace]]
"""Every clearly visible face: photo, index, face."""
Found = dict[str, list[int | None]]
"""File → for each truth face, the index of the check's face that is it (None: missed)."""
HARD_CONDITIONS: list[Group] = [
    ("small (<48px)", lambda p, f: f.published_height < 48),
    ("tilted ≥20°", lambda p, f: abs(f.angle) >= 20),
    ("motion blur ≥10%", lambda p, f: f.motion_blur >= 0.1),
    ("camera shake", lambda p, f: p.shake > 0),
    ("cut by the edge (<90% in)", lambda p, f: f.inside_fraction < 0.9),
    ("partly hidden (≥10%)", lambda p, f: f.occluded_fraction >= 0.1),
    ("low light", lambda p, f: p.light < 0.5),
    ("JPEG quality <55", lambda p, f: p.quality < 55),
]
"""What makes a face hard to find; a face can be in several."""
SHAKE_BANDS = {"unshaken": (0, 0.001), "shaken <14px": (0.001, 14), "shaken ≥14px": (14, math.inf)}
"""Camera shake of a photo, in px as published; 14–29 px hid faces before photos were measured for shake."""
CONDITIONS = [*HARD_CONDITIONS, ("none of these", lambda p, f: not any(test(p, f) for _, test in HARD_CONDITIONS))]
_CAST_STREAM = 2**40
"""Random stream of the cast: photo i of a set draws from [seed, i], and no set is this large."""


@dataclass(frozen=True)
class Cast:
    """Who is enrolled and who consented to what. The consent table may name people who are not
    enrolled: without enrolment they are never recognised, so their consent never counts (R11)."""

    enrolled: tuple[str, ...]
    consents: frozenset[tuple[str, str]]

    def consents_to(self, person: str, channel: str) -> bool:
        return person in self.enrolled and (person, channel) in self.consents


def make_cast(people: tuple[str, ...], seed: int) -> Cast:
    """Leave the child and one or two adults out of the gallery; everyone consents to a random subset."""
    rng = np.random.default_rng([seed, _CAST_STREAM])
    adults = sorted(p for p in people if p != CHILD)
    left_out = set(rng.choice(adults, size=int(rng.integers(1, 3)), replace=False))
    consents = frozenset((p, c) for p in sorted(people) for c in CHANNELS if rng.random() < 0.5)
    return Cast(tuple(p for p in adults if p not in left_out), consents)


def write_cast(cast: Cast, directory: Path) -> tuple[Path, Path]:
    """The gallery (links to the sample faces' people/) and the consent table the check is given."""
    gallery = directory / "gallery"
    for person in cast.enrolled:
        (gallery / person).mkdir(parents=True, exist_ok=True)
        for photo in reference_photos(SAMPLES / "people" / person):
            link = gallery / person / photo.name
            if not link.exists():
                link.symlink_to(photo)
    consents = directory / "consents.csv"
    with consents.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(["person", "channel"])
        writer.writerows(sorted(cast.consents))
    return gallery, consents


# --- the check, as a user runs it ---------------------------------------------------------------


@dataclass(frozen=True)
class CheckRun:
    images: dict[str, dict]
    """File name → that image's entry in the JSON contract of `mediacheck check --json`."""
    seconds: float


def run_check(paths: list[Path], gallery: Path, consents: Path, out: Path | None) -> CheckRun:
    """`mediacheck check` in a subprocess; its progress bar goes to our stderr."""
    command = [sys.executable, "-m", "mediacheck", "check", *map(str, paths), "--gallery", str(gallery)]
    command += ["--consents", str(consents), "--json", *(["--out", str(out)] if out else [])]
    start = time.perf_counter()
    done = subprocess.run(command, stdout=subprocess.PIPE, text=True, check=False)
    seconds = time.perf_counter() - start
    if done.returncode not in (0, 1):  # 1: some file unreadable, reported per image
        raise RuntimeError(f"mediacheck check exited with {done.returncode}")
    images = json.loads(done.stdout)["images"]
    return CheckRun({Path(image["path"]).name: image for image in images}, seconds)


def assign(truth: TruthPhoto, detected: list[dict]) -> list[int | None]:
    """For each truth face, the index of the detected face that is it (None: missed).

    A detection is a candidate when its centre lies in the truth's tilted box and its box overlaps
    the truth box; each is given to at most one truth face, best overlap first."""
    boxes = [Box(**face["box"]) for face in detected]
    pairs = sorted(
        (
            (box_iou(box, Box(**face.box)), t, d)
            for t, face in enumerate(truth.faces)
            for d, box in enumerate(boxes)
            if centre_in_face(face, box)
        ),
        reverse=True,
    )
    found: list[int | None] = [None] * len(truth.faces)
    taken: set[int] = set()
    for overlap, t, d in pairs:
        if overlap >= MIN_MATCH_IOU and found[t] is None and d not in taken:
            found[t] = d
            taken.add(d)
    return found


# --- looking at what went out -------------------------------------------------------------------


@dataclass(frozen=True)
class Evidence:
    """What a published file still shows of one face."""

    kept_detail: float
    """Share of the face's fine detail (high-pass energy inside its oval) still present."""
    detected: bool | None
    """The product's detector finds a face there in a crop of the published file (None: not
    looked, the pixels already tell)."""
    named: str | None
    """Gallery person the product's matcher names (matched or unsure) for what is there."""
    recognised: bool | None
    """The matcher names the very person the face belongs to: the redaction did not hide who it
    is. (Naming someone else is noise: templates of blurred blobs land near random people.)"""

    @property
    def is_leak(self) -> bool:
        partly_kept = bool(self.detected) and self.kept_detail >= KEPT_DETAIL_PARTIAL
        return self.kept_detail >= KEPT_DETAIL_UNCHANGED or bool(self.recognised) or partly_kept

    @property
    def blob_detected(self) -> bool:
        """The detector fires on a properly destroyed face: a head-shaped blob, nobody in particular."""
        return bool(self.detected) and not self.is_leak


class LeakInspector:
    """Our own detector, encoder and gallery, turned on the files that went out."""

    def __init__(self, gallery_dir: Path | None) -> None:
        """Without a gallery (nobody enrolled) a face is judged by its pixels and the detector alone."""
        self.checker = PhotoChecker()
        self.gallery: Gallery | None = load_gallery(self.checker, gallery_dir).gallery if gallery_dir else None

    def inspect(self, published: np.ndarray, original: np.ndarray, face: FaceArea) -> Evidence:
        kept = kept_detail(published, original, face)
        if kept >= KEPT_DETAIL_UNCHANGED:
            return Evidence(kept, detected=None, named=None, recognised=None)
        found = self._faces_at(published, face)
        if self.gallery is None or not isinstance(face, TruthFace):  # only generated faces have a known person
            return Evidence(kept, bool(found), named=None, recognised=None)
        named = self._named(self.gallery, published, found, face)
        return Evidence(kept, bool(found), named, named == face.identity)

    def _faces_at(self, pixels: np.ndarray, face: FaceArea) -> list[Face]:
        """Detections in a crop around the face whose centre lies in its tilted box, in photo pixels."""
        box = Box(**face.box)
        margin = round(CROP_MARGIN * max(face.width, face.height))
        crop = Box(box.top - margin, box.right + margin, box.bottom + margin, box.left - margin).clipped(
            pixels.shape[1], pixels.shape[0]
        )
        found = self.checker.detector.detect(pixels[crop.top : crop.bottom, crop.left : crop.right])
        moved = [_shifted(f, crop.left, crop.top) for f in found]
        return [f for f in moved if centre_in_face(face, f.box) and box_iou(f.box, box) >= MIN_MATCH_IOU]

    def _named(self, gallery: Gallery, pixels: np.ndarray, found: list[Face], face: TruthFace) -> str | None:
        """Encode what is there, at the detector's landmarks and at the truth's, and ask the gallery
        whom it shows; the face's own person wins over anyone else named."""
        at_truth = Face(Box(**face.box), 1.0, face.landmarks, face.inside_fraction)
        encodings = np.stack([self.checker.encoder.encode(pixels, f) for f in [*found, at_truth]])
        matches = gallery.match(encodings, self.checker.settings)
        named = [m.person for m in matches if m.status in (MatchStatus.MATCHED, MatchStatus.UNSURE)]
        return face.identity if face.identity in named else next(iter(named), None)


def _shifted(face: Face, dx: int, dy: int) -> Face:
    box = Box(face.box.top + dy, face.box.right + dx, face.box.bottom + dy, face.box.left + dx)
    return Face(box, face.score, tuple((x + dx, y + dy) for x, y in face.landmarks), face.inside_fraction)


def kept_detail(published: np.ndarray, original: np.ndarray, face: FaceArea) -> float:
    """1 − (energy of the change in fine detail) / (energy of the original's fine detail), in the oval.

    Untouched faces keep nearly all of it (re-encoding costs a little); a redacted face keeps none:
    pixelation and blur remove exactly this band. Measured relative to the face's own detail, so
    dark, low-contrast faces count the same as bright ones."""
    region = polygon_region(face_oval(face), original.shape)
    if region is None:
        return 0.0
    window, mask = region
    sigma = max(0.8, face.height / 24)
    before, after = (_fine_detail(pixels[window], sigma)[mask] for pixels in (original, published))
    energy = float((before**2).sum())
    return 1 - float(((after - before) ** 2).sum()) / energy if energy > 0 else 0.0


def _fine_detail(pixels: np.ndarray, sigma: float) -> np.ndarray:
    grey = cv2.cvtColor(pixels, cv2.COLOR_RGB2GRAY).astype(np.float32)
    return grey - cv2.GaussianBlur(grey, (0, 0), sigma)


# --- scoring ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Inspection:
    """One clearly visible face without consent, in a file written for that channel."""

    channel: str
    file: str
    face: int
    truth: TruthFace
    handled: str
    """What the check did with it, from its own JSON: redacted, missed, judged not clearly
    visible, or matched as someone who consented."""
    checked_height: float | None
    """Height of the box the check found for it, in published px (None: missed)."""
    evidence: Evidence

    @property
    def cause(self) -> str:
        return "redaction too small" if self.handled == "redacted" else self.handled


@dataclass(frozen=True)
class ChannelResult:
    channel: str
    unconsented_faces: int
    """Clearly visible faces of people without (effective) consent for this channel."""
    published_unconsented: int
    """Of those, the ones in a file written for the channel: each was inspected."""
    leaks: tuple[Inspection, ...]
    blobs_detected: int
    """Redacted faces where the detector still fires on the blob: reported, not counted as leaks."""
    consenting_faces: int
    """Clearly visible faces of enrolled people who consented to this channel."""
    over_redacted: int
    """Of those, the ones the check itself hid: redacted, or sent to review because their own match
    was unsure. A consenting face in a photo held for another face's sake is not one (`held`)."""
    over_redaction_causes: dict[str, int]
    over_redaction_by_size: dict[str, tuple[int, int]]
    """Published size band → (over-redacted, consenting faces): which band misses the target."""
    held: dict[str, int]
    """Consenting faces the check let through that still wait, because another face put their
    photo in review or got it blocked: the reviewer's work and the policy's, not over-redaction."""
    photos_in_review: int

    @property
    def over_redaction_share(self) -> float:
        return self.over_redacted / self.consenting_faces if self.consenting_faces else 0.0


@dataclass(frozen=True)
class PhotoPrecision:
    """What the check reported on one photo beyond its faces, as the real-photo scorer attributes boxes."""

    file: str
    sharp: bool
    """Per the truth: a sharp photo must not be refused (generated: not shaken at all)."""
    refused: str | None
    """The check's error: the photo was not checked and goes nowhere."""
    boxes: int
    false_faces: tuple[Rect, ...]
    """Reported boxes on no truth face, decoy or ignore region."""
    false_faces_judged_visible: int
    """Of those, the ones the check judged clearly visible: each costs a needless redaction or review."""
    decoys: tuple[Rect, ...]
    """Reported boxes on a thing taken for a face: a dog, a painting, a figurine."""
    boxes_per_face: tuple[int, ...]
    """For each truth face that got a box, how many: more than one is a duplicate or a split."""

    @property
    def split_faces(self) -> int:
        return sum(n > 1 for n in self.boxes_per_face)


def photo_precision(file: str, truth: dict, image: dict, sharp: bool) -> tuple[PhotoPrecision, Attribution]:
    """`truth` in the real-photo format (benchmarks/real_photos_truth.md); `image` the check's JSON entry."""
    boxes = [json_rect(face["box"]) for face in image["faces"]]
    found = attribute(boxes, truth)
    visible = sum(image["faces"][d]["clearly_visible"] for d in found.false_faces)
    return PhotoPrecision(
        file,
        sharp,
        image["error"],
        len(boxes),
        tuple(boxes[d] for d in found.false_faces),
        visible,
        tuple(boxes[d] for d in found.decoys),
        tuple(len(on) for on in found.on_faces if on),
    ), found


def json_rect(box: dict[str, int]) -> Rect:
    """A box of the check's JSON as the real-photo truth writes boxes: [left, top, right, bottom]."""
    return (box["left"], box["top"], box["right"], box["bottom"])


@dataclass(frozen=True)
class Precision:
    """The cost side, summed over photos: boxes on nothing, extra boxes on one face, photos refused."""

    photos: int
    boxes: int
    false_faces: int
    false_faces_judged_visible: int
    decoys: int
    faces_boxed: int
    boxes_on_faces: int
    split_faces: int
    """Truth faces with more than one box."""
    refused: int
    sharp_photos: int
    sharp_refused: tuple[str, ...]
    examples: tuple[str, ...]
    """Some false faces, decoys and split faces, as file: what, [left, top, right, bottom]."""

    @classmethod
    def of(cls, photos: Sequence[PhotoPrecision]) -> "Precision":
        return cls(
            photos=len(photos),
            boxes=sum(p.boxes for p in photos),
            false_faces=sum(len(p.false_faces) for p in photos),
            false_faces_judged_visible=sum(p.false_faces_judged_visible for p in photos),
            decoys=sum(len(p.decoys) for p in photos),
            faces_boxed=sum(len(p.boxes_per_face) for p in photos),
            boxes_on_faces=sum(sum(p.boxes_per_face) for p in photos),
            split_faces=sum(p.split_faces for p in photos),
            refused=sum(p.refused is not None for p in photos),
            sharp_photos=sum(p.sharp for p in photos),
            sharp_refused=tuple(p.file for p in photos if p.sharp and p.refused is not None),
            examples=tuple(itertools.islice(precision_examples(photos), 12)),
        )

    @property
    def taken_for_faces(self) -> int:
        """False faces and decoys: both are things that are not a person's face."""
        return self.false_faces + self.decoys

    @property
    def false_faces_per_photo(self) -> float:
        return self.taken_for_faces / self.photos if self.photos else 0.0

    @property
    def boxes_per_face(self) -> float:
        return self.boxes_on_faces / self.faces_boxed if self.faces_boxed else 1.0

    def missed_targets(self) -> dict[str, list[str]]:
        return {
            f"false faces ≤ 1 per {PHOTOS_PER_FALSE_FACE} photos": (
                [f"{self.false_faces} false faces and {self.decoys} decoys on {self.photos} photos"]
                if self.taken_for_faces * PHOTOS_PER_FALSE_FACE > self.photos
                else []
            ),
            "exactly one box per face": (
                [f"faces with more than one box: {self.split_faces}"] if self.split_faces else []
            ),
            "no sharp photo refused": [f"{len(self.sharp_refused)} of {self.sharp_photos}"]
            if self.sharp_refused
            else [],
        }

    def as_json(self) -> dict:
        return asdict(self) | {
            "false_faces_per_photo": round(self.false_faces_per_photo, 4),
            "boxes_per_face": round(self.boxes_per_face, 4),
        }


def precision_examples(photos: Iterable[PhotoPrecision]) -> Iterable[str]:
    """Each false face, decoy and split face, as file: what, [left, top, right, bottom]."""
    for p in photos:
        yield from (f"{p.file}: false face {list(box)}" for box in p.false_faces)
        yield from (f"{p.file}: decoy {list(box)}" for box in p.decoys)
        if p.split_faces:
            yield f"{p.file}: faces with more than one box: {p.split_faces}"


@dataclass(frozen=True)
class BandRecall:
    band: str
    faces: int
    found: int
    judged_visible: int
    """Found and judged clearly visible by the check itself: only those get consent applied."""
    size_ratio: float | None
    """Median of the check's box height over the true face height, for the faces found: below 1
    the check sees faces smaller than they are, and near the threshold calls them not visible."""
    missed: tuple[str, ...]
    """Some missed faces, as file#face."""

    @property
    def recall(self) -> float:
        return self.found / self.faces if self.faces else 1.0


@dataclass(frozen=True)
class Report:
    seed: int
    photos: int
    faces: int
    clearly_visible: int
    cast: dict
    channels: tuple[ChannelResult, ...]
    recall_by_size: tuple[BandRecall, ...]
    recall_by_rotation: tuple[BandRecall, ...]
    recall_by_blur: tuple[BandRecall, ...]
    recall_by_condition: tuple[BandRecall, ...]
    confusion: dict[str, dict[str, int]]
    timing: dict[str, float]
    precision: Precision
    not_checked: dict[str, tuple[int, int]] = field(default_factory=dict)
    """Shake band → (photos the check refused to decide, photos): a refused photo goes nowhere, which
    costs the school the photo and no child their privacy."""

    def missed_targets(self) -> dict[str, list[str]]:
        """Each target, with what misses it: channels or bands and their numbers (empty: met)."""
        tilts = [
            band
            for band, (_, high) in zip(self.recall_by_rotation, itertools.pairwise(ROTATION_BANDS), strict=True)
            if high <= RECALL_TARGET_TILT
        ]
        return {
            "zero leaks": [f"{c.channel} {len(c.leaks)}" for c in self.channels if c.leaks],
            f"recall ≥ {RECALL_TARGET:.1%} in every size band": _short_of_recall(self.recall_by_size),
            f"recall ≥ {RECALL_TARGET:.1%} up to ±{RECALL_TARGET_TILT}°": _short_of_recall(tilts),
            f"over-redaction ≤ {OVER_REDACTION_TARGET:.0%}": [
                f"{c.channel} {c.over_redaction_share:.1%}"
                for c in self.channels
                if c.over_redaction_share > OVER_REDACTION_TARGET
            ],
        } | self.precision.missed_targets()

    def as_json(self) -> dict:
        data = asdict(self)
        data["missed_targets"] = self.missed_targets()
        data["precision"] = self.precision.as_json()
        for channel, result in zip(data["channels"], self.channels, strict=True):
            channel["over_redaction_share"] = round(result.over_redaction_share, 4)
            for leak, inspection in zip(channel["leaks"], result.leaks, strict=True):
                leak["cause"] = inspection.cause
        for key in ("recall_by_size", "recall_by_rotation", "recall_by_blur", "recall_by_condition"):
            for band, result in zip(data[key], getattr(self, key), strict=True):
                band["recall"] = round(result.recall, 4)
        return data


def evaluate(
    event_set: EventSet,
    run: CheckRun,
    cast: Cast,
    out: Path,
    inspector: LeakInspector,
    on_photo: Callable[[], None] | None = None,
) -> Report:
    found = {photo.file: assign(photo, run.images[photo.file]["faces"]) for photo in event_set.photos}
    inspections = []
    for photo in event_set.photos:
        image = run.images[photo.file]
        inspections += _inspect_photo(photo, image, found[photo.file], cast, event_set.photos_dir, out, inspector)
        if on_photo:
            on_photo()
    visible = [(p, i, f) for p in event_set.photos for i, f in enumerate(p.faces) if f.clearly_visible]
    images = run.images
    return Report(
        seed=event_set.seed,
        photos=len(event_set.photos),
        faces=sum(len(p.faces) for p in event_set.photos),
        clearly_visible=len(visible),
        cast={"enrolled": list(cast.enrolled), "consents": sorted(map(list, cast.consents))},
        channels=tuple(_channel_result(c, visible, images, found, cast, inspections) for c in CHANNELS),
        recall_by_size=_recall(visible, found, images, _bands(SIZE_BANDS, lambda f: f.published_height, "px")),
        recall_by_rotation=_recall(visible, found, images, _bands(ROTATION_BANDS, lambda f: abs(f.angle), "°")),
        recall_by_blur=_recall(visible, found, images, _bands(BLUR_BANDS, lambda f: f.motion_blur, "")),
        recall_by_condition=_recall(visible, found, images, CONDITIONS),
        confusion=_confusion(visible, found, images),
        timing={},
        precision=Precision.of([_generated_precision(photo, images[photo.file]) for photo in event_set.photos]),
        not_checked=_not_checked(event_set.photos, images),
    )


def _generated_precision(photo: TruthPhoto, image: dict) -> PhotoPrecision:
    """A generated photo has no decoys or ignore regions: every box on none of its faces is false."""
    truth = {
        "faces": [{"box": json_rect(face.box), "clearly_visible": face.clearly_visible} for face in photo.faces],
        "decoys": [],
        "ignore": [],
    }
    unshaken = photo.published_shake < SHAKE_BANDS["unshaken"][1]
    return photo_precision(photo.file, truth, image, sharp=unshaken)[0]


def _not_checked(photos: tuple[TruthPhoto, ...], images: dict[str, dict]) -> dict[str, tuple[int, int]]:
    counts = {}
    for name, (low, high) in SHAKE_BANDS.items():
        band = [photo.file for photo in photos if low <= photo.published_shake < high]
        counts[name] = (sum(images[file]["error"] is not None for file in band), len(band))
    return counts


def _inspect_photo(
    photo: TruthPhoto,
    image: dict,
    found: list[int | None],
    cast: Cast,
    photos_dir: Path,
    out: Path,
    inspector: LeakInspector,
) -> list[Inspection]:
    """Every unconsented clearly visible face on every channel the photo was written for."""
    at_risk = {
        channel: [
            i for i, f in enumerate(photo.faces) if f.clearly_visible and not cast.consents_to(f.identity, channel)
        ]
        for channel in CHANNELS
    }
    inspections = []
    for (channel, index), evidence in inspect_published(photos_dir / photo.file, photo.faces, at_risk, out, inspector):
        detected = found[index]
        checked_height = None if detected is None else _published_height(image, image["faces"][detected]["box"])
        handled = _handled(image, detected, tuple(image["channels"][channel]["redact"]))
        inspections.append(
            Inspection(channel, photo.file, index, photo.faces[index], handled, checked_height, evidence)
        )
    return inspections


def inspect_published(
    original_path: Path,
    faces: Sequence[FaceArea],
    at_risk: dict[str, list[int]],
    out: Path,
    inspector: LeakInspector,
) -> list[tuple[tuple[str, int], Evidence]]:
    """Evidence for each (channel, face index) at risk, on the channels the photo was written for.

    Channels often get byte-identical files; each face is inspected once per distinct file."""
    written = {channel: out / channel / original_path.name for channel, indices in at_risk.items() if indices}
    written = {channel: path for channel, path in written.items() if path.exists()}
    if not written:
        return []
    original = open_photo(original_path, SETTINGS.max_pixels).pixels
    seen: dict[tuple[bytes, int], Evidence] = {}
    evidence = []
    for channel, path in written.items():
        data = path.read_bytes()
        published, digest = open_photo(data, SETTINGS.max_pixels).pixels, hashlib.sha256(data).digest()
        for index in at_risk[channel]:
            if (digest, index) not in seen:
                seen[(digest, index)] = inspector.inspect(published, original, faces[index])
            evidence.append(((channel, index), seen[(digest, index)]))
    return evidence


def _published_height(image: dict, box: dict[str, int]) -> float:
    return round((box["bottom"] - box["top"]) * SETTINGS.published_long_side / max(image["width"], image["height"]), 1)


def _handled(image: dict, detected: int | None, redact: tuple[int, ...]) -> str:
    if detected is None:
        return "missed"
    face = image["faces"][detected]
    if detected in redact:
        return "redacted"
    if not face["clearly_visible"]:
        return "judged not clearly visible"
    return f"matched as {face['person']}"


def _channel_result(
    channel: str, visible: Visible, images: dict[str, dict], found: Found, cast: Cast, inspections: list[Inspection]
) -> ChannelResult:
    mine = [i for i in inspections if i.channel == channel]
    consenting = [
        (photo, face, images[photo.file], found[photo.file][index])
        for photo, index, face in visible
        if cast.consents_to(face.identity, channel)
    ]
    hidden = [(p, f, cause) for p, f, image, d in consenting if (cause := over_redaction(image, channel, d))]
    waiting = Counter(cause for _, _, image, d in consenting if (cause := held(image, channel, d)))
    by_size = {
        band: (sum(test(p, f) for p, f, _ in hidden), sum(test(p, f) for p, f, _, _ in consenting))
        for band, test in _bands(SIZE_BANDS, lambda f: f.published_height, "px")
    }
    return ChannelResult(
        channel,
        unconsented_faces=sum(not cast.consents_to(f.identity, channel) for _, _, f in visible),
        published_unconsented=len(mine),
        leaks=tuple(i for i in mine if i.evidence.is_leak),
        blobs_detected=sum(i.evidence.blob_detected for i in mine),
        consenting_faces=len(consenting),
        over_redacted=len(hidden),
        over_redaction_causes=dict(Counter(cause for _, _, cause in hidden)),
        over_redaction_by_size=by_size,
        held=dict(waiting),
        photos_in_review=sum(image["channels"][channel]["status"] == "review" for image in images.values()),
    )


def over_redaction(image: dict, channel: str, detected: int | None) -> str | None:
    """Why the check hid a consenting face, or None when it did not (a missed face goes out as is)."""
    if detected is None or detected not in image["channels"][channel]["redact"]:
        return None
    face = image["faces"][detected]
    if face["match"] == "unsure":
        return "sent to review"
    return f"redacted: {face['match']}" + (f" as {face['person']}" if face["match"] == "matched" else "")


def held(image: dict, channel: str, detected: int | None) -> str | None:
    """Why a consenting face the check let through still waits: its photo is in review or blocked."""
    decision = image["channels"][channel]
    hidden = detected is not None and detected in decision["redact"]
    return None if hidden or decision["status"] not in ("review", "blocked") else f"photo {decision['status']}"


def _bands(edges: tuple[float, ...], measure: Callable[[TruthFace], float], unit: str) -> list[Group]:
    return [
        (_band_name(low, high, unit), lambda _, f, low=low, high=high: low <= measure(f) < high)
        for low, high in itertools.pairwise(edges)
    ]


def _short_of_recall(bands: Iterable[BandRecall]) -> list[str]:
    return [f"{b.band} {b.recall:.1%}" for b in bands if b.recall < RECALL_TARGET]


def _band_name(low: float, high: float, unit: str) -> str:
    if math.isinf(high):
        return f"≥{low:g}{unit}"
    if unit == "":
        return "none" if high <= 0.001 else f"{low:.0%}–{high:.0%}"
    return f"{low:g}–{round(high):g}{unit}"


def _recall(visible: Visible, found: Found, images: dict[str, dict], groups: list[Group]) -> tuple[BandRecall, ...]:
    return tuple(
        _group_recall(name, [(p, i, f) for p, i, f in visible if test(p, f)], found, images) for name, test in groups
    )


def _group_recall(name: str, members: Visible, found: Found, images: dict[str, dict]) -> BandRecall:
    hits = [(images[p.file]["faces"][found[p.file][i]], f) for p, i, f in members if found[p.file][i] is not None]
    ratios = [(entry["box"]["bottom"] - entry["box"]["top"]) / face.height for entry, face in hits]
    return BandRecall(
        name,
        faces=len(members),
        found=len(hits),
        judged_visible=sum(entry["clearly_visible"] for entry, _ in hits),
        size_ratio=round(float(np.median(ratios)), 3) if ratios else None,
        missed=tuple(f"{p.file}#{i}" for p, i, _ in members if found[p.file][i] is None)[:10],
    )


def _confusion(visible: Visible, found: Found, images: dict[str, dict]) -> dict[str, dict[str, int]]:
    """Truth identity → what the check made of the face: a person, unsure, unknown, not visible, missed."""
    table: dict[str, Counter] = {}
    for photo, index, face in visible:
        detected = found[photo.file][index]
        if detected is None:
            verdict = "missed"
        else:
            entry = images[photo.file]["faces"][detected]
            verdict = (
                entry["person"]
                if entry["match"] == "matched"
                else (entry["match"] if entry["clearly_visible"] else "not clearly visible")
            )
        table.setdefault(face.identity, Counter())[verdict] += 1
    return {identity: dict(counts) for identity, counts in sorted(table.items())}


# --- the real photos ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RealFace:
    """A face of the real-photo truth as leak inspection sees it: upright, its box as drawn."""

    box: dict[str, int]
    centre: tuple[float, float]
    width: float
    height: float
    angle: float = 0.0

    @classmethod
    def of(cls, rect: Rect) -> "RealFace":
        left, top, right, bottom = rect
        box = {"top": round(top), "right": round(right), "bottom": round(bottom), "left": round(left)}
        return cls(box, ((left + right) / 2, (top + bottom) / 2), right - left, bottom - top)


@dataclass(frozen=True)
class RealLeak:
    """A clearly visible face of a real photo still recognisable in a file written for a channel."""

    channel: str
    file: str
    face: int
    box: Rect
    handled: str
    """What the check did with it (see `Inspection.handled`)."""
    evidence: Evidence


@dataclass(frozen=True)
class RealPhotoResult:
    file: str
    visible: int
    found: int
    """Clearly visible faces with at least one of the check's boxes on them."""
    published: tuple[str, ...]
    """Channels the check wrote the photo for."""
    leaks: dict[str, int]
    """Channel → clearly visible faces left recognisable in the file written for it."""
    precision: PhotoPrecision


@dataclass(frozen=True)
class RealReport:
    """`mediacheck check` on the real photos with nobody enrolled: every clearly visible face lacks consent."""

    photos: tuple[RealPhotoResult, ...]
    leaks: tuple[RealLeak, ...]
    precision: Precision
    timing: dict[str, float]

    @property
    def visible(self) -> int:
        return sum(p.visible for p in self.photos)

    @property
    def found(self) -> int:
        return sum(p.found for p in self.photos)

    @property
    def recall(self) -> float:
        return self.found / self.visible if self.visible else 1.0

    def leaks_by_channel(self) -> dict[str, int]:
        return {channel: sum(leak.channel == channel for leak in self.leaks) for channel in CHANNELS}

    def missed_targets(self) -> dict[str, list[str]]:
        recall = f"recall ≥ {RECALL_TARGET:.1%} of clearly visible faces"
        return {
            "zero leaks": [f"{channel} {n}" for channel, n in self.leaks_by_channel().items() if n],
            recall: [] if self.recall >= RECALL_TARGET else [f"{self.found}/{self.visible} {self.recall:.2%}"],
        } | self.precision.missed_targets()

    def as_json(self) -> dict:
        return asdict(self) | {
            "visible": self.visible,
            "found": self.found,
            "recall": round(self.recall, 4),
            "leaks_by_channel": self.leaks_by_channel(),
            "precision": self.precision.as_json(),
            "missed_targets": self.missed_targets(),
        }


def evaluate_real(workdir: Path, photos: Sequence[str] | None = None, progress: Progress | None = None) -> RealReport:
    """Run the check on real photos (default: all in the truth) with nobody enrolled and nobody
    consenting, so that every clearly visible face is a person without consent (R3, R11), and
    score what went out on every channel."""
    _require_empty(workdir)
    truth = load_truth()
    names = sorted(truth) if photos is None else list(photos)
    folder = real_photos_dir()
    (workdir / "gallery").mkdir(parents=True)  # empty: nobody enrolled
    gallery, consents = write_cast(Cast((), frozenset()), workdir)
    out = workdir / "out"
    run = run_check([folder / name for name in names], gallery, consents, out)
    inspector = LeakInspector(None)
    advance = _advance(progress, "inspecting what went out", len(names))
    results, leaks = [], []
    for name in names:
        result, found = _real_photo(name, truth[name], run.images[name], folder, out, inspector)
        results.append(result)
        leaks += found
        if advance:
            advance()
    precision = Precision.of([result.precision for result in results])
    return RealReport(tuple(results), tuple(leaks), precision, {"check_seconds": round(run.seconds, 2)})


def _real_photo(
    name: str, truth: dict, image: dict, folder: Path, out: Path, inspector: LeakInspector
) -> tuple[RealPhotoResult, list[RealLeak]]:
    precision, found = photo_precision(name, truth, image, truth["sharp"])
    visible = [i for i, face in enumerate(truth["faces"]) if face["clearly_visible"]]
    faces = [RealFace.of(face["box"]) for face in truth["faces"]]
    leaks = []
    for (channel, index), evidence in inspect_published(
        folder / name, faces, dict.fromkeys(CHANNELS, visible), out, inspector
    ):
        if evidence.is_leak:
            redact = tuple(image["channels"][channel]["redact"])
            boxes = found.on_faces[index]
            detected = next((d for d in boxes if d in redact), boxes[0] if boxes else None)
            box = truth["faces"][index]["box"]
            leaks.append(RealLeak(channel, name, index, box, _handled(image, detected, redact), evidence))
    per_channel = {channel: sum(leak.channel == channel for leak in leaks) for channel in CHANNELS}
    published = tuple(channel for channel in CHANNELS if (out / channel / name).exists())
    found_visible = sum(bool(found.on_faces[i]) for i in visible)
    result = RealPhotoResult(name, len(visible), found_visible, published, per_channel, precision)
    return result, leaks


def print_real_report(console: Console, report: RealReport) -> None:
    table = Table(title="per photo; leaks per channel", title_justify="left")
    table.add_column("photo", no_wrap=True)
    for header in ("visible", "found", *CHANNELS, "boxes", "false", "decoys", ">1 box", "refused"):
        table.add_column(header)
    for p in report.photos:
        table.add_row(
            p.file.removesuffix(".jpg"),
            str(p.visible),
            _styled(p.found, p.found == p.visible),
            *(_styled(p.leaks[c], p.leaks[c] == 0) for c in CHANNELS),
            str(p.precision.boxes),
            _styled(len(p.precision.false_faces), not p.precision.false_faces),
            _styled(len(p.precision.decoys), not p.precision.decoys),
            _styled(p.precision.split_faces, p.precision.split_faces == 0),
            _styled(p.precision.refused or "", p.precision.refused is None),
        )
    table.add_row(
        "total",
        str(report.visible),
        f"{report.found} ({report.recall:.2%})",
        *(str(n) for n in report.leaks_by_channel().values()),
        str(report.precision.boxes),
        str(report.precision.false_faces),
        str(report.precision.decoys),
        str(report.precision.split_faces),
        str(report.precision.refused),
    )
    console.print(table)
    print_precision(console, report.precision)
    console.print("timing: " + ", ".join(f"{k} {v}" for k, v in report.timing.items()))
    print_targets(console, report.missed_targets())
    for leak in report.leaks[:40]:
        console.print(f"[red]leak[/] {leak.channel} {describe_real(leak)}")


def describe_real(leak: RealLeak) -> str:
    e = leak.evidence
    return (
        f"{leak.file}#{leak.face} {list(leak.box)}: {leak.handled}; kept detail {e.kept_detail:.2f}, "
        f"detected {e.detected}"
    )


# --- the command --------------------------------------------------------------------------------


def evaluate_generated(
    workdir: Path, photos: int, seed: int, progress: Progress | None = None
) -> tuple[Report, EventSet]:
    """Generate a set, run the check on it with a generated cast, and score what went out.

    `workdir` must be empty: a file left from another run would be taken for this run's output."""
    _require_empty(workdir)
    event_set = generate(workdir, photos, seed, _advance(progress, "generating event photos", photos))
    cast = make_cast(tuple(sorted({source.identity for source in source_faces()})), seed)
    gallery, consents = write_cast(cast, workdir)
    out = workdir / "out"
    run = run_check([event_set.photos_dir], gallery, consents, out)
    (workdir / "check.json").write_text(json.dumps({"images": list(run.images.values())}, indent=1))
    inspector = LeakInspector(gallery)
    report = evaluate(event_set, run, cast, out, inspector, _advance(progress, "inspecting what went out", photos))
    return replace(report, timing={"check_seconds": round(run.seconds, 2)}), event_set


def _require_empty(workdir: Path) -> None:
    if workdir.exists() and any(workdir.iterdir()):
        raise ValueError(f"{workdir} is not empty")


def _advance(progress: Progress | None, description: str, total: int) -> Callable[[], None] | None:
    if progress is None:
        return None
    task = progress.add_task(description, total=total)
    return lambda: progress.advance(task)


def main(
    photos: Annotated[int, typer.Option(help="Photos to generate.")] = 300,
    seed: Annotated[int, typer.Option(help="Seed of the generated set and cast.")] = 1,
    real: Annotated[
        bool,
        typer.Option(
            "--real",
            help="Instead, the real photos of the shared folder with their hand-made truth, nobody enrolled "
            "(--photos and --seed are ignored).",
        ),
    ] = False,
    workdir: Annotated[Path | None, typer.Option(help="Keep the set and outputs here (default: temporary).")] = None,
    report: Annotated[
        Path | None,
        typer.Option(
            help=f"Where to write the JSON report (default: {DEFAULT_REPORT.name} in results/, "
            f"{DEFAULT_REAL_REPORT.name} with --real)."
        ),
    ] = None,
) -> None:
    """Run `mediacheck check` on photos with ground truth (generated, or real with --real), count leaks
    per channel, recall, over-redaction and what was reported that is not one box per face."""
    with tempfile.TemporaryDirectory(prefix="privacy-eval-") as scratch:
        directory = workdir or Path(scratch)
        with Progress(console=Console(stderr=True)) as progress:
            try:
                result = (
                    evaluate_real(directory, progress=progress)
                    if real
                    else _evaluate_timed(directory, photos, seed, progress)
                )
            except ValueError as error:
                raise typer.BadParameter(str(error), param_hint="--workdir") from None
    if isinstance(result, RealReport):
        print_real_report(Console(), result)
    else:
        print_report(Console(), result)
    path = report or (DEFAULT_REAL_REPORT if real else DEFAULT_REPORT)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result.as_json(), indent=1))
    Console().print(f"report written to {path}")


def _evaluate_timed(directory: Path, photos: int, seed: int, progress: Progress) -> Report:
    """The generated evaluation, with the check's start-up time measured apart from its time per photo."""
    result, event_set = evaluate_generated(directory, photos, seed, progress)
    gallery, consents = directory / "gallery", directory / "consents.csv"
    startup = run_check([event_set.photos_dir / event_set.photos[0].file], gallery, consents, None).seconds
    per_photo = (result.timing["check_seconds"] - startup) / max(1, photos - 1)
    timing = {**result.timing, "startup_seconds": round(startup, 2), "seconds_per_photo": round(per_photo, 3)}
    return replace(result, timing=timing)


def print_report(console: Console, report: Report) -> None:
    console.print(
        f"[bold]{report.photos} photos, {report.faces} faces, {report.clearly_visible} clearly visible[/] "
        f"(seed {report.seed}); enrolled: {', '.join(report.cast['enrolled'])}"
    )
    table = Table(
        "channel",
        "unconsented",
        "of which out",
        "leaks",
        "blobs",
        "consenting",
        "over-redacted",
        "share",
        "causes",
        "held with photo",
        "photos in review",
    )
    for c in report.channels:
        style = "red" if c.leaks else "green"
        table.add_row(
            c.channel,
            str(c.unconsented_faces),
            str(c.published_unconsented),
            f"[{style}]{len(c.leaks)}[/]",
            str(c.blobs_detected),
            str(c.consenting_faces),
            str(c.over_redacted),
            f"{c.over_redaction_share:.1%}",
            _counts(c.over_redaction_causes),
            _counts(c.held),
            str(c.photos_in_review),
        )
    console.print(table)
    for c in report.channels:
        bands = (f"{band} {hid / n:.0%} ({hid}/{n})" for band, (hid, n) in c.over_redaction_by_size.items() if n)
        console.print(f"over-redaction by size, {c.channel}: " + ", ".join(bands))
    for title, bands in (
        ("size (published px)", report.recall_by_size),
        ("rotation", report.recall_by_rotation),
        ("motion blur", report.recall_by_blur),
        ("condition", report.recall_by_condition),
    ):
        recall = Table(f"recall by {title}", "faces", "found", "recall", "judged visible", "size seen", "missed e.g.")
        for b in bands:
            style = "green" if b.recall >= RECALL_TARGET else "red"
            recall.add_row(
                b.band,
                str(b.faces),
                str(b.found),
                f"[{style}]{b.recall:.1%}[/]",
                str(b.judged_visible),
                "-" if b.size_ratio is None else f"{b.size_ratio:.0%}",
                " ".join(b.missed[:4]),
            )
        console.print(recall)
    verdicts = sorted({v for row in report.confusion.values() for v in row})
    confusion = Table("truth \\ check", *verdicts)
    for identity, row in report.confusion.items():
        confusion.add_row(identity, *(str(row.get(v, "")) for v in verdicts))
    console.print(confusion)
    refused = (f"{band} {n}/{of}" for band, (n, of) in report.not_checked.items())
    console.print("photos not checked (shaken or blurred, or unreadable): " + ", ".join(refused))
    print_precision(console, report.precision)
    console.print("timing: " + ", ".join(f"{k} {v}" for k, v in report.timing.items()))
    print_targets(console, report.missed_targets())
    for c in report.channels:
        for leak in c.leaks[:20]:
            console.print(f"[red]leak[/] {c.channel} {describe(leak)}")


def print_precision(console: Console, precision: Precision) -> None:
    p = precision
    table = Table("precision: what is not one box per face", "")
    for measure, value in (
        ("photos", str(p.photos)),
        ("boxes reported", str(p.boxes)),
        ("false faces (on no face)", _styled(p.false_faces, p.false_faces == 0)),
        ("  of which judged clearly visible", str(p.false_faces_judged_visible)),
        ("decoys taken for faces", _styled(p.decoys, p.decoys == 0)),
        ("false faces and decoys per photo", f"{p.false_faces_per_photo:.3f}"),
        ("faces with a box", str(p.faces_boxed)),
        ("boxes per face", f"{p.boxes_per_face:.3f}"),
        ("faces with more than one box", _styled(p.split_faces, p.split_faces == 0)),
        ("photos refused", str(p.refused)),
        ("sharp photos refused", _styled(f"{len(p.sharp_refused)}/{p.sharp_photos}", not p.sharp_refused)),
    ):
        table.add_row(measure, value)
    console.print(table)
    for example in p.examples:
        console.print(f"  {example}")


def print_targets(console: Console, missed: dict[str, list[str]]) -> None:
    for target, misses in missed.items():
        verdict = f"[red]not met[/]: {', '.join(misses)}" if misses else "[green]met[/]"
        console.print(f"target {target}: {verdict}")


def _styled(value: object, good: bool) -> str:
    return f"[{'green' if good else 'red'}]{value}[/]"


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{k}: {v}" for k, v in sorted(counts.items()))


def describe(leak: Inspection) -> str:
    t, e = leak.truth, leak.evidence
    seen = f" (check's box {leak.checked_height:.0f}px)" if leak.checked_height else ""
    return (
        f"{leak.file}#{leak.face} {t.identity}: {leak.cause}; height {t.published_height:.0f}px{seen}, "
        f"angle {t.angle:+.0f}°, inside {t.inside_fraction:.2f}, occluded {t.occluded_fraction:.2f}, "
        f"sharpness {t.sharpness:.0f}, blur {t.motion_blur:.2f}; kept detail {e.kept_detail:.2f}, "
        f"detected {e.detected}, named {e.named}"
    )


if __name__ == "__main__":
    typer.run(main)
