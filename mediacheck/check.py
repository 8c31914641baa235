"""The photo check as one chain: open → detect → judge visibility → encode → match → decide.

`PhotoChecker` loads the models once and checks one photo at a time; `render` produces the
exact bytes that would go out on a channel. Nothing here touches a database or the network.
A photo too shaken to trust the detector on is not decided: it goes nowhere (`mediacheck.shake`).
"""

import logging
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from mediacheck.encoding import SFaceEncoder
from mediacheck.faces import Face, FaceDetector
from mediacheck.imaging import ImageError, Photo, encode_clean, open_photo
from mediacheck.matching import NOT_CHECKED, Gallery, Match
from mediacheck.policy import (
    DEFAULT_POLICY,
    ChannelDecision,
    Consents,
    FaceFacts,
    Policy,
    decide,
    decide_unreadable,
)
from mediacheck.redaction import redact
from mediacheck.settings import CheckSettings
from mediacheck.shake import shake_error
from mediacheck.visibility import Visibility, judge_visibility

log = logging.getLogger(__name__)
FACE_CHECK_FAILED = "the face check failed on this file, so it was not checked: try it again, or another copy of it"


@dataclass(frozen=True)
class CheckedFace:
    face: Face
    visibility: Visibility
    match: Match

    @property
    def facts(self) -> FaceFacts:
        return FaceFacts(self.visibility.clearly_visible, self.match, self.face.box.area)


@dataclass(frozen=True)
class CheckedPhoto:
    """The outcome for one file. `error` set means nothing of it may go out."""

    path: Path
    width: int = 0
    height: int = 0
    faces: tuple[CheckedFace, ...] = ()
    decisions: dict[str, ChannelDecision] = field(default_factory=dict)
    error: str | None = None


@dataclass(frozen=True)
class CheckInputs:
    """What a check needs from the school's records: who is enrolled, who consented, the policy."""

    gallery: Gallery | None
    """None when face matching is switched off (R11a)."""
    consents: Consents
    policy: Policy
    settings: CheckSettings


class PhotoChecker:
    def __init__(
        self,
        gallery: Gallery | None = None,
        consents: Consents = frozenset(),
        policy: Policy = DEFAULT_POLICY,
        settings: CheckSettings | None = None,
    ) -> None:
        """`gallery=None` switches face matching off (R11a): every visible face is unknown."""
        self.settings = settings or CheckSettings()
        self.gallery = gallery
        self.consents = consents
        self.policy = policy
        self.detector = FaceDetector(self.settings)
        self.encoder = SFaceEncoder()

    @classmethod
    def from_inputs(cls, inputs: CheckInputs) -> "PhotoChecker":
        return cls(inputs.gallery, inputs.consents, inputs.policy, inputs.settings)

    def check(self, path: Path) -> tuple[CheckedPhoto, Photo | None]:
        """Check one file. Any failure is reported in the result, never raised (fail closed)."""
        try:
            photo = open_photo(path, self.settings.max_pixels)
        except ImageError as error:
            return self._refused(CheckedPhoto(path), str(error))
        try:
            faces = self.find_faces(photo.pixels)
            shaken = shake_error(photo.pixels, self.settings)
        except Exception:  # any model failure must block, not crash the batch
            log.exception("the face check failed on %s", path)
            return self._refused(CheckedPhoto(path, photo.width, photo.height), FACE_CHECK_FAILED)
        if shaken:
            return self._refused(CheckedPhoto(path, photo.width, photo.height, faces), shaken)
        decisions = decide([f.facts for f in faces], self.consents, self.policy)
        return CheckedPhoto(path, photo.width, photo.height, faces, decisions), photo

    def _refused(self, checked: CheckedPhoto, error: str) -> tuple[CheckedPhoto, None]:
        """`checked` with its error, blocked on every channel, and no pixels to render."""
        return replace(checked, error=error, decisions=decide_unreadable(self.policy)), None

    def find_faces(self, pixels: np.ndarray) -> tuple[CheckedFace, ...]:
        faces = self.detector.detect(pixels)
        visibility = [judge_visibility(face, pixels, self.settings) for face in faces]
        matches = self.match_visible(pixels, faces, visibility)
        return tuple(CheckedFace(f, v, m) for f, v, m in zip(faces, visibility, matches, strict=True))

    def match_visible(self, pixels: np.ndarray, faces: list[Face], visibility: list[Visibility]) -> list[Match]:
        """Encode only the clearly visible faces, and only when someone is enrolled (R11a)."""
        matches = [NOT_CHECKED] * len(faces)
        wanted = [i for i, v in enumerate(visibility) if v.clearly_visible]
        if not wanted or self.gallery is None or len(self.gallery) == 0:
            return matches
        encodings = np.stack([self.encoder.encode(pixels, faces[i]) for i in wanted])
        for i, match in zip(wanted, self.gallery.match(encodings, self.settings), strict=True):
            matches[i] = match
        return matches

    def render(self, checked: CheckedPhoto, photo: Photo, channel: str) -> tuple[bytes, str] | None:
        """The bytes that would go out on `channel` and their suffix, or None if it may not."""
        decision = checked.decisions.get(channel)
        if checked.error or decision is None or not decision.may_go_out:
            return None
        boxes = [checked.faces[i].face.box for i in decision.redact]
        style = self.policy.channel(channel).redaction
        pixels = redact(photo.pixels, boxes, style) if boxes else photo.pixels
        return encode_clean(pixels, photo.format)
