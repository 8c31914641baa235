"""A face's box and landmarks in upright image coordinates, as every detector reports them, and how
boxes of one face found twice are merged."""

import math
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Box:
    """A pixel rectangle in upright image coordinates, in face_recognition's order."""

    top: int
    right: int
    bottom: int
    left: int

    @property
    def width(self) -> int:
        return self.right - self.left

    @property
    def height(self) -> int:
        return self.bottom - self.top

    @property
    def area(self) -> int:
        return max(0, self.width) * max(0, self.height)

    @property
    def centre(self) -> tuple[float, float]:
        return (self.left + self.right) / 2, (self.top + self.bottom) / 2

    @classmethod
    def around(cls, centre: tuple[float, float], width: float, height: float) -> "Box":
        """The box of `width` × `height` centred on `centre`, rounded to whole pixels."""
        x, y = centre
        return cls(round(y - height / 2), round(x + width / 2), round(y + height / 2), round(x - width / 2))

    def contains(self, x: float, y: float) -> bool:
        return self.left <= x <= self.right and self.top <= y <= self.bottom

    def clipped(self, width: int, height: int) -> "Box":
        return Box(max(0, self.top), min(width, self.right), min(height, self.bottom), max(0, self.left))

    def intersection(self, other: "Box") -> int:
        inner = Box(
            max(self.top, other.top),
            min(self.right, other.right),
            min(self.bottom, other.bottom),
            max(self.left, other.left),
        )
        return inner.area if inner.width > 0 and inner.height > 0 else 0

    def as_dict(self) -> dict[str, int]:
        return {"top": self.top, "right": self.right, "bottom": self.bottom, "left": self.left}


@dataclass(frozen=True)
class Face:
    """One detected face. `box` is clipped to the image; `inside_fraction` says how much of the
    face the detector saw inside the frame. Landmarks: eyes, nose, mouth corners as (x, y)."""

    box: Box
    score: float
    landmarks: tuple[tuple[float, float], ...]
    inside_fraction: float

    @property
    def eye_mouth_distance(self) -> float:
        """Distance from the eyes' midpoint to the mouth's: a face size that ignores roll."""
        (lx, ly), (rx, ry), _, (mlx, mly), (mrx, mry) = self.landmarks
        return math.hypot((mlx + mrx - lx - rx) / 2, (mly + mry - ly - ry) / 2)


MERGE_IOU = 0.4
ALIKE_AREA = 0.25
"""Two boxes where one holds the other's centre are one face only if the smaller has this share of the
larger's area: a small face in front of a larger one stays its own."""


def merge(faces: list[Face], same: Callable[[Box, Box], bool] | None = None) -> list[Face]:
    """Keep the best-scoring face where boxes of one face overlap; order left to right for stable output.

    Only clear overlaps merge: a small face beside or in front of a larger one stays its own."""
    kept: list[Face] = []
    for face in sorted(faces, key=lambda f: f.score, reverse=True):
        if not any((same or same_face)(face.box, other.box) for other in kept):
            kept.append(face)
    return sorted(kept, key=lambda f: (f.box.left, f.box.top))


def same_face(a: Box, b: Box) -> bool:
    """Boxes that overlap well, or of about one size that each hold the other's centre: a second look
    often boxes a face found already a little larger or shifted, and one face must not count twice (a
    reference photo showing "two faces" cannot be enrolled). A small face in front of a larger one stays
    its own, even over its centre: merged, it would go unredacted."""
    alike = min(a.area, b.area) >= ALIKE_AREA * max(a.area, b.area)
    return iou(a, b) >= MERGE_IOU or (alike and a.contains(*b.centre) and b.contains(*a.centre))


def shifted_twin(a: Box, b: Box) -> bool:
    """Boxes of about one size where one holds the other's centre: YuNet often proposes a face a second
    time, shifted by a third of its width, at a lower score (on the real photos' crowds, 8 of 12 such
    pairs lay on one face)."""
    alike = min(a.area, b.area) >= ALIKE_AREA * max(a.area, b.area)
    return same_face(a, b) or (alike and (a.contains(*b.centre) or b.contains(*a.centre)))


def iou(a: Box, b: Box) -> float:
    inter = a.intersection(b)
    union = a.area + b.area - inter
    return inter / union if union else 0.0
