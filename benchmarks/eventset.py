"""Generated event photos with exact ground truth: what the photo check must find, by construction.

Real faces from the sample faces are cut out with their hair (GrabCut seeded by the detector's box),
colour matched to the scene and pasted with soft edges onto generated scenes: sizes from far
below to far above the clearly-visible threshold, tilted up to ±45°, cut by the frame edge,
partly hidden, motion blurred, in low light, as JPEG of any quality; some photos stored sideways
with an EXIF orientation tag so that they display upright, some at 12 MP. A seed names a set:
every choice comes from it, so nothing large is committed.

Whether a face is clearly visible (R1) follows the product's own definitions in CheckSettings:
height with the long side scaled to `published_long_side` and share inside the frame from the
construction, sharpness with the product's own measure on the scene: blurred as photographed, before
exposure, sensor noise and JPEG. How blurred a face is does not depend on how the product sees it.
"""

import json
import math
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path
from typing import Protocol

import cv2
import numpy as np
from PIL import Image

from mediacheck.faces import Box, Face, FaceDetector
from mediacheck.gallery import PHOTO_SUFFIXES
from mediacheck.imaging import open_photo
from mediacheck.samples import GROUND_TRUTH, sample_faces_dir
from mediacheck.settings import CheckSettings
from mediacheck.visibility import judge_visibility, sharpness

SAMPLES = sample_faces_dir()
SETTINGS = CheckSettings()
CHILD = "unenrolled_child"
"""Identity of the child in events/obama_and_biden.jpg: there are no reference photos of them."""
TRUTH_FILE = "truth.json"
SOURCES_FILE = Path(__file__).resolve().parent / "source_faces.json"
"""Where each whole face of the sample faces lies: box and landmarks as the product's detector found them
when the file was written (`python -m benchmarks.eventset`). Frozen, so that a change to the detector
does not change the photos it is measured on."""
PHOTOS_DIR = "photos"

MAX_UPSCALE = 2.5
"""Largest enlargement of a source face: beyond it a pasted face is a smear, not a photo."""
MAX_OCCLUDED = 0.3
"""Largest share of a face hidden by people in front of it or by an object. The product's
definition of "clearly visible" has no occlusion clause, so the set keeps faces mostly in view."""
FRAMES = ((4032, 3024), (3264, 2448), (2048, 1536), (1920, 1080), (1600, 1200), (1280, 960), (1024, 768))
FRAME_WEIGHTS = (0.12, 0.13, 0.2, 0.15, 0.2, 0.12, 0.08)
SCENES = ((1, 3, 12.0, 900.0), (4, 12, 10.0, 300.0), (13, 30, 8.0, 120.0))
"""Portrait, group, crowd: face count range and published face height range in px."""
SCENE_WEIGHTS = (0.4, 0.35, 0.25)
NEAR_THRESHOLD = (22.0, 48.0)
"""Published heights around `min_face_height`, where a wrong size estimate turns into a leak."""
ORIENTATIONS = {1: lambda p: p, 3: lambda p: np.rot90(p, 2), 6: lambda p: np.rot90(p, 1), 8: lambda p: np.rot90(p, -1)}
"""EXIF orientation tag → how the upright pixels are stored so that a viewer turns them upright."""
_ORIENTATION_TAG = 0x0112
Point = tuple[float, float]
Ellipse = tuple[Point, Point]
"""Centre and semi-axes of an axis-aligned ellipse, in photo px: a head, a body, an object."""
_GRABCUT_FACE_HEIGHT = 160
"""Face height, in px, that GrabCut works at: enough for hair, fast on every source."""
_OCCLUDER_LABEL = -2
_COLOUR_MATCH = np.array([0.25, 0.15, 0.15], np.float32)
"""Share of the gap between face and scene (L, a, b means) that is closed: scene light on the face."""

# Shapes in a face's own frame, in units of its width and height, centred on the face.
_CORNERS = np.array([[-0.5, -0.5], [0.5, -0.5], [0.5, 0.5], [-0.5, 0.5]])
_TURN = np.linspace(0, 2 * np.pi, 48, endpoint=False)
_OVAL = np.stack([np.cos(_TURN), np.sin(_TURN)], axis=1) * 0.5
_GRID = np.linspace(-0.475, 0.475, 12)
_OVAL_POINTS = np.array([(x, y) for x in _GRID for y in _GRID if x * x + y * y < 0.225])
"""Sample points inside the oval, to count how much of a face others hide while planning."""


@dataclass(frozen=True, eq=False)
class SourceFace:
    """A real face cut out with its hair: premultiplied RGBA in 0..1, geometry in patch pixels."""

    identity: str
    origin: str
    rgba: np.ndarray
    centre: Point
    size: tuple[float, float]
    landmarks: np.ndarray


@dataclass(frozen=True)
class Occluder:
    """Something in front of a face (a raised hand, a cup, a balloon): a filled ellipse."""

    centre: Point
    axes: tuple[float, float]
    colour: tuple[int, int, int]


