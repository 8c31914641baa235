"""R1: is a detected face clearly visible, so that it needs consent?

Three measures, each with a threshold in `CheckSettings`: size in the image as published,
sharpness, and how much of the face is inside the frame. A face failing any one of them does
not need consent; every doubt about a measure itself counts as visible (fail closed).
"""

from dataclasses import dataclass

import cv2
import numpy as np

from mediacheck.faces import Face
from mediacheck.settings import CheckSettings

_SHARPNESS_HEIGHT = 64


@dataclass(frozen=True)
class Visibility:
    published_height: float
    """Face height in px with the image's long side at `published_long_side`."""
    sharpness: float
    inside_fraction: float
    clearly_visible: bool


def judge_visibility(face: Face, pixels: np.ndarray, settings: CheckSettings) -> Visibility:
    height, width = pixels.shape[:2]
    scale = settings.published_long_side / max(height, width)
    published_height = face.box.height / face.inside_fraction * scale if face.inside_fraction else 0.0
    sharpness = _sharpness(pixels, face)
    visible = (
        published_height >= settings.min_face_height * (1 - settings.size_tolerance)
        and sharpness >= settings.min_sharpness
        and face.inside_fraction >= settings.min_inside_fraction
    )
    return Visibility(published_height, sharpness, face.inside_fraction, visible)


def _sharpness(pixels: np.ndarray, face: Face) -> float:
    """Variance of the Laplacian on the face scaled to a fixed height, so size does not count."""
    box = face.box
    crop = pixels[box.top : box.bottom, box.left : box.right]
    if crop.shape[0] < 2 or crop.shape[1] < 2:
        return float("inf")
    gray = cv2.cvtColor(crop, cv2.COLOR_RGB2GRAY)
    target_width = max(1, round(crop.shape[1] * _SHARPNESS_HEIGHT / crop.shape[0]))
    gray = cv2.resize(gray, (target_width, _SHARPNESS_HEIGHT), interpolation=cv2.INTER_AREA)
    return float(cv2.Laplacian(gray, cv2.CV_64F).var())
