"""Enrolment from a folder: one sub-folder per person holding their reference photos.

This is the offline gallery of `mediacheck check --gallery DIR`. Templates are computed in
memory at each run and never written to disk (R11: templates are special-category data).
An optional `siblings.csv` (header `person,sibling`) marks people who need a stricter margin.
"""

import csv
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from mediacheck.check import PhotoChecker
from mediacheck.faces import Box, Face
from mediacheck.imaging import ImageError, open_photo
from mediacheck.matching import Gallery
from mediacheck.visibility import judge_visibility

SIBLINGS_FILE = "siblings.csv"
PHOTO_SUFFIXES = {".jpg", ".jpeg", ".jpe", ".jfif", ".png", ".webp", ".heic", ".heif"}
DISTANT_FACE_HEIGHTS = (36, 52)
"""Heights, in px, at which a reference face is encoded once more, shrunk as if photographed from afar.
A face 32–40 px high in an event photo lies far from its person's template from a close-up (median
distance 0.53, against 0.23 for large faces), so a consenting child seen small came out "unknown" and was
redacted (measured with dlib; SFace's own numbers are in `CheckSettings.distant_template_offset`). Matching
adds `distant_template_offset` to the distance to these templates."""


class EnrolmentError(Exception):
    """A reference photo that cannot serve: the message says why."""


@dataclass(frozen=True)
class ReferenceTemplates:
    """The templates of the one face of a reference photo."""

    close_up: np.ndarray
    """As photographed."""
    distant: tuple[np.ndarray, ...]
    """Shrunk to each of `DISTANT_FACE_HEIGHTS` that is smaller than the face."""


def reference_templates(checker: PhotoChecker, source: Path | bytes) -> ReferenceTemplates:
    """The templates of the one clearly visible face in a reference photo: a file, or one as stored."""
    name = source.name if isinstance(source, Path) else "stored reference photo"
    try:
        photo = open_photo(source, checker.settings.max_pixels)
    except ImageError as error:
        raise EnrolmentError(f"{name}: {error}") from None
    faces = checker.detector.detect(photo.pixels)
    visible = [f for f in faces if judge_visibility(f, photo.pixels, checker.settings).clearly_visible]
    if len(visible) != 1:
        found = "no clearly visible face" if not visible else f"{len(visible)} faces"
        raise EnrolmentError(f"{name}: {found}; a reference photo must show exactly one face")
    face = visible[0]
    far = [shrunk(photo.pixels, face, h) for h in DISTANT_FACE_HEIGHTS if h < face.box.height]
    return ReferenceTemplates(
        checker.encoder.encode(photo.pixels, face), tuple(checker.encoder.encode(*pair) for pair in far)
    )


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


def load_gallery(checker: PhotoChecker, directory: Path, on_photo: Callable[[Path], None] | None = None) -> Gallery:
    """Encode every reference photo under `directory`. A photo that cannot serve is an error:
    a silently missing template would make its person "unknown" without anyone knowing."""
    templates: dict[str, list[np.ndarray]] = {}
    distant: dict[str, list[np.ndarray]] = {}
    for person_dir in sorted(p for p in directory.iterdir() if p.is_dir()):
        for photo in reference_photos(person_dir):
            made = reference_templates(checker, photo)
            templates.setdefault(person_dir.name, []).append(made.close_up)
            distant.setdefault(person_dir.name, []).extend(made.distant)
            if on_photo:
                on_photo(photo)
    return Gallery.build(templates, read_siblings(directory / SIBLINGS_FILE), distant)


def reference_photos(person_dir: Path) -> list[Path]:
    return sorted(p for p in person_dir.iterdir() if p.suffix.lower() in PHOTO_SUFFIXES)


def read_siblings(path: Path) -> list[tuple[str, str]]:
    if not path.exists():
        return []
    with path.open(newline="", encoding="utf-8") as file:
        return [(row["person"].strip(), row["sibling"].strip()) for row in csv.DictReader(file)]


def enroll(checker: PhotoChecker, directory: Path, person: str, photos: list[Path]) -> list[Path]:
    """Add reference photos for `person`, refusing the whole lot if any one cannot serve."""
    if not person or "/" in person or person.startswith("."):
        raise EnrolmentError(f"not a usable person name: {person!r}")
    for photo in photos:
        reference_templates(checker, photo)
    target = directory / person
    target.mkdir(parents=True, exist_ok=True)
    added = []
    for photo in photos:
        destination = _free_name(target, photo.name)
        shutil.copyfile(photo, destination)
        added.append(destination)
    return added


def _free_name(folder: Path, name: str) -> Path:
    candidate, n = folder / name, 1
    while candidate.exists():
        candidate = folder / f"{Path(name).stem}-{n}{Path(name).suffix}"
        n += 1
    return candidate