@dataclass(frozen=True)
class FacePlan:
    source: int
    centre: Point
    height: float
    """Face height in px of the photo."""
    angle: float
    """In-plane rotation in degrees, counter-clockwise as displayed."""
    motion_blur: float
    """Length of the subject's motion blur as a share of the face height (0: none)."""
    motion_angle: float
    clothing: tuple[int, int, int]
    occluder: Occluder | None


@dataclass(frozen=True)
class PhotoPlan:
    width: int
    height: int
    faces: tuple[FacePlan, ...]
    """In drawing order: far (small) faces first, so that nearer people hide them, not the reverse."""
    orientation: int
    quality: int
    light: float
    shake: float
    """Length of the camera-shake blur in px (0: none)."""
    noise: float
    render_seed: int


class FaceArea(Protocol):
    """Where a face is, which is all leak inspection needs: a generated truth face, or a real photo's."""

    @property
    def box(self) -> dict[str, int]: ...
    @property
    def centre(self) -> Point: ...
    @property
    def width(self) -> float: ...
    @property
    def height(self) -> float: ...
    @property
    def angle(self) -> float: ...


@dataclass(frozen=True)
class TruthFace:
    """One pasted face: who, where, and the measures R1 is judged on."""

    identity: str
    """Folder name in the sample faces' people/, or CHILD."""
    origin: str
    """Source photo (and face number) it was cut from."""
    box: dict[str, int]
    """Axis-aligned box around the (tilted) face box, clipped, in upright pixels: the check's convention."""
    centre: Point
    width: float
    height: float
    """The face's own size in px: the product detector's box on the source, scaled."""
    angle: float
    """In-plane rotation in degrees, counter-clockwise as displayed."""
    landmarks: tuple[Point, ...]
    """Eyes, nose, mouth corners as the product's detector found them on the source, moved along."""
    published_height: float
    """`height` with the photo's long side scaled to `published_long_side`."""
    inside_fraction: float
    occluded_fraction: float
    """Share of the face's oval under other people or objects (at most about MAX_OCCLUDED)."""
    sharpness: float
    """The product's own measure, on the scene before exposure, sensor noise and JPEG: how blurred the
    face is. On the pixels as written, sensor noise scored faces of dark photos smeared over half their
    height at 35–118, ten times their blur's score, and darkness scored sharp faces low."""
    motion_blur: float
    clearly_visible: bool
    """R1 by CheckSettings: published height, sharpness and inside fraction at or above their thresholds."""


@dataclass(frozen=True)
class TruthPhoto:
    file: str
    width: int
    height: int
    orientation: int
    quality: int
    light: float
    shake: float
    faces: tuple[TruthFace, ...]

    @property
    def published_shake(self) -> float:
        """Length of the camera-shake blur in px with the long side at `published_long_side`."""
        return self.shake * SETTINGS.published_long_side / max(self.width, self.height)


@dataclass(frozen=True)
class EventSet:
    directory: Path
    seed: int
    photos: tuple[TruthPhoto, ...]

    @property
    def photos_dir(self) -> Path:
        return self.directory / PHOTOS_DIR

    def as_json(self) -> dict:
        return {"seed": self.seed, "photos": [asdict(photo) for photo in self.photos]}


def generate(directory: Path, photos: int, seed: int, on_photo: Callable[[], None] | None = None) -> EventSet:
    """Write `photos` event photos under directory/photos and their truth in directory/truth.json."""
    (directory / PHOTOS_DIR).mkdir(parents=True, exist_ok=True)
    sources = source_faces()
    truths = []
    for index in range(photos):
        truths.append(generate_photo(directory / PHOTOS_DIR / f"{index:04d}.jpg", sources, seed, index))
        if on_photo:
            on_photo()
    event_set = EventSet(directory, seed, tuple(truths))
    (directory / TRUTH_FILE).write_text(json.dumps(event_set.as_json(), indent=1))
    return event_set


def load_event_set(directory: Path) -> EventSet:
    data = json.loads((directory / TRUTH_FILE).read_text())
    photos = tuple(
        TruthPhoto(**{**photo, "faces": tuple(_truth_face_from_json(face) for face in photo["faces"])})
        for photo in data["photos"]
    )
    return EventSet(directory, data["seed"], photos)


def _truth_face_from_json(face: dict) -> TruthFace:
    return TruthFace(
        **{**face, "centre": tuple(face["centre"]), "landmarks": tuple(tuple(p) for p in face["landmarks"])}
    )


def generate_photo(path: Path, sources: tuple[SourceFace, ...], seed: int, index: int) -> TruthPhoto:
    """One photo from its own random stream, so any photo of a set can be made again on its own."""
    plan = plan_photo(np.random.default_rng([seed, index]), sources)
    pixels, scene, labels = render(plan, sources)
    _write_jpeg(path, pixels, plan.orientation, plan.quality)
    faces = tuple(
        _truth_face(scene, labels, number, sources[face.source], face) for number, face in enumerate(plan.faces)
    )
    return TruthPhoto(path.name, plan.width, plan.height, plan.orientation, plan.quality, plan.light, plan.shake, faces)


