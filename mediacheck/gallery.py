"""Enrolment from a folder: one sub-folder per person holding their reference photos.

This is the offline gallery of `mediacheck check --gallery DIR`. Templates are computed in
memory at each run and never written to disk (R11: templates are special-category data).
An optional `siblings.csv` (header `person,sibling`) marks people who need a stricter margin.
"""

import csv
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np

from mediacheck.check import PhotoChecker
from mediacheck.imaging import ImageError, open_photo
from mediacheck.matching import Gallery
from mediacheck.visibility import judge_visibility

SIBLINGS_FILE = "siblings.csv"
PHOTO_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".heic", ".heif"}


class EnrolmentError(Exception):
    """A reference photo that cannot serve: the message says why."""


def reference_template(checker: PhotoChecker, path: Path) -> np.ndarray:
    """The template of the one clearly visible face in a reference photo."""
    try:
        photo = open_photo(path, checker.settings.max_pixels)
    except ImageError as error:
        raise EnrolmentError(f"{path.name}: {error}") from None
    faces = checker.detector.detect(photo.pixels)
    visible = [f for f in faces if judge_visibility(f, photo.pixels, checker.settings).clearly_visible]
    if len(visible) != 1:
        found = "no clearly visible face" if not visible else f"{len(visible)} faces"
        raise EnrolmentError(f"{path.name}: {found}; a reference photo must show exactly one face")
    return checker.encoder.encode(photo.pixels, visible[0])


def load_gallery(checker: PhotoChecker, directory: Path, on_photo: Callable[[Path], None] | None = None) -> Gallery:
    """Encode every reference photo under `directory`. A photo that cannot serve is an error:
    a silently missing template would make its person "unknown" without anyone knowing."""
    templates: dict[str, list[np.ndarray]] = {}
    for person_dir in sorted(p for p in directory.iterdir() if p.is_dir()):
        for photo in reference_photos(person_dir):
            templates.setdefault(person_dir.name, []).append(reference_template(checker, photo))
            if on_photo:
                on_photo(photo)
    return Gallery.build(templates, read_siblings(directory / SIBLINGS_FILE))


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
        reference_template(checker, photo)
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
