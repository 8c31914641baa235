"""R1: is a detected face clearly visible, so that it needs consent?

Three measures, each with a threshold in `CheckSettings`: size in the image as published,
sharpness, and how much of the face is inside the frame. A face failing any one of them does
not need consent; every doubt about a measure itself counts as visible (fail closed).
"""

from dataclasses import dataclass

import cv2
import numpy as np

from mediacheck.faces import Box, Face
from mediacheck.settings import CheckSettings

_SHARPNESS_HEIGHT = 64
_HEIGHT_PER_EYE_MOUTH = 2.9
"""The detector's box height over the face's eye–mouth distance on whole, sharp faces (sample faces:
2.7–3.25, median 2.92). A second look at a smeared or turned face can return a box a third too small,
and a face measured on it too small or too blurred goes out unredacted; its landmarks still span the face."""
_WIDTH_PER_HEIGHT = 0.8
_MAX_GAIN = 8.0
"""Most a face is brightened before its sharpness is measured: enough for a photo exposed at an eighth."""


@dataclass(frozen=True)
class Visibility:
    published_height: float
    """Face height in px with the image's long side at `published_long_side`."""
    sharpness: float
    inside_fraction: float
    clearly_visible: bool


def judge_visibility(face: Face, pixels: np.ndarray, settings: CheckSettings) -> Visibility:
    """Judged on the detector's box and on the extent its landmarks span; clearly visible when either
    says so (fail closed)."""
    judged = [_judge(pixels, box, height, face.inside_fraction, settings) for box, height in _extents(face, pixels)]
    return next((v for v in judged if v.clearly_visible), judged[0])


def _extents(face: Face, pixels: np.ndarray) -> list[tuple[Box, float]]:
    """The face's box and whole height as detected, then as its landmarks span it when that is taller."""
    box = face.box
    detected = box.height / face.inside_fraction if face.inside_fraction else 0.0
    spanned = _HEIGHT_PER_EYE_MOUTH * face.eye_mouth_distance
    if spanned <= detected:
        return [(box, detected)]
    grown = Box.around(box.centre, max(box.width, _WIDTH_PER_HEIGHT * spanned), spanned)
    return [(box, detected), (grown.clipped(pixels.shape[1], pixels.shape[0]), spanned)]


def _judge(pixels: np.ndarray, box: Box, height: float, inside: float, settings: CheckSettings) -> Visibility:
    published_height = height * settings.published_long_side / max(pixels.shape[:2])
    box_sharpness = sharpness(pixels, box)
    visible = (
        published_height >= settings.min_face_height * (1 - settings.size_tolerance)
        and box_sharpness >= settings.min_sharpness
        and inside >= settings.min_inside_fraction
    )
    return Visibility(published_height, box_sharpness, inside, visible)


def sharpness(pixels: np.ndarray, box: Box) -> float:
    """Variance of the Laplacian on the face scaled to a fixed height, so size does not count, and
    brightened until the brightest pixels of its middle are white, so exposure does not count: anyone can
    brighten a dark photo, and a sharp face in one (exposed at a fifth) measured 9 unbrightened, too blurred."""
    crop = pixels[box.top : box.bottom, box.left : box.right]
    if crop.shape[0] < 2 or crop.shape[1] < 2:
        return float("inf")
    gray = cv2.cvtColor(crop, cv2.COLOR_RGB2GRAY)
    target_width = max(1, round(crop.shape[1] * _SHARPNESS_HEIGHT / crop.shape[0]))
    gray = cv2.resize(gray, (target_width, _SHARPNESS_HEIGHT), interpolation=cv2.INTER_AREA)
    rim_y, rim_x = _SHARPNESS_HEIGHT // 5, target_width // 5  # the middle: not a bright window behind
    middle = gray[rim_y : _SHARPNESS_HEIGHT - rim_y, rim_x : target_width - rim_x]
    gain = min(_MAX_GAIN, 255 / max(float(np.percentile(middle, 99)), 1.0))
    return float(cv2.Laplacian(gray, cv2.CV_64F).var()) * gain**2