# --- source faces -------------------------------------------------------------------------------


@cache
def source_faces() -> tuple[SourceFace, ...]:
    """Every whole face of the sample faces at its frozen spot (`SOURCES_FILE`), cut out once per process."""
    spots = json.loads(SOURCES_FILE.read_text())["faces"]
    return tuple(
        _cut_out(_source_pixels(spot["origin"]), _spot_face(spot), spot["identity"], spot["origin"]) for spot in spots
    )


@cache
def _source_pixels(origin: str) -> np.ndarray:
    return open_photo(SAMPLES / origin.split("#")[0], SETTINGS.max_pixels).pixels


def _spot_face(spot: dict) -> Face:
    return Face(Box(**spot["box"]), 1.0, tuple(tuple(point) for point in spot["landmarks"]), 1.0)


def find_source_spots(detector: FaceDetector) -> list[dict]:
    """Where the product's detector finds the whole faces of the sample faces: what `SOURCES_FILE` holds."""
    found = [*_people_faces(detector), *_event_faces(detector)]
    return [
        {
            "identity": identity,
            "origin": origin,
            "box": face.box.as_dict(),
            "landmarks": [list(p) for p in face.landmarks],
        }
        for identity, origin, face in found
    ]


def _people_faces(detector: FaceDetector) -> Iterator[tuple[str, str, Face]]:
    for path in sorted((SAMPLES / "people").glob("*/*")):
        if path.suffix.lower() not in PHOTO_SUFFIXES:
            continue
        pixels = open_photo(path, SETTINGS.max_pixels).pixels
        faces = [f for f in detector.detect(pixels) if judge_visibility(f, pixels, SETTINGS).clearly_visible]
        yield path.parent.name, str(path.relative_to(SAMPLES)), max(faces, key=lambda f: f.box.area)


def _event_faces(detector: FaceDetector) -> Iterator[tuple[str, str, Face]]:
    """The clearly visible faces of events/ (ground_truth.json) whose head lies inside the photo."""
    truth = json.loads(GROUND_TRUTH.read_text())["images"]
    for name, faces in sorted(truth.items()):
        pixels = open_photo(SAMPLES / "events" / name, SETTINGS.max_pixels).pixels
        detected = detector.detect(pixels)
        height, width = pixels.shape[:2]
        for number, face in enumerate(faces):
            box = Box(**face["box"])
            if (
                not face["clearly_visible"]
                or box.left <= 0
                or box.top <= 0
                or box.right >= width
                or box.bottom >= height
            ):
                continue
            found = max(detected, key=lambda f: box_iou(f.box, box))
            yield face["person"] or CHILD, f"events/{name}#{number}", found


def _cut_out(pixels: np.ndarray, face: Face, identity: str, origin: str) -> SourceFace:
    box = face.box
    size = (float(box.width), float(box.height))
    centre = box.centre
    left, top = round(centre[0] - 1.1 * size[0]), round(centre[1] - 1.25 * size[1])
    right, bottom = round(centre[0] + 1.1 * size[0]), round(centre[1] + 1.0 * size[1])
    crop, inside = _padded_crop(pixels, left, top, right, bottom)
    local = (centre[0] - left, centre[1] - top)
    alpha = _head_alpha(crop, inside, local, size)
    rgba = np.dstack([crop.astype(np.float32) / 255 * alpha[..., None], alpha])
    landmarks = np.asarray(face.landmarks, dtype=np.float64) - (left, top)
    return SourceFace(identity, origin, rgba, local, size, landmarks)


def _padded_crop(pixels: np.ndarray, left: int, top: int, right: int, bottom: int) -> tuple[np.ndarray, np.ndarray]:
    """The crop, black where it reaches beyond the photo, and a mask of what is real."""
    height, width = pixels.shape[:2]
    crop = np.zeros((bottom - top, right - left, 3), np.uint8)
    inside = np.zeros(crop.shape[:2], bool)
    y0, y1, x0, x1 = max(0, top), min(height, bottom), max(0, left), min(width, right)
    crop[y0 - top : y1 - top, x0 - left : x1 - left] = pixels[y0:y1, x0:x1]
    inside[y0 - top : y1 - top, x0 - left : x1 - left] = True
    return crop, inside


