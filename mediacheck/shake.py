"""Camera shake: a photo smeared in one direction can hide faces from the check (R1, fail closed).

The detector misses faces smeared over half their height, yet R1's sharpness (the Laplacian's variance,
which looks in every direction at once) still calls them clearly visible: the edges across the smear
stay sharp. So a photo whose edges are all wide in some direction is not checked at all.

Measured per direction on the photo at its published size: how much steeper its steepest edges are
seen finely than seen coarsely. A sharp edge is several times steeper at the fine scale; an edge smeared
over the coarse scale is about as steep at both. The steepest 0.03% of pixels are edges, not shading,
in a photo with anything in it; in a dark, nearly empty one, noise can pass for sharp edges and let a
shaken photo through. The photo scores its worst direction.
"""

import cv2
import numpy as np

from mediacheck.settings import CheckSettings

_FINE_SIGMA = 1.0
_COARSE_SIGMA = 4.0
_STEEPEST_SHARE = 0.0003
_DIRECTIONS = 12


NOTHING_TO_CHECK = "nothing in it to check: the picture is blank or one flat colour, with no edges at all"


def shake_error(pixels: np.ndarray, settings: CheckSettings) -> str | None:
    """Why the photo cannot be trusted to the check (too shaken or blurred, or blank), or None when
    its edges are sharp enough."""
    fine, coarse = _steepness(pixels, settings.published_long_side)
    if fine.max() < settings.min_edge_steepness:
        return NOTHING_TO_CHECK
    if _sharpness(fine, coarse) >= settings.min_edge_sharpness:
        return None
    return (
        "shaken or blurred: its sharpest edges are smeared, so a face in it may escape the check; "
        "a sharper shot can be checked"
    )


def edge_sharpness(pixels: np.ndarray, long_side: int) -> float:
    """Fine over coarse steepness of the steepest edges, in the direction where it is lowest.

    Measured with the long side scaled to `long_side`, smaller photos enlarged: a smear of so many px
    as published hides a face however large the file, and R1 too judges faces at that size."""
    return _sharpness(*_steepness(pixels, long_side))


def _steepness(pixels: np.ndarray, long_side: int) -> tuple[np.ndarray, np.ndarray]:
    """The steepest edges per direction, seen finely and coarsely, at the published size."""
    gray = cv2.cvtColor(pixels, cv2.COLOR_RGB2GRAY).astype(np.float32)
    scale = long_side / max(gray.shape)
    size = (max(1, round(gray.shape[1] * scale)), max(1, round(gray.shape[0] * scale)))
    gray = cv2.resize(gray, size, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC)
    fine, coarse = (_steepest_per_direction(gray, sigma) for sigma in (_FINE_SIGMA, _COARSE_SIGMA))
    return fine, coarse


def _sharpness(fine: np.ndarray, coarse: np.ndarray) -> float:
    return float(np.min(fine / np.maximum(coarse, 1e-6)))


def _steepest_per_direction(gray: np.ndarray, sigma: float) -> np.ndarray:
    """Per direction, the steepness only `_STEEPEST_SHARE` of the pixels exceed. Sought among the 3% of
    pixels steepest in any direction (fast); a direction whose answer lies below all of those is
    sought among every pixel, so the answer is always exact."""
    smooth = cv2.GaussianBlur(gray, (0, 0), sigma)
    dx, dy = cv2.Sobel(smooth, cv2.CV_32F, 1, 0).ravel(), cv2.Sobel(smooth, cv2.CV_32F, 0, 1).ravel()
    rank = max(1, round(_STEEPEST_SHARE * dx.size))
    magnitude = np.hypot(dx, dy)
    floor = _kth_largest(magnitude, min(magnitude.size, 100 * rank))
    steep = magnitude >= floor
    steep_dx, steep_dy = dx[steep], dy[steep]
    steepest = []
    for angle in np.pi * np.arange(_DIRECTIONS) / _DIRECTIONS:
        cos, sin = np.cos(angle), np.sin(angle)
        value = _kth_largest(np.abs(steep_dx * cos + steep_dy * sin), rank)
        steepest.append(value if value >= floor else _kth_largest(np.abs(dx * cos + dy * sin), rank))
    return np.array(steepest)


def _kth_largest(values: np.ndarray, k: int) -> float:
    """The k-th largest of `values`, in linear time (no full sort)."""
    return float(np.partition(values, values.size - k)[values.size - k])
