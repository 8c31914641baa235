"""Enrolment from a folder: one sub-folder per person holding their reference photos.

This is the offline gallery of `mediacheck check --gallery DIR`. Templates are computed in
memory at each run and never written to disk (R11: templates are special-category data).
An optional `siblings.csv` (header `person,sibling`) marks people who need a stricter margin.

Which face of a reference photo is enrolled is decided here once, for this gallery and for the
school's records alike (`reference_face`): the one clearly visible face, or the largest when every
other is much smaller (`OTHER_FACE_SHARE`); two or more faces of about one size are refused, since
the photo does not say which of them is the person (R15: a wrong template recognises the wrong child).
"""

import csv
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from mediacheck.check import PhotoChecker
from mediacheck.faces import Box, Face
from mediacheck.imaging import ImageError, open_photo
from mediacheck.matching import Gallery
from mediacheck.settings import CheckSettings
from mediacheck.visibility import judge_visibility

SIBLINGS_FILE = "siblings.csv"
PHOTO_SUFFIXES = {".jpg", ".jpeg", ".jpe", ".jfif", ".png", ".webp", ".heic", ".heif"}
DISTANT_FACE_HEIGHTS = (36, 52)
"""Heights, in px, at which a reference face is encoded once more, shrunk as if photographed from afar.
A face 32–40 px high in an event photo lies far from its person's template from a close-up (median
distance 0.53, against 0.23 for large faces), so a consenting child seen small came out "unknown" and was
redacted (measured with dlib; SFace's own numbers are in `CheckSettings.distant_template_offset`). Matching
adds `distant_template_offset` to the distance to these templates."""
OTHER_FACE_SHARE = 0.5
"""A reference photo's other faces are ignored when each is at most this share of the largest one's height
(detector boxes, so alike for any detector). Measured with CenterFace, once `SAME_FACE_OVERLAP` has joined a
face seen twice, on the sample people, the real photos and two sample people composed side by side: in
close-up portraits the other faces (people behind, spots) measure 0.07–0.35 of the main face
(closeup_actor_smiling.jpg 0.35, large_32mp_fullbody_indoor.jpg 0.28, selfie_group_outdoor.jpg 0.23,
child_face_paint.jpg 0.07); people side by side 0.55 and up (obama/1.jpg and biden/2.jpg scaled to one photo
height 0.57; obama_and_biden.jpg 0.88, kit_with_rose.jpg 0.84, two_people.jpg 0.97, audience_profiles.jpg
0.73, family_masked_with_child.jpg 0.98, kids_girl_scouts.jpg 0.96)."""
SAME_FACE_OVERLAP = 1 / 3
"""Share of the smaller box two detections must share to be one face seen twice, of which the better-scoring
is kept. The detector also boxes half a face with the background beside it, sometimes larger than the face
(closeup_actor_smiling.jpg 0.69 of the smaller box, biden/2.jpg composed 0.42 and 0.35); two people's faces,
even crowded, share at most 0.27 (crowd_masked_hands_raised.jpg; family_masked_with_child.jpg 0.06)."""

NOTE_WORDS = {
    "others_ignored": "{photo}: only the main face was enrolled; {faces} smaller or partial face(s) in it ignored",
    "similar_faces": "{photo}: {faces} faces of about the same size: use a photo of this person alone",
    "no_face": "{photo}: no clearly visible face: use a photo in which the face is large, sharp and seen "
    "from the front",
    "unreadable": "{photo}: cannot be opened as a photo ({detail})",
}
"""What is said about a reference photo, in English; `web.i18n` has the same in Dutch."""
NOT_ENROLLED = "{person}: not enrolled, no usable reference photo: their faces count as unknown (no consent)"


@dataclass(frozen=True)
class ReferenceNote:
    """Something to tell staff about one reference photo: why it was refused, or what was ignored in it."""

    photo: str
    reason: str
    """A key of `NOTE_WORDS`."""
    faces: int = 0
    detail: str = ""

    @property
    def refused(self) -> bool:
        return self.reason != "others_ignored"

    def __str__(self) -> str:
        return NOTE_WORDS[self.reason].format(photo=self.photo, faces=self.faces, detail=self.detail)