def _head_alpha(
    crop: np.ndarray, inside: np.ndarray, centre: tuple[float, float], size: tuple[float, float]
) -> np.ndarray:
    """Head, hair and neck: GrabCut seeded with the face as sure foreground, at a fixed working size."""
    k = min(1.0, _GRABCUT_FACE_HEIGHT / size[1])
    small = cv2.resize(crop, None, fx=k, fy=k, interpolation=cv2.INTER_AREA)
    shape = small.shape[:2]
    small_centre, small_size = (centre[0] * k, centre[1] * k), (size[0] * k, size[1] * k)
    head = _ellipse_mask(shape, small_centre, small_size, (0.85, 1.05), -0.15)
    neck = _neck_mask(shape, small_centre, small_size)
    mask = np.full(shape, cv2.GC_BGD, np.uint8)
    mask[head] = cv2.GC_PR_BGD
    mask[_ellipse_mask(shape, small_centre, small_size, (0.62, 0.85), -0.15) | neck] = cv2.GC_PR_FGD
    mask[_ellipse_mask(shape, small_centre, small_size, (0.38, 0.45), 0.0)] = cv2.GC_FGD
    mask[~cv2.resize(inside.astype(np.uint8), shape[::-1], interpolation=cv2.INTER_NEAREST).astype(bool)] = cv2.GC_BGD
    cv2.setRNGSeed(0)
    models = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
    cv2.grabCut(small, mask, None, *models, 4, cv2.GC_INIT_WITH_MASK)
    foreground = np.isin(mask, (cv2.GC_FGD, cv2.GC_PR_FGD)) & (head | neck)
    alpha = cv2.resize(foreground.astype(np.float32), crop.shape[1::-1], interpolation=cv2.INTER_LINEAR)
    alpha = cv2.GaussianBlur(alpha, (0, 0), max(0.6, 0.015 * size[1]))
    rows = np.arange(crop.shape[0], dtype=np.float32)[:, None]
    fade = np.clip((centre[1] + 0.9 * size[1] - rows) / (0.3 * size[1]), 0, 1)
    return (alpha * fade * inside).astype(np.float32)


def _ellipse_mask(
    shape: tuple[int, int],
    centre: tuple[float, float],
    size: tuple[float, float],
    axes: tuple[float, float],
    shift: float,
) -> np.ndarray:
    """Inside an axis-aligned ellipse with semi-axes `axes` × face size, `shift` face heights below the centre."""
    rows, cols = np.mgrid[0 : shape[0], 0 : shape[1]]
    dx = (cols - centre[0]) / (axes[0] * size[0])
    dy = (rows - centre[1] - shift * size[1]) / (axes[1] * size[1])
    return dx**2 + dy**2 < 1


def _neck_mask(shape: tuple[int, int], centre: tuple[float, float], size: tuple[float, float]) -> np.ndarray:
    rows, cols = np.mgrid[0 : shape[0], 0 : shape[1]]
    return (np.abs(cols - centre[0]) < 0.25 * size[0]) & (rows > centre[1]) & (rows < centre[1] + 0.9 * size[1])


# --- planning: every random choice of a photo, as data ------------------------------------------


class _Occupancy:
    """Sample points of the faces planned so far, and which of them something in front already hides."""

    def __init__(self) -> None:
        self.points: list[np.ndarray] = []
        self.hidden: list[np.ndarray] = []

    def hidden_after(self, shapes: list[Ellipse]) -> list[np.ndarray]:
        return [hidden | _inside(points, shapes) for points, hidden in zip(self.points, self.hidden, strict=True)]

    def fits(self, shapes: list[Ellipse]) -> bool:
        return all(hidden.mean() <= MAX_OCCLUDED for hidden in self.hidden_after(shapes))

    def cover(self, shapes: list[Ellipse]) -> None:
        self.hidden = self.hidden_after(shapes)

    def add_face(self, points: np.ndarray) -> None:
        self.points.append(points)
        self.hidden.append(np.zeros(len(points), bool))


def plan_photo(rng: np.random.Generator, sources: tuple[SourceFace, ...]) -> PhotoPlan:
    width, height = _frame(rng)
    count_low, count_high, size_low, size_high = SCENES[rng.choice(len(SCENES), p=SCENE_WEIGHTS)]
    published = sorted(
        _log_uniform(rng, *(NEAR_THRESHOLD if rng.random() < 0.35 else (size_low, size_high)))
        for _ in range(rng.integers(count_low, count_high + 1))
    )
    occupancy = _Occupancy()
    to_pixels = max(width, height) / SETTINGS.published_long_side
    planned = (_plan_face(rng, sources, size * to_pixels, (width, height), occupancy) for size in published)
    faces = tuple(face for face in planned if face is not None)
    low_light = rng.random() < 0.15
    return PhotoPlan(
        width,
        height,
        faces,
        orientation=int(rng.choice([3, 6, 8])) if rng.random() < 0.2 else 1,
        quality=int(rng.integers(40, 96)),
        light=round(float(rng.uniform(0.15, 0.45) if low_light else rng.uniform(0.8, 1.05)), 3),
        shake=round(float(rng.uniform(3, 30) * to_pixels), 1) if rng.random() < 0.08 else 0.0,
        noise=float(rng.uniform(3, 8) if low_light else rng.uniform(0.5, 2.5)),
        render_seed=int(rng.integers(2**31)),
    )


def _frame(rng: np.random.Generator) -> tuple[int, int]:
    width, height = FRAMES[rng.choice(len(FRAMES), p=FRAME_WEIGHTS)]
    return (height, width) if rng.random() < 0.3 else (width, height)


