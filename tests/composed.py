"""Reference photos composed at test time from the sample people: two people side by side, the second's
face at a chosen share of the first's height (the enrolment rules of R11 and R15)."""

from pathlib import Path

import cv2
import numpy as np

from mediacheck.check import PhotoChecker
from mediacheck.imaging import open_photo

FACE_HEIGHT = 240
"""Height of the first person's face in the composition, in px."""


def side_by_side(checker: PhotoChecker, first: Path, second: Path, face_share: float, target: Path) -> Path:
    """`first` scaled so its face is `FACE_HEIGHT` px high beside `second` scaled so its face is `face_share`
    of that, bottoms aligned on grey; written to `target` as JPEG. Face heights are the detector's."""
    left = _scaled(checker, first, FACE_HEIGHT)
    right = _scaled(checker, second, face_share * FACE_HEIGHT)
    height = max(left.shape[0], right.shape[0])
    canvas = np.full((height, left.shape[1] + right.shape[1], 3), 128, np.uint8)
    canvas[height - left.shape[0] :, : left.shape[1]] = left
    canvas[height - right.shape[0] :, left.shape[1] :] = right
    cv2.imwrite(str(target), cv2.cvtColor(canvas, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 92])
    return target


def _scaled(checker: PhotoChecker, path: Path, face_height: float) -> np.ndarray:
    """The photo scaled so its largest face is `face_height` px high."""
    pixels = open_photo(path, checker.settings.max_pixels).pixels
    scale = face_height / max(face.box.height for face in checker.detector.detect(pixels))
    return cv2.resize(pixels, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
