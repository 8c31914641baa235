"""Follow faces between detector passes, so that a face is covered in every frame it is in.

The detector looks at sampled frames only. In between, each box moves with the optical flow
of the points inside it (Lucas-Kanade, kept only where the flow checks out forwards and
backwards). When a detection confirms a track, the flow's drift is spread back over the
frames since the last confirmation, keeping both the flow's box and the corrected one. A track
is held for a while on both sides: followed backwards from its first detection, and kept
moving with the flow after its last. So a face found at any sample is covered from a hold
before it to a hold after the last sample that found it, whatever the detector thought of
the frames in between: a face it misses now and then is not lost.

Boxes here are float arrays (left, top, right, bottom) in video pixels; the gray frames the
flow runs on are smaller, `gray_scale` gray pixels per video pixel.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field

import cv2
import numpy as np

from mediacheck.faces import Box

ASSOCIATION_IOU = 0.3
"""Least overlap between a track's predicted box and a detection for them to be one face."""
MAX_POINTS = 24
MIN_POINTS = 4
MAX_FLOW_ERROR = 1.0
"""Largest forward-backward flow error, in gray pixels, of a point that is trusted."""
MAX_SCALE_STEP = 0.1
"""Largest change of a box's size from one frame to the next, as a share."""
_LK = {
    "winSize": (15, 15),
    "maxLevel": 3,
    "criteria": (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, 20, 0.03),
}


@dataclass(frozen=True, eq=False)
class TrackPath:
    """Where one face is in every frame from `first_frame` to `last_frame`."""

    first_frame: int
    boxes: np.ndarray = field(repr=False)
    """(frames, 4) float: left, top, right, bottom in video pixels, one row per frame."""

    @property
    def last_frame(self) -> int:
        return self.first_frame + len(self.boxes) - 1

    def box_at(self, frame: int) -> Box | None:
        """The box in `frame`, rounded outwards; None outside the track."""
        if not self.first_frame <= frame <= self.last_frame:
            return None
        left, top, right, bottom = self.boxes[frame - self.first_frame]
        return Box(int(np.floor(top)), int(np.ceil(right)), int(np.ceil(bottom)), int(np.floor(left)))


@dataclass
class _Follow:
    """A track being built: one box per frame since `first`, last confirmed at `anchor`."""

    id: int
    first: int
    boxes: list[np.ndarray]
    anchor: int

    def confirm(self, frame: int, found: np.ndarray) -> None:
        """Put the box on the detection and spread the flow's drift over the frames since the anchor."""
        drift = found - self.boxes[-1]
        span = frame - self.anchor
        for step in range(1, span):
            index = self.anchor + step - self.first
            flowed = self.boxes[index]
            self.boxes[index] = _union(flowed, flowed + drift * step / span)
        self.boxes[-1] = found
        self.anchor = frame

    def path(self) -> TrackPath:
        return TrackPath(self.first, np.array(self.boxes))


class FaceTracker:
    """Feed every frame in order: `advance` for frames the detector skipped, `sample` for the others."""

    def __init__(self, gray_scale: float, interval: int, hold: int) -> None:
        """`interval`: frames between detector passes (cuts add passes, never remove them);
        `hold`: frames a track is extended before its first and after its last detection,
        at least one interval and a frame, so that a face never falls between two samples."""
        self.scale = gray_scale
        self.hold = max(hold, interval + 1)
        self.frame = -1
        self.scene_start = 0
        self.grays: dict[int, np.ndarray] = {}
        self.following: list[_Follow] = []
        self.finished: dict[int, TrackPath] = {}

    def advance(self, gray: np.ndarray) -> None:
        """A frame without detection: every track moves with the flow."""
        previous = self.grays.get(self.frame)
        self.frame += 1
        self.grays[self.frame] = gray
        if not self.following:
            return
        boxes = np.array([f.boxes[-1] for f in self.following])
        moved = boxes if previous is None else self._move(previous, gray, boxes)
        for follow, box in zip(self.following, moved, strict=True):
            follow.boxes.append(box)

    def sample(self, gray: np.ndarray, found: Sequence[Box], cut: bool = False) -> list[int]:
        """A frame the detector looked at; returns the track id of each found box.

        `cut`: the frame starts a new scene, so no track carries over into it."""
        if cut:
            self._finish(list(self.following))
            self.scene_start = self.frame + 1
        self.advance(gray)
        detections = np.array([[b.left, b.top, b.right, b.bottom] for b in found], dtype=np.float64).reshape(-1, 4)
        ids = [-1] * len(detections)
        for t, d in _associate(np.array([f.boxes[-1] for f in self.following]), detections):
            self.following[t].confirm(self.frame, detections[d])
            ids[d] = self.following[t].id
        lost = [f for f in self.following if self.frame - f.anchor > self.hold]
        self._finish(lost)
        for d in (d for d, track in enumerate(ids) if track < 0):
            ids[d] = self._start(detections[d])
        self.grays = {k: g for k, g in self.grays.items() if k >= self.frame - self.hold}
        return ids

    def finish(self) -> list[TrackPath]:
        """Every track, indexed by id; tracks still followed end at the last frame fed."""
        self._finish(list(self.following))
        return [self.finished[i] for i in range(len(self.finished))]

    def _start(self, box: np.ndarray) -> int:
        """A new track, followed backwards for the hold (not past a cut)."""
        boxes = [box]
        first = max(self.frame - self.hold, self.scene_start, min(self.grays))
        for frame in range(self.frame, first, -1):
            boxes.append(self._move(self.grays[frame], self.grays[frame - 1], boxes[-1][None])[0])
        track = _Follow(len(self.finished) + len(self.following), first, boxes[::-1], self.frame)
        self.following.append(track)
        return track.id

    def _finish(self, tracks: list[_Follow]) -> None:
        for track in tracks:
            self.finished[track.id] = track.path()
            self.following.remove(track)

    def _move(self, before: np.ndarray, after: np.ndarray, boxes: np.ndarray) -> np.ndarray:
        return move_boxes(before, after, boxes * self.scale) / self.scale