def _log_uniform(rng: np.random.Generator, low: float, high: float) -> float:
    return float(math.exp(rng.uniform(math.log(low), math.log(high))))


def _plan_face(
    rng: np.random.Generator,
    sources: tuple[SourceFace, ...],
    height: float,
    frame: tuple[int, int],
    occupancy: _Occupancy,
) -> FacePlan | None:
    """A face where nobody planned so far gets hidden beyond MAX_OCCLUDED, or None if none is found."""
    source, height = _pick_source(rng, sources, min(height, 0.45 * min(frame)))
    width = height * sources[source].size[0] / sources[source].size[1]
    angle = _angle(rng)
    for _ in range(25):
        centre = _position(rng, width, height, angle, frame)
        person = _person_shapes(centre, width, height, angle)
        if not occupancy.fits(person):
            continue
        occupancy.cover(person)
        occupancy.add_face(_face_polygon(centre, width, height, angle, _OVAL_POINTS))
        blurred = rng.random() < 0.15
        return FacePlan(
            source,
            centre,
            height,
            angle,
            motion_blur=_log_uniform(rng, 0.03, 0.5) if blurred else 0.0,
            motion_angle=float(rng.uniform(0, 180)),
            clothing=tuple(int(c) for c in rng.integers(0, 256, 3)),
            occluder=_occluder(rng, centre, height, occupancy) if rng.random() < 0.15 else None,
        )
    return None


def _pick_source(rng: np.random.Generator, sources: tuple[SourceFace, ...], height: float) -> tuple[int, float]:
    """A person at random, then one of their faces with enough pixels for `height` (else the largest, capped)."""
    identities = sorted({source.identity for source in sources})
    identity = identities[rng.integers(len(identities))]
    own = [i for i, source in enumerate(sources) if source.identity == identity]
    fitting = [i for i in own if sources[i].size[1] * MAX_UPSCALE >= height]
    if fitting:
        return fitting[rng.integers(len(fitting))], height
    largest = max(own, key=lambda i: sources[i].size[1])
    return largest, sources[largest].size[1] * MAX_UPSCALE


def _angle(rng: np.random.Generator) -> float:
    low, high = ((0, 10), (10, 30), (30, 45))[rng.choice(3, p=(0.55, 0.25, 0.2))]
    return round(float(rng.uniform(low, high) * rng.choice([-1, 1])), 2)


def _position(
    rng: np.random.Generator, width: float, height: float, angle: float, frame: tuple[int, int]
) -> tuple[float, float]:
    """Anywhere the face fits, hair included; one face in eight straddles an edge of the frame."""
    extent = np.ptp(_face_polygon((0, 0), width, height, angle, _CORNERS), axis=0)
    span_x = (extent[0] / 2, max(extent[0] / 2, frame[0] - extent[0] / 2))
    span_y = (min(extent[1] / 2 + 0.4 * height, frame[1] / 2), max(extent[1] / 2, frame[1] - extent[1] / 2))
    x, y = float(rng.uniform(*span_x)), float(rng.uniform(*span_y))
    if rng.random() < 0.12:
        across = float(rng.uniform(-0.35, 0.45))
        side = int(rng.integers(4))
        x = (across * extent[0], frame[0] - across * extent[0], x, x)[side]
        y = (y, y, across * extent[1], frame[1] - across * extent[1])[side]
    return round(x, 2), round(y, 2)


def _person_shapes(centre: Point, width: float, height: float, angle: float) -> list[Ellipse]:
    """Head with hair and upper body as ellipses: what this person hides of the people behind."""
    chin = _face_polygon(centre, width, height, angle, np.array([[0.0, 0.5]]))[0]
    return [
        ((centre[0], centre[1] - 0.1 * height), (0.8 * width, 1.05 * height)),
        ((chin[0], chin[1] + 1.55 * height), (1.15 * width, 1.7 * height)),
    ]


def _occluder(rng: np.random.Generator, centre: Point, height: float, occupancy: _Occupancy) -> Occluder | None:
    """An object that slides in from one side until it hides the planned share of the latest face."""
    share = rng.uniform(0.1, MAX_OCCLUDED)
    direction = rng.uniform(0, 2 * math.pi)
    radius = height * rng.uniform(0.3, 0.55)
    axes = (round(float(radius * rng.uniform(0.7, 1.3)), 2), round(float(radius), 2))
    colour = tuple(int(c) for c in rng.integers(0, 256, 3))
    for distance in np.linspace(1.6 * height, 0, 33):
        spot = (
            round(centre[0] + distance * math.cos(direction), 2),
            round(centre[1] + distance * math.sin(direction), 2),
        )
        if _inside(occupancy.points[-1], [(spot, axes)]).mean() >= share:
            if not occupancy.fits([(spot, axes)]):
                return None
            occupancy.cover([(spot, axes)])
            return Occluder(spot, axes, colour)
    return None