class EnrolmentError(Exception):
    """Enrolment cannot go ahead: the message says why."""


class PhotoRefused(EnrolmentError):
    """Reference photos that cannot serve, each named with why."""

    def __init__(self, notes: Sequence[ReferenceNote]) -> None:
        self.notes = tuple(notes)
        super().__init__("; ".join(map(str, self.notes)))


@dataclass(frozen=True)
class ReferenceTemplates:
    """The templates of the enrolled face of a reference photo."""

    close_up: np.ndarray
    """As photographed."""
    distant: tuple[np.ndarray, ...]
    """Shrunk to each of `DISTANT_FACE_HEIGHTS` that is smaller than the face."""
    note: ReferenceNote | None = None
    """Set when other, much smaller faces in the photo were ignored."""


@dataclass(frozen=True)
class EnrolledGallery:
    """A gallery folder enrolled: the gallery, and what staff must read about it."""

    gallery: Gallery
    notes: list[ReferenceNote] = field(default_factory=list)
    """Photos refused (skipped) or enrolled with other faces ignored."""
    not_enrolled: list[str] = field(default_factory=list)
    """People left without a usable photo: not in the gallery, so never recognised (fail closed)."""


def reference_face(faces: Sequence[Face], pixels: np.ndarray, settings: CheckSettings, photo: str) -> tuple[Face, int]:
    """The face to enrol from a reference photo's detected `faces`, and how many other clearly visible
    faces were ignored. Raises `PhotoRefused` when none is clearly visible or several of about one size
    are. Faces not clearly visible (R1) are ignored without a word, as everywhere."""
    visible = [f for f in faces if judge_visibility(f, pixels, settings).clearly_visible]
    if not visible:
        raise PhotoRefused([ReferenceNote(photo, "no_face")])
    distinct = _distinct(visible)
    largest = max(distinct, key=lambda f: f.box.height)
    alike = [f for f in distinct if f.box.height > OTHER_FACE_SHARE * largest.box.height]
    if len(alike) > 1:
        raise PhotoRefused([ReferenceNote(photo, "similar_faces", len(alike))])
    return largest, len(visible) - 1


def _distinct(faces: Sequence[Face]) -> list[Face]:
    """The faces left when of every two sharing `SAME_FACE_OVERLAP` of the smaller box only the better-scoring
    one counts."""
    kept: list[Face] = []
    for face in sorted(faces, key=lambda f: f.score, reverse=True):
        if not any(_one_face(face.box, other.box) for other in kept):
            kept.append(face)
    return kept


def _one_face(a: Box, b: Box) -> bool:
    return a.intersection(b) >= SAME_FACE_OVERLAP * min(a.area, b.area)


def reference_templates(checker: PhotoChecker, source: Path | bytes, name: str | None = None) -> ReferenceTemplates:
    """The templates of the face `reference_face` picks in a reference photo: a file, or one as stored.
    `name` is how messages name the photo (default: the file's name)."""
    name = name or (source.name if isinstance(source, Path) else "stored reference photo")
    try:
        photo = open_photo(source, checker.settings.max_pixels)
    except ImageError as error:
        raise PhotoRefused([ReferenceNote(name, "unreadable", detail=str(error))]) from None
    face, ignored = reference_face(checker.detector.detect(photo.pixels), photo.pixels, checker.settings, name)
    far = [shrunk(photo.pixels, face, h) for h in DISTANT_FACE_HEIGHTS if h < face.box.height]
    return ReferenceTemplates(
        checker.encoder.encode(photo.pixels, face),
        tuple(checker.encoder.encode(*pair) for pair in far),
        ReferenceNote(name, "others_ignored", ignored) if ignored else None,
    )


