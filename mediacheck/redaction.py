"""Hide faces for good: the whole head region, with margin, destroyed rather than softened.

A light Gaussian blur can be undone or still matched; a pixelation to a handful of blocks
followed by a blur (or a flat fill) keeps no facial detail. The original array is never
changed: redaction works on a copy.
"""

from collections.abc import Iterable
from typing import Literal

import cv2
import numpy as np

from mediacheck.faces import Box

HEAD_MARGIN_SIDES = 0.35
"""Widening of the face box on each side, as a share of its width: ears and hair."""
HEAD_MARGIN_TOP = 0.5
"""Extension above the face box, as a share of its height: forehead and hair."""
HEAD_MARGIN_BOTTOM = 0.25
"""Extension below the face box, as a share of its height: chin and neck."""
PIXEL_BLOCKS = 6
"""Blocks across the head region after pixelation: too few to carry a face."""
SOLID_COLOUR = (96, 96, 96)


def head_region(face: Box, width: int, height: int) -> Box:
    """The face box widened to the whole head, clipped to the image."""
    side = HEAD_MARGIN_SIDES * face.width
    return Box(
        round(face.top - HEAD_MARGIN_TOP * face.height),
        round(face.right + side),
        round(face.bottom + HEAD_MARGIN_BOTTOM * face.height),
        round(face.left - side),
    ).clipped(width, height)


def redact(pixels: np.ndarray, faces: Iterable[Box], style: Literal["pixelate", "solid"]) -> np.ndarray:
    """Return a copy of `pixels` with each face's head region made unrecognisable."""
    out = pixels.copy()
    height, width = out.shape[:2]
    for face in faces:
        region = head_region(face, width, height)
        if region.width <= 0 or region.height <= 0:
            continue
        view = out[region.top : region.bottom, region.left : region.right]
        view[:] = _pixelate(view) if style == "pixelate" else SOLID_COLOUR
    return out


def _pixelate(view: np.ndarray) -> np.ndarray:
    """Average down to a few blocks, soften the block edges, scale back up.

    The blur runs on the tiny block image, so its cost does not grow with the face's size.
    """
    height, width = view.shape[:2]
    block = max(1, max(height, width) // PIXEL_BLOCKS)
    blocks = (max(1, width // block), max(1, height // block))
    small = cv2.resize(view, blocks, interpolation=cv2.INTER_AREA)
    steps = cv2.resize(small, (blocks[0] * 8, blocks[1] * 8), interpolation=cv2.INTER_NEAREST)
    soft = cv2.GaussianBlur(steps, (9, 9), 0)
    return cv2.resize(soft, (width, height), interpolation=cv2.INTER_LINEAR)
