"""The tracker alone, on drawn frames where every face position is known: a face found at any
sample must be covered in every frame between, before and after (R1: no frame may slip)."""

import numpy as np

from mediacheck.faces import Box
from mediacheck.tracking import FaceTracker

WIDTH, HEIGHT, SIDE = 320, 180, 40
INTERVAL = 8
HOLD = 16


def backdrop() -> np.ndarray:
    ramp = np.linspace(60, 120, WIDTH)[None, :] + np.linspace(0, 30, HEIGHT)[:, None]
    return ramp.astype(np.uint8)


FACE = np.random.default_rng(1).integers(0, 256, (SIDE, SIDE)).astype(np.uint8)


def frame_with(*positions: tuple[float, float] | None) -> tuple[np.ndarray, list[Box]]:
    """A gray frame with a textured square ("face") at each (x, y); the boxes of those inside."""
    gray = backdrop()
    boxes = []
    for position in positions:
        if position is None:
            continue
        x, y = round(position[0]), round(position[1])
        box = Box(y, x + SIDE, y + SIDE, x).clipped(WIDTH, HEIGHT)
        if box.width <= 0 or box.height <= 0:
            continue
        gray[box.top : box.bottom, box.left : box.right] = FACE[
            box.top - y : box.bottom - y, box.left - x : box.right - x
        ]
        boxes.append(box)
    return gray, boxes


def run(paths: list[list[tuple[float, float] | None]], detected=lambda index: index % INTERVAL == 0, cuts=()):
    """Feed the tracker; the detector 'finds' the true boxes at sampled frames only."""
    tracker = FaceTracker(gray_scale=1.0, interval=INTERVAL, hold=HOLD)
    truth = []
    for index, positions in enumerate(paths):
        gray, boxes = frame_with(*positions)
        truth.append(boxes)
        if detected(index) or index in cuts:
            tracker.sample(gray, [b for b in boxes if b.width > SIDE // 2], cut=index in cuts)
        else:
            tracker.advance(gray)
    return tracker.finish(), truth


def covered(box: Box, tracks) -> float:
    """Largest share of `box` inside one track's box in the same frame."""
    return max((box.intersection(b) / box.area for b in tracks if b is not None), default=0.0)


def test_r1_a_moving_face_is_covered_in_every_frame_between_detections() -> None:
    path = [[(20 + 4 * i, 60 + 25 * np.sin(i / 6))] for i in range(60)]
    tracks, truth = run(path)
    assert len(tracks) == 1
    for index, boxes in enumerate(truth):
        assert covered(boxes[0], [t.box_at(index) for t in tracks]) >= 0.9, index


def test_r1_a_face_that_enters_between_samples_is_covered_from_its_first_frame() -> None:
    """It walks in from the right edge at frame 10; the detector first sees it whole at frame 16."""
    path = [[(WIDTH - 6 * (i - 10), 70) if i >= 10 else None] for i in range(40)]
    tracks, truth = run(path)
    (track,) = tracks
    assert track.first_frame <= 16 - HOLD, "followed back for the hold"
    for index in range(10, 40):
        if truth[index]:
            assert covered(truth[index][0], [track.box_at(index)]) >= 0.9, index


def test_r1_a_face_the_detector_misses_is_held_and_kept_as_one_track() -> None:
    path = [[(40 + 2 * i, 50)] for i in range(48)]
    tracks, truth = run(path, detected=lambda index: index % INTERVAL == 0 and index not in (16, 24))
    assert len(tracks) == 1, "two missed samples within the hold do not split the track"
    for index, boxes in enumerate(truth):
        assert covered(boxes[0], [tracks[0].box_at(index)]) >= 0.9, index


def test_r1_a_face_is_held_on_both_sides_of_the_samples_that_found_it() -> None:
    """Found at 24 and 32 only (it turned to the camera): covered from a hold before to a hold after."""
    path = [[(100, 60)] for _ in range(70)]
    tracks, _ = run(path, detected=lambda index: index in (24, 32))
    (track,) = tracks
    assert track.first_frame <= 24 - HOLD and track.last_frame >= 32 + HOLD


def test_a_scene_cut_ends_every_track_and_starts_new_ones_at_the_cut() -> None:
    path = [[(50, 50)] if i < 20 else [(200, 100)] for i in range(40)]
    tracks, _ = run(path, cuts=(20,))
    assert [(t.first_frame, t.last_frame) for t in tracks] == [(0, 19), (20, 39)]