def judge_references(
    checker: PhotoChecker,
    photos: Sequence[Path],
    names: Sequence[str] | None = None,
    on_photo: Callable[[Path], None] | None = None,
) -> tuple[list[tuple[Path, ReferenceTemplates]], list[ReferenceNote]]:
    """Each photo judged alone: the usable ones with their templates, and a note for every photo refused
    or enrolled with faces ignored. `names` name the photos in notes (default: their file names)."""
    usable, notes = [], []
    for photo, name in zip(photos, names or [p.name for p in photos], strict=True):
        try:
            made = reference_templates(checker, photo, name)
            usable.append((photo, made))
            notes += [made.note] if made.note else []
        except PhotoRefused as refusal:
            notes += refusal.notes
        if on_photo:
            on_photo(photo)
    return usable, notes


def shrunk(pixels: np.ndarray, face: Face, height: int) -> tuple[np.ndarray, Face]:
    """The face and its surroundings scaled so the face is `height` px high."""
    scale = height / face.box.height
    small = cv2.resize(pixels, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)

    def scaled(value: float) -> float:  # pixel centres: OpenCV maps x to (x + 0.5) * scale - 0.5
        return (value + 0.5) * scale - 0.5

    b = face.box
    box = Box(*(round(scaled(v)) for v in (b.top, b.right, b.bottom, b.left)))
    landmarks = tuple((scaled(x), scaled(y)) for x, y in face.landmarks)
    return small, Face(box, face.score, landmarks, face.inside_fraction)


def load_gallery(
    checker: PhotoChecker, directory: Path, on_photo: Callable[[Path], None] | None = None
) -> EnrolledGallery:
    """Encode every usable reference photo under `directory`. One photo that cannot serve never stops the
    run: it is skipped and named in the notes, and a person left without any usable photo is named as not
    enrolled, so that nobody goes "unknown" without anyone knowing."""
    templates: dict[str, list[np.ndarray]] = {}
    distant: dict[str, list[np.ndarray]] = {}
    notes: list[ReferenceNote] = []
    not_enrolled: list[str] = []
    for person_dir in sorted(p for p in directory.iterdir() if p.is_dir()):
        person = person_dir.name
        photos = reference_photos(person_dir)
        usable, said = judge_references(checker, photos, [f"{person}/{p.name}" for p in photos], on_photo)
        notes += said
        if not usable:
            not_enrolled.append(person)
        for _, made in usable:
            templates.setdefault(person, []).append(made.close_up)
            distant.setdefault(person, []).extend(made.distant)
    gallery = Gallery.build(templates, read_siblings(directory / SIBLINGS_FILE), distant)
    return EnrolledGallery(gallery, notes, not_enrolled)


def reference_photos(person_dir: Path) -> list[Path]:
    return sorted(p for p in person_dir.iterdir() if p.suffix.lower() in PHOTO_SUFFIXES)


def read_siblings(path: Path) -> list[tuple[str, str]]:
    if not path.exists():
        return []
    with path.open(newline="", encoding="utf-8") as file:
        return [(row["person"].strip(), row["sibling"].strip()) for row in csv.DictReader(file)]


def enroll(
    checker: PhotoChecker, directory: Path, person: str, photos: list[Path]
) -> tuple[list[Path], list[ReferenceNote]]:
    """Add reference photos for `person`, refusing the whole lot if any one cannot serve (each such photo
    named). Returns the files added and the notes on photos enrolled with other faces ignored."""
    if not person or "/" in person or person.startswith("."):
        raise EnrolmentError(f"not a usable person name: {person!r}")
    notes = judge_references(checker, photos)[1]
    if any(note.refused for note in notes):
        raise PhotoRefused([note for note in notes if note.refused])
    target = directory / person
    target.mkdir(parents=True, exist_ok=True)
    added = []
    for photo in photos:
        destination = _free_name(target, photo.name)
        shutil.copyfile(photo, destination)
        added.append(destination)
    return added, notes


def _free_name(folder: Path, name: str) -> Path:
    candidate, n = folder / name, 1
    while candidate.exists():
        candidate = folder / f"{Path(name).stem}-{n}{Path(name).suffix}"
        n += 1
    return candidate