def move_boxes(before: np.ndarray, after: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """Move each box (gray pixels) with the median flow of its points; a box whose points cannot
    be followed stays where it was (the next detection, or the hold, decides)."""
    points = [_points(before, box) for box in boxes]
    owner = np.concatenate([np.full(len(p), i) for i, p in enumerate(points)])
    start = np.concatenate(points).astype(np.float32).reshape(-1, 1, 2)
    if not len(start):
        return boxes
    ahead, ok_ahead, _ = cv2.calcOpticalFlowPyrLK(before, after, start, None, **_LK)
    back, ok_back, _ = cv2.calcOpticalFlowPyrLK(after, before, ahead, None, **_LK)
    error = np.linalg.norm((back - start).reshape(-1, 2), axis=1)
    good = (ok_ahead.ravel() == 1) & (ok_back.ravel() == 1) & (error < MAX_FLOW_ERROR)
    moved = boxes.astype(np.float64)
    for i in range(len(boxes)):
        mine = good & (owner == i)
        if mine.sum() >= MIN_POINTS:
            moved[i] = _follow_points(moved[i], start[mine].reshape(-1, 2), ahead[mine].reshape(-1, 2))
    return moved


def _points(gray: np.ndarray, box: np.ndarray) -> np.ndarray:
    """Corners worth following inside the box, or a grid over it where it has too few."""
    height, width = gray.shape
    left, top = max(0, int(box[0])), max(0, int(box[1]))
    right, bottom = min(width, int(np.ceil(box[2]))), min(height, int(np.ceil(box[3])))
    if right - left < 2 or bottom - top < 2:
        return np.empty((0, 2), np.float32)
    spacing = max(1, min(right - left, bottom - top) // 8)
    corners = cv2.goodFeaturesToTrack(gray[top:bottom, left:right], MAX_POINTS, 0.01, spacing)
    if corners is not None and len(corners) >= MIN_POINTS:
        return corners.reshape(-1, 2) + np.array([left, top], np.float32)
    xs, ys = np.meshgrid(np.linspace(left, right - 1, 5), np.linspace(top, bottom - 1, 5))
    return np.stack([xs.ravel(), ys.ravel()], axis=1).astype(np.float32)


def _follow_points(box: np.ndarray, before: np.ndarray, after: np.ndarray) -> np.ndarray:
    """Shift by the median motion and scale by the median change of the points' spread."""
    shift = np.median(after - before, axis=0)
    spread_before = np.linalg.norm(before[:, None] - before[None], axis=2)
    spread_after = np.linalg.norm(after[:, None] - after[None], axis=2)
    apart = spread_before > 1.0
    ratio = float(np.median(spread_after[apart] / spread_before[apart])) if apart.any() else 1.0
    scale = min(1 + MAX_SCALE_STEP, max(1 - MAX_SCALE_STEP, ratio))
    centre = (box[:2] + box[2:]) / 2 + shift
    half = (box[2:] - box[:2]) / 2 * scale
    return np.concatenate([centre - half, centre + half])


def _union(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.concatenate([np.minimum(a[:2], b[:2]), np.maximum(a[2:], b[2:])])


def _associate(tracked: np.ndarray, found: np.ndarray) -> list[tuple[int, int]]:
    """Greedy pairs (track, detection) by overlap, best first, each used once."""
    if not len(tracked) or not len(found):
        return []
    overlap = _iou(tracked, found)
    pairs = []
    while True:
        t, d = np.unravel_index(np.argmax(overlap), overlap.shape)
        if overlap[t, d] < ASSOCIATION_IOU:
            return pairs
        pairs.append((int(t), int(d)))
        overlap[t, :] = -1
        overlap[:, d] = -1


def _iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(len(a), len(b)) intersection over union of ltrb boxes."""
    lt = np.maximum(a[:, None, :2], b[None, :, :2])
    rb = np.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = np.prod(np.clip(rb - lt, 0, None), axis=2)
    area_a = np.prod(a[:, 2:] - a[:, :2], axis=1)
    area_b = np.prod(b[:, 2:] - b[:, :2], axis=1)
    return inter / np.maximum(area_a[:, None] + area_b[None, :] - inter, 1e-9)
