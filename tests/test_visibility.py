"""R1 judged on a real face: a detector box that runs short, or a dark photo, does not make a face "not
clearly visible"."""

import cv2
import numpy as np

from mediacheck.check import PhotoChecker
from mediacheck.faces import Box, Face
from mediacheck.imaging import open_photo
from mediacheck.visibility import judge_visibility
from tests.samples import PEOPLE


def test_r1_a_face_boxed_too_small_is_judged_on_the_extent_its_landmarks_span(checker: PhotoChecker) -> None:
    """A second look at a smeared face can box it a third too small; judged on that box alone, a
    face 40 px high as published would measure under the size threshold and go out unredacted."""
    settings = checker.settings
    pixels = open_photo(PEOPLE / "obama" / "1.jpg", settings.max_pixels).pixels
    pixels = cv2.resize(pixels, None, fx=0.25, fy=0.25, interpolation=cv2.INTER_AREA)
    face = max(checker.detector.detect(pixels), key=lambda f: f.box.area)
    for published_height, visible in ((40, True), (20, False)):
        canvas, placed = _on_canvas(pixels, face, published_height, settings.published_long_side)
        assert judge_visibility(placed, canvas, settings).clearly_visible is visible, published_height
        short = _shrunk(placed, 0.6)
        assert judge_visibility(short, canvas, settings).clearly_visible is visible, published_height


def test_r1_a_face_clearly_visible_in_a_lit_photo_stays_so_in_the_same_photo_exposed_at_a_fifth(
    checker: PhotoChecker,
) -> None:
    """Anyone can brighten a dark photo. Unbrightened, this slightly soft face's sharpness fell from 98 to 6
    at a fifth of the light, under the threshold of 10: judged too blurred, it went out unredacted."""
    settings = checker.settings
    pixels = open_photo(PEOPLE / "obama" / "1.jpg", settings.max_pixels).pixels
    pixels = cv2.resize(pixels, None, fx=0.25, fy=0.25, interpolation=cv2.INTER_AREA)
    face = max(checker.detector.detect(pixels), key=lambda f: f.box.area)
    canvas, placed = _on_canvas(cv2.GaussianBlur(pixels, (0, 0), 1.5), face, 48, settings.published_long_side)
    for light in (1.0, 0.2):
        exposed = (canvas * light + 0.5).astype(np.uint8)
        assert judge_visibility(placed, exposed, settings).clearly_visible, light


def _on_canvas(pixels: np.ndarray, face: Face, published_height: int, long_side: int) -> tuple[np.ndarray, Face]:
    """The photo in the corner of a grey canvas large enough that its face measures `published_height`."""
    side = round(face.box.height * long_side / published_height)
    canvas = np.full((side, side, 3), 128, np.uint8)
    canvas[: pixels.shape[0], : pixels.shape[1]] = pixels[:side, :side]
    return canvas, face


def _shrunk(face: Face, share: float) -> Face:
    box = face.box
    dy, dx = round(box.height * (1 - share) / 2), round(box.width * (1 - share) / 2)
    inner = Box(box.top + dy, box.right - dx, box.bottom - dy, box.left + dx)
    return Face(inner, face.score, face.landmarks, face.inside_fraction)
