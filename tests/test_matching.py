"""R15: a match needs a close distance AND a clear margin; siblings a stricter one. A face seen small
still finds its person, and a stranger seen small finds nobody."""

import cv2
import numpy as np
import pytest

from mediacheck.check import PhotoChecker
from mediacheck.faces import Box
from mediacheck.imaging import open_photo
from mediacheck.matching import Gallery, MatchStatus
from mediacheck.settings import CheckSettings
from tests.samples import EVENTS

SETTINGS = CheckSettings()


def at_distance(base: np.ndarray, distance: float, direction: int) -> np.ndarray:
    step = np.zeros_like(base)
    step[direction] = distance
    return base + step


@pytest.fixture
def base() -> np.ndarray:
    return np.random.default_rng(7).normal(0, 0.1, 128).astype(np.float32)


def test_r15_close_and_clear_margin_is_matched(base: np.ndarray) -> None:
    gallery = Gallery.build({"anna": [at_distance(base, 0.3, 0)], "bram": [at_distance(base, 0.8, 1)]})
    (match,) = gallery.match(base[None, :], SETTINGS)
    assert (match.status, match.person) == (MatchStatus.MATCHED, "anna")
    assert match.distance == pytest.approx(0.3, abs=1e-4)


def test_r15_two_students_close_together_is_unsure(base: np.ndarray) -> None:
    gallery = Gallery.build({"anna": [at_distance(base, 0.40, 0)], "bram": [at_distance(base, 0.43, 1)]})
    (match,) = gallery.match(base[None, :], SETTINGS)
    assert match.status is MatchStatus.UNSURE
    assert match.person == "anna", "the reviewer is shown the nearest candidate"


def test_r15_grey_zone_distance_is_unsure_and_far_is_unknown(base: np.ndarray) -> None:
    gallery = Gallery.build({"anna": [at_distance(base, 0.55, 0)]})
    assert gallery.match(base[None, :], SETTINGS)[0].status is MatchStatus.UNSURE
    gallery = Gallery.build({"anna": [at_distance(base, 0.7, 0)]})
    unknown = gallery.match(base[None, :], SETTINGS)[0]
    assert (unknown.status, unknown.person) == (MatchStatus.UNKNOWN, None)


def test_r15_siblings_need_a_stricter_margin(base: np.ndarray) -> None:
    templates = {"anna": [at_distance(base, 0.30, 0)], "bram": [at_distance(base, 0.39, 1)]}
    assert Gallery.build(templates).match(base[None, :], SETTINGS)[0].status is MatchStatus.MATCHED
    siblings = Gallery.build(templates, siblings=[("anna", "bram")])
    assert siblings.match(base[None, :], SETTINGS)[0].status is MatchStatus.UNSURE


def test_nearest_template_of_each_person_counts(base: np.ndarray) -> None:
    """Several reference templates per person: the closest one decides."""
    gallery = Gallery.build(
        {"anna": [at_distance(base, 0.9, 2), at_distance(base, 0.2, 0)], "bram": [at_distance(base, 0.7, 1)]}
    )
    (match,) = gallery.match(base[None, :], SETTINGS)
    assert (match.status, match.person) == (MatchStatus.MATCHED, "anna")


def test_vectorised_distances_equal_brute_force_on_10000_templates() -> None:
    rng = np.random.default_rng(1)
    people = {f"p{i}": list(rng.normal(0, 0.1, (rng.integers(1, 4), 128)).astype(np.float32)) for i in range(4000)}
    gallery = Gallery.build(people)
    faces = rng.normal(0, 0.1, (5, 128)).astype(np.float32)
    expected = np.array([[min(np.linalg.norm(f - t) for t in people[p]) for p in gallery.people] for f in faces])
    assert np.allclose(gallery.person_distances(faces), expected, atol=1e-4)


def test_r11_empty_gallery_means_every_face_is_unknown(base: np.ndarray) -> None:
    assert Gallery.build({}).match(base[None, :], SETTINGS)[0].status is MatchStatus.UNKNOWN


@pytest.mark.parametrize(
    ("photo", "person", "expected"),
    [
        ("kit_with_rose.jpg", "rose_leslie", MatchStatus.MATCHED),
        ("obama_and_biden.jpg", None, MatchStatus.UNKNOWN),
    ],
)
def test_r15_a_face_seen_from_afar_is_matched_to_its_person_and_a_stranger_stays_unknown(
    checker: PhotoChecker, ground_truth: dict[str, list[dict]], photo: str, person: str | None, expected: MatchStatus
) -> None:
    """A consenting child 36 px high in a photo is matched, not redacted as a stranger: the gallery also
    holds each reference face shrunk as if seen from afar (from close-ups alone, 0.51 away: "unsure").
    The unenrolled child of the same photo, equally small, is still nobody (R11)."""
    pixels = open_photo(EVENTS / photo, checker.settings.max_pixels).pixels
    truth = Box(**next(face for face in ground_truth[photo] if face["person"] == person)["box"])
    scale = 36 / truth.height
    small = cv2.resize(pixels, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    x, y = truth.centre
    (face,) = [f for f in checker.find_faces(small) if f.face.box.contains(x * scale, y * scale)]
    assert face.visibility.clearly_visible
    assert (face.match.status, face.match.person if expected is MatchStatus.MATCHED else None) == (expected, person)


def test_r15_a_face_seen_from_afar_counts_the_offset_farther(base: np.ndarray) -> None:
    """Templates of reference faces shrunk as if seen from afar also sit closer to strangers, so their
    distance counts `distant_template_offset` more: 0.48 away is a match as photographed, not from afar."""
    near = at_distance(base, 0.48, 0)
    assert Gallery.build({"anna": [near]}).match(base[None, :], SETTINGS)[0].status is MatchStatus.MATCHED
    far_only = Gallery.build({"anna": [at_distance(base, 0.9, 1)]}, distant={"anna": [near]})
    (match,) = far_only.match(base[None, :], SETTINGS)
    assert (match.status, match.person) == (MatchStatus.UNSURE, "anna")
    assert match.distance == pytest.approx(0.48 + SETTINGS.distant_template_offset, abs=1e-4)