def _inside(points: np.ndarray, shapes: list[Ellipse]) -> np.ndarray:
    hit = np.zeros(len(points), bool)
    for (cx, cy), (ax, ay) in shapes:
        hit |= ((points[:, 0] - cx) / ax) ** 2 + ((points[:, 1] - cy) / ay) ** 2 < 1
    return hit


# --- rendering: the plan made pixels ------------------------------------------------------------


def render(plan: PhotoPlan, sources: tuple[SourceFace, ...]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Upright RGB pixels; the scene they show, blurred as they are but before exposure and sensor noise;
    and a map of which face (index) or occluder (-2) is on top at each pixel."""
    rng = np.random.default_rng(plan.render_seed)
    canvas = _background(rng, plan.width, plan.height)
    labels = np.full((plan.height, plan.width), -1, np.int16)
    for index, face in enumerate(plan.faces):
        source = sources[face.source]
        _draw_body(canvas, labels, face, source)
        _paste_head(canvas, labels, index, face, source)
        if face.occluder:
            _draw_ellipse(canvas, labels, face.occluder.centre, face.occluder.axes, face.occluder.colour)
    scene = _shaken(canvas, plan, rng)
    return _exposed(scene, plan, rng), _eight_bits(scene), labels


def _background(rng: np.random.Generator, width: int, height: int) -> np.ndarray:
    """A room or a field: wall or sky over floor or grass, soft blotches of light, a few props."""
    scale = 256 / max(width, height)
    small_w, small_h = max(2, round(width * scale)), max(2, round(height * scale))
    upper, lower = rng.uniform(0.1, 0.9, 3), rng.uniform(0.05, 0.7, 3)
    rows = np.linspace(0, 1, small_h)[:, None, None]
    blend = 1 / (1 + np.exp(-(rows - rng.uniform(0.3, 0.85)) / rng.uniform(0.02, 0.2)))
    blotches = cv2.resize(rng.uniform(-1, 1, (6, 8, 3)), (small_w, small_h), interpolation=cv2.INTER_CUBIC)
    small = upper * (1 - blend) + lower * blend + blotches * rng.uniform(0.03, 0.15)
    canvas = cv2.resize(small.astype(np.float32), (width, height), interpolation=cv2.INTER_LINEAR)
    for _ in range(rng.integers(3, 16)):
        _draw_prop(rng, canvas)
    return np.clip(canvas, 0, 1)


def _draw_prop(rng: np.random.Generator, canvas: np.ndarray) -> None:
    height, width = canvas.shape[:2]
    colour = tuple(float(c) for c in rng.uniform(0, 1, 3))
    x, y = int(rng.integers(width)), int(rng.integers(height))
    size = int(rng.uniform(0.02, 0.3) * max(width, height))
    kind = rng.integers(3)
    if kind == 0:
        cv2.rectangle(canvas, (x, y), (x + size, y + int(size * rng.uniform(0.3, 2))), colour, -1)
    elif kind == 1:
        cv2.circle(canvas, (x, y), size // 3, colour, -1, cv2.LINE_AA)
    else:
        cv2.line(
            canvas, (x, y), (x + size, y + int(rng.integers(-size, size))), colour, max(1, size // 25), cv2.LINE_AA
        )


def _draw_body(canvas: np.ndarray, labels: np.ndarray, face: FacePlan, source: SourceFace) -> None:
    width = face.height * source.size[0] / source.size[1]
    chin = _face_polygon(face.centre, width, face.height, face.angle, np.array([[0.0, 0.5]]))[0]
    _draw_ellipse(
        canvas, labels, (chin[0], chin[1] + 1.55 * face.height), (1.15 * width, 1.7 * face.height), face.clothing
    )


def _draw_ellipse(
    canvas: np.ndarray, labels: np.ndarray, centre: Point, axes: Point, colour: tuple[int, int, int]
) -> None:
    centre_px, axes_px = (round(centre[0]), round(centre[1])), (max(1, round(axes[0])), max(1, round(axes[1])))
    cv2.ellipse(canvas, centre_px, axes_px, 0, 0, 360, tuple(c / 255 for c in colour), -1, cv2.LINE_AA)
    cv2.ellipse(labels, centre_px, axes_px, 0, 0, 360, _OCCLUDER_LABEL, -1)


def _paste_head(canvas: np.ndarray, labels: np.ndarray, index: int, face: FacePlan, source: SourceFace) -> None:
    patch, origin = _warp(source, face)
    height, width = canvas.shape[:2]
    x0, y0 = max(0, origin[0]), max(0, origin[1])
    x1, y1 = min(width, origin[0] + patch.shape[1]), min(height, origin[1] + patch.shape[0])
    if x1 <= x0 or y1 <= y0:
        return
    region = (slice(y0, y1), slice(x0, x1))
    rgba = _colour_match(patch[y0 - origin[1] : y1 - origin[1], x0 - origin[0] : x1 - origin[0]], canvas[region])
    alpha = rgba[..., 3:]
    canvas[region] = canvas[region] * (1 - alpha) + rgba[..., :3]
    labels[region][alpha[..., 0] > 0.5] = index
    outline = _face_polygon(face.centre, *_face_size(face, source), face.angle, _OVAL)
    cv2.fillPoly(labels, [np.round(outline * 16).astype(np.int32)], index, cv2.LINE_8, 4)


def _face_size(face: FacePlan, source: SourceFace) -> tuple[float, float]:
    return face.height * source.size[0] / source.size[1], face.height


def _warp(source: SourceFace, face: FacePlan) -> tuple[np.ndarray, tuple[int, int]]:
    """The cut-out scaled, turned and motion blurred as planned, and its top-left corner in the photo."""
    scale = face.height / source.size[1]
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
    scaled = np.clip(cv2.resize(source.rgba, None, fx=scale, fy=scale, interpolation=interpolation), 0, 1)
    centre = ((source.centre[0] + 0.5) * scale - 0.5, (source.centre[1] + 0.5) * scale - 0.5)
    side = math.ceil(math.hypot(*scaled.shape[:2])) + 2
    origin = (math.floor(face.centre[0]) - side // 2, math.floor(face.centre[1]) - side // 2)
    rotation = cv2.getRotationMatrix2D(centre, face.angle, 1.0)
    rotation[:, 2] += (face.centre[0] - origin[0] - centre[0], face.centre[1] - origin[1] - centre[1])
    patch = cv2.warpAffine(scaled, rotation, (side, side), flags=cv2.INTER_LINEAR, borderValue=(0, 0, 0, 0))
    if face.motion_blur * face.height >= 2:
        patch = cv2.filter2D(patch, -1, line_kernel(face.motion_blur * face.height, face.motion_angle))
    return patch, origin


def _source_to_photo(source: SourceFace, face: FacePlan, points: np.ndarray) -> np.ndarray:
    """Where points of the source cut-out land in the photo: the same scale and turn as `_warp`."""
    scale = face.height / source.size[1]
    centre = np.array([(source.centre[0] + 0.5) * scale - 0.5, (source.centre[1] + 0.5) * scale - 0.5])
    scaled = (np.asarray(points) + 0.5) * scale - 0.5
    return (scaled - centre) @ _rotation(face.angle).T + face.centre


def line_kernel(length: float, angle: float) -> np.ndarray:
    """A straight smear `length` px long at `angle` degrees, as camera shake or a moving face leaves."""
    size = math.ceil(length) | 1
    kernel = np.zeros((size, size), np.float32)
    dx, dy = math.cos(math.radians(angle)) * length / 2, math.sin(math.radians(angle)) * length / 2
    mid = size // 2
    cv2.line(kernel, (round(mid - dx), round(mid - dy)), (round(mid + dx), round(mid + dy)), 1.0, 1, cv2.LINE_AA)
    return kernel / kernel.sum()


def _colour_match(rgba: np.ndarray, scene: np.ndarray) -> np.ndarray:
    """Pull the face's colour a little towards the scene behind it, as the scene's light would."""
    alpha = rgba[..., 3]
    if alpha.sum() < 4:
        return rgba
    rgb = np.clip(rgba[..., :3] / np.maximum(alpha, 1e-3)[..., None], 0, 1)
    lab = cv2.cvtColor(rgb, cv2.COLOR_RGB2LAB)
    gap = _weighted_mean(cv2.cvtColor(scene, cv2.COLOR_RGB2LAB), alpha) - _weighted_mean(lab, alpha)
    matched = np.clip(cv2.cvtColor(lab + gap * _COLOUR_MATCH, cv2.COLOR_LAB2RGB), 0, 1)
    return np.dstack([matched * alpha[..., None], alpha])


def _weighted_mean(image: np.ndarray, weight: np.ndarray) -> np.ndarray:
    return (image * weight[..., None]).sum(axis=(0, 1)) / weight.sum()


def _shaken(canvas: np.ndarray, plan: PhotoPlan, rng: np.random.Generator) -> np.ndarray:
    if plan.shake < 2:
        return canvas
    return cv2.filter2D(canvas, -1, line_kernel(plan.shake, float(rng.uniform(0, 180))))


def _exposed(scene: np.ndarray, plan: PhotoPlan, rng: np.random.Generator) -> np.ndarray:
    """Exposure and sensor noise over the whole photo, then 8 bits."""
    noise = rng.standard_normal(scene.shape, dtype=np.float32) * (plan.noise / 255)
    return _eight_bits(scene * plan.light + noise)


def _eight_bits(canvas: np.ndarray) -> np.ndarray:
    return (np.clip(canvas, 0, 1) * 255 + 0.5).astype(np.uint8)


def _write_jpeg(path: Path, pixels: np.ndarray, orientation: int, quality: int) -> None:
    exif = Image.Exif()
    exif[_ORIENTATION_TAG] = orientation
    stored = np.ascontiguousarray(ORIENTATIONS[orientation](pixels))
    Image.fromarray(stored).save(path, "JPEG", quality=quality, exif=exif.tobytes())


# --- truth: measured on the construction and on the scene ---------------------------------------


def _truth_face(scene: np.ndarray, labels: np.ndarray, index: int, source: SourceFace, face: FacePlan) -> TruthFace:
    height, width = scene.shape[:2]
    face_w, face_h = _face_size(face, source)
    corners = _face_polygon(face.centre, face_w, face_h, face.angle, _CORNERS)
    frame = np.array([[0, 0], [width, 0], [width, height], [0, height]], np.float32)
    inside_area, _ = cv2.intersectConvexConvex(corners.astype(np.float32), frame)
    inside = float(inside_area) / (face_w * face_h)
    (left, top), (right, bottom) = corners.min(axis=0), corners.max(axis=0)
    box = Box(math.floor(top), math.ceil(right), math.ceil(bottom), math.floor(left)).clipped(width, height)
    landmarks = tuple(
        (round(float(x), 2), round(float(y), 2)) for x, y in _source_to_photo(source, face, source.landmarks)
    )
    upright = Box.around(face.centre, face_w, face_h)
    sharp = sharpness(scene, upright.clipped(width, height))
    published = face_h * SETTINGS.published_long_side / max(width, height)
    return TruthFace(
        identity=source.identity,
        origin=source.origin,
        box=box.as_dict(),
        centre=face.centre,
        width=round(face_w, 2),
        height=round(face_h, 2),
        angle=face.angle,
        landmarks=landmarks,
        published_height=round(published, 2),
        inside_fraction=round(inside, 3),
        occluded_fraction=round(_occluded_share(labels, index, face, source), 3),
        sharpness=round(sharp, 2),
        motion_blur=round(face.motion_blur, 3),
        clearly_visible=published >= SETTINGS.min_face_height
        and sharp >= SETTINGS.min_sharpness
        and inside >= SETTINGS.min_inside_fraction,
    )


def _occluded_share(labels: np.ndarray, index: int, face: FacePlan, source: SourceFace) -> float:
    """Share of the face's oval, inside the frame, where something else is on top."""
    region = polygon_region(_face_polygon(face.centre, *_face_size(face, source), face.angle, _OVAL), labels.shape)
    if region is None:
        return 0.0
    window, mask = region
    return float((labels[window][mask] != index).mean())


# --- geometry of faces in photos -----------------------------------------------------------------


def face_oval(face: FaceArea) -> np.ndarray:
    """The oval of a truth face (inscribed in its tilted box) as a polygon in photo pixels."""
    return _face_polygon(face.centre, face.width, face.height, face.angle, _OVAL)


def centre_in_face(face: FaceArea, box: Box) -> bool:
    """Whether the centre of `box` lies inside the tilted box of a truth face."""
    offset = np.subtract(box.centre, face.centre)
    u, v = offset @ _rotation(face.angle)
    return abs(u) <= face.width / 2 and abs(v) <= face.height / 2


def box_iou(a: Box, b: Box) -> float:
    inter = a.intersection(b)
    union = a.area + b.area - inter
    return inter / union if union else 0.0


def polygon_region(polygon: np.ndarray, shape: tuple[int, ...]) -> tuple[tuple[slice, slice], np.ndarray] | None:
    """The window of an image of `shape` around a polygon (photo px), and the polygon's mask in it;
    None when the polygon covers no pixel of the image."""
    height, width = shape[:2]
    x0, y0 = (max(0, math.floor(v)) for v in polygon.min(axis=0))
    x1, y1 = min(width, math.ceil(polygon[:, 0].max())), min(height, math.ceil(polygon[:, 1].max()))
    if x1 <= x0 or y1 <= y0:
        return None
    mask = np.zeros((y1 - y0, x1 - x0), np.uint8)
    cv2.fillPoly(mask, [np.round((polygon - (x0, y0)) * 16).astype(np.int32)], 1, cv2.LINE_8, 4)
    return ((slice(y0, y1), slice(x0, x1)), mask.astype(bool)) if mask.any() else None


def _face_polygon(centre: Point, width: float, height: float, angle: float, shape: np.ndarray) -> np.ndarray:
    """Points given in the face's own frame (units of its width and height) in photo pixels."""
    return (shape * (width, height)) @ _rotation(angle).T + centre


def _rotation(angle: float) -> np.ndarray:
    """Face-frame offsets → photo offsets, turning counter-clockwise as displayed (as cv2.getRotationMatrix2D)."""
    c, s = math.cos(math.radians(angle)), math.sin(math.radians(angle))
    return np.array([[c, s], [-s, c]])


def main() -> None:
    """Write `SOURCES_FILE` afresh: only when the sample faces change, as it changes every generated set."""
    spots = find_source_spots(FaceDetector(SETTINGS))
    SOURCES_FILE.write_text(json.dumps({"faces": spots}, indent=1) + "\n")
    print(f"{len(spots)} source faces written to {SOURCES_FILE}")


if __name__ == "__main__":
    main()
