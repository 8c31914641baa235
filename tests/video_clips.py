"""Videos made at test time from the sample faces (nothing large is committed), and the
frame-by-frame check that nothing slipped through redaction.

`stage_clip` films two sample photos' faces on a plain backdrop: obama bobbing on the left the
whole time, biden walking in from the right edge and out through the bottom. Every face box
is known in every frame, so a test can say exactly where each face is.
"""

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from functools import cache
from pathlib import Path

import av
import cv2
import dlib
import face_recognition_models
import numpy as np
from PIL import Image

from mediacheck.faces import Box, FaceDetector
from mediacheck.settings import CheckSettings
from mediacheck.visibility import judge_visibility
from tests.samples import EVENTS, SAMPLES

SAMPLE_CLIP = SAMPLES / "video" / "short_hamilton_clip.mp4"
FPS = 30
SIZE = (480, 270)
STILL_DETAIL = 0.5
"""Correlation of fine detail between source and output above which a face still shows."""
HIDDEN_DETAIL = 0.3
"""Correlation of fine detail below which a face known to be there counts as hidden."""
_LOOK = 200


@dataclass(frozen=True)
class Actor:
    """A face cut from an event photo, with its known box in the cut-out."""

    person: str
    photo: str
    face: Box


OBAMA = Actor("obama", "obama_alone.jpg", Box(116, 917, 654, 534))
BIDEN = Actor("biden", "two_people.jpg", Box(44, 950, 256, 785))


@dataclass(frozen=True)
class Clip:
    path: Path
    faces: dict[str, dict[int, Box]]
    """Per person, the upright face box in every frame where the face is at least partly inside."""
    inside: dict[str, dict[int, float]]
    """Per person and frame, the share of the face inside the frame."""
    frames: int
    heads: dict[str, dict[int, Box]]
    """Per person, the box of the whole head pasted in (ears, hair, some shoulders), as far as inside."""

    def clearly_in_frame(self, person: str, share: float) -> dict[int, Box]:
        """The face's boxes in the frames where at least `share` of it is inside."""
        return {i: box for i, box in self.faces[person].items() if self.inside[person][i] >= share}


def stage_clip(
    path: Path,
    frames: int = 60,
    rotation: int = 0,
    sound: str | None = "aac",
    metadata: dict[str, str] | None = None,
) -> Clip:
    """Obama still on the left, biden entering from the right and leaving through the bottom.

    Written as phones do (H.264 in MP4/MOV) or, for a `.webm` path, as browsers do (VP9).
    `rotation`: degrees counter-clockwise a player turns the stored frames, as phones write
    portrait videos: the pixels are stored turned the other way, so the clip plays upright.
    `sound`: the codec of a tone as long as the video, or None for a silent clip.
    `metadata`: tags written into the container, as cameras write place and time."""
    obama, obama_face = _cut_out(OBAMA, face_height=80)
    biden, biden_face = _cut_out(BIDEN, face_height=70)
    width, height = SIZE
    faces: dict[str, dict[int, Box]] = {"obama": {}, "biden": {}}
    heads: dict[str, dict[int, Box]] = {"obama": {}, "biden": {}}
    inside: dict[str, dict[int, float]] = {"obama": {}, "biden": {}}
    pictures = []
    for index in range(frames):
        canvas = _backdrop(index)
        t = index / (frames - 1)
        bob = round(3 * np.sin(index / 4))
        x = round(width - t * 1.4 * width) if t < 0.5 else round(width - 0.7 * width)
        y = 70 if t < 0.5 else round(70 + (t - 0.5) * 2.4 * height)
        for person, patch, face, at in (
            ("obama", obama, obama_face, (40, 60 + bob)),
            ("biden", biden, biden_face, (max(x, 200), y)),
        ):
            pasted = _paste(canvas, patch, face, *at)
            if pasted is not None:
                heads[person][index], box = pasted
                faces[person][index], inside[person][index] = box, box.area / face.area
        pictures.append(canvas)
    _write(path, pictures, rotation, sound, metadata or {})
    return Clip(path, faces, inside, frames, heads)


def _cut_out(actor: Actor, face_height: int) -> tuple[np.ndarray, Box]:
    """The head with some shoulders, scaled so the face is `face_height` px tall."""
    image = np.asarray(Image.open(EVENTS / actor.photo).convert("RGB"))
    f = actor.face
    top, bottom = max(0, f.top - f.height // 2), min(image.shape[0], f.bottom + f.height // 3)
    left, right = max(0, f.left - f.width // 3), min(image.shape[1], f.right + f.width // 3)
    scale = face_height / f.height
    patch = cv2.resize(image[top:bottom, left:right], None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    inner = Box(*(round(v * scale) for v in (f.top - top, f.right - left, f.bottom - top, f.left - left)))
    return patch, inner


def _paste(canvas: np.ndarray, patch: np.ndarray, face: Box, x: int, y: int) -> tuple[Box, Box] | None:
    """Blend `patch` in with its top-left at (x, y), edges faded, cut by the frame; the boxes of
    the patch and of the face in it, clipped, or None when the face is outside. A hard-edged
    rectangle is no scene a camera films."""
    height, width = canvas.shape[:2]
    ph, pw = patch.shape[:2]
    top, left, bottom, right = max(0, y), max(0, x), min(height, y + ph), min(width, x + pw)
    if bottom <= top or right <= left:
        return None
    fade = np.minimum.outer(_ramp(ph), _ramp(pw))[..., None]
    inside = (slice(top - y, bottom - y), slice(left - x, right - x))
    blended = fade[inside] * patch[inside] + (1 - fade[inside]) * canvas[top:bottom, left:right]
    canvas[top:bottom, left:right] = blended.astype(np.uint8)
    box = Box(y + face.top, x + face.right, y + face.bottom, x + face.left).clipped(width, height)
    return (Box(top, right, bottom, left), box) if box.width > 0 and box.height > 0 else None


def _ramp(length: int) -> np.ndarray:
    """0 at both ends rising to 1 over a sixth of `length`."""
    edge = max(1, length // 6)
    return np.clip(np.minimum(np.arange(length), np.arange(length)[::-1]) / edge, 0, 1)


def _backdrop(index: int) -> np.ndarray:
    """A stage-like backdrop: a dark curtain lit from above, a little grain that changes every frame."""
    width, height = SIZE
    light = np.linspace(1.0, 0.4, height)[:, None, None] * (0.8 + 0.2 * np.cos(np.arange(width) / 9))[None, :, None]
    curtain = light * np.array([120, 40, 60])
    grain = np.random.default_rng(index).integers(-4, 5, (height, width, 1))
    return np.clip(curtain + grain, 0, 255).astype(np.uint8)


def _write(path: Path, pictures: list[np.ndarray], rotation: int, sound: str | None, metadata: dict[str, str]) -> None:
    turns = round(rotation / 90) % 4
    webm = path.suffix == ".webm"
    options = {} if webm else {"movflags": "+faststart"}
    with av.open(str(path), "w", format="webm" if webm else "mp4", container_options=options) as container:
        container.metadata.update(metadata)
        stored = np.rot90(pictures[0], -turns)
        video = container.add_stream("libvpx-vp9" if webm else "libx264", rate=FPS)
        video.height, video.width = stored.shape[:2]
        video.pix_fmt = "yuv420p"
        video.options = {"crf": "30", "deadline": "realtime", "cpu-used": "8"} if webm else {"crf": "18"}
        if turns:
            video.set_display_rotation(rotation)
        audio = container.add_stream(sound, rate=48000, options={"strict": "experimental"}) if sound else None
        for picture in pictures:
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(np.rot90(picture, -turns)), format="rgb24")
            container.mux(video.encode(frame))
        container.mux(video.encode())
        if audio:
            _hum(container, audio, len(pictures) / FPS)


def _hum(container: av.container.OutputContainer, audio, seconds: float) -> None:
    """A 440 Hz tone as long as the video, so there is a sound to keep."""
    rate, block = audio.codec_context.sample_rate, 1024
    for start in range(0, round(seconds * rate), block):
        t = (start + np.arange(block)) / rate
        samples = (0.2 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)[None]
        frame = av.AudioFrame.from_ndarray(samples, format="fltp", layout="mono")
        frame.sample_rate, frame.pts, frame.time_base = rate, start, Fraction(1, rate)
        container.mux(audio.encode(frame))
    container.mux(audio.encode())


def trimmed(source: Path, target: Path, seconds: float) -> Path:
    """The first `seconds` of `source`, every stream copied packet for packet (no re-encoding)."""
    with av.open(str(source)) as reader, av.open(str(target), "w") as writer:
        streams = {s.index: writer.add_stream_from_template(s) for s in reader.streams if s.type in ("video", "audio")}
        for packet in reader.demux(*(s for s in reader.streams if s.index in streams)):
            if packet.dts is None or packet.pts is None or packet.pts * packet.time_base > seconds:
                continue
            packet.stream = streams[packet.stream.index]
            writer.mux(packet)
    return target


def decoded(path: Path) -> Iterator[np.ndarray]:
    """Every frame of a video, upright RGB, as a player shows it."""
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            yield np.ascontiguousarray(
                np.rot90(frame.to_ndarray(format="rgb24"), round((frame.rotation or 0) / 90) % 4)
            )


def frames_showing(clip: Clip, output: Path, person: str, share: float = 0.25) -> list[int]:
    """Frames of `output` in which `person`'s face still shows, wherever at least `share` of it is
    inside the frame (clearly visible needs 40%, R1): ground truth, no detector involved."""
    boxes = clip.clearly_in_frame(person, share)
    return [
        index
        for index, (before, after) in enumerate(zip(decoded(clip.path), decoded(output), strict=True))
        if index in boxes and detail_kept(before, after, boxes[index]) >= HIDDEN_DETAIL
    ]


def slips(
    source: Path, output: Path, may_show: dict[int, list[Box]] | None = None, every: int = 1
) -> list[tuple[int, Box]]:
    """Every (frame, box) where the output still shows a face that needed hiding.

    Frame by frame (or every `every`th frame), the detector runs on the output; a clearly visible
    face it finds counts when its fine detail survived (it was not redacted) and a second,
    independent detector confirms a face there in the source (our detector also takes a raised
    hand for a face now and then), unless it is one of `may_show`, the consented faces."""
    settings = CheckSettings()
    detector = FaceDetector(settings)
    found = []
    for index, (before, shown) in enumerate(zip(decoded(source), decoded(output), strict=True)):
        if index % every:
            continue
        # A tool may round the size up (deface writes 1080p as 1088 rows): compare like with like.
        after = cv2.resize(shown, before.shape[1::-1]) if shown.shape != before.shape else shown
        allowed = (may_show or {}).get(index, [])
        for face in detector.detect(after):
            box = face.box
            if not judge_visibility(face, after, settings).clearly_visible or _overlaps(box, allowed):
                continue
            if detail_kept(before, after, box) >= STILL_DETAIL and is_a_face(before, box):
                found.append((index, box))
    return found


@cache
def _second_opinion() -> dlib.cnn_face_detection_model_v1:
    return dlib.cnn_face_detection_model_v1(face_recognition_models.cnn_face_detector_model_location())


def is_a_face(pixels: np.ndarray, box: Box) -> bool:
    """dlib's CNN face detector, trained apart from ours, finds a face centred in `box`.

    The box is cut out with its surroundings and scaled to 100 px, the size dlib finds best."""
    side = max(box.width, box.height, 1)
    scale = _LOOK / 2 / side
    centre = box.centre
    matrix = np.array([[scale, 0, _LOOK / 2 - centre[0] * scale], [0, scale, _LOOK / 2 - centre[1] * scale]])
    look = cv2.warpAffine(pixels, matrix, (_LOOK, _LOOK), borderMode=cv2.BORDER_REPLICATE)
    middle = _LOOK // 2
    return any(
        d.rect.left() <= middle <= d.rect.right() and d.rect.top() <= middle <= d.rect.bottom()
        for d in _second_opinion()(look, 0)
    )


def detail_kept(before: np.ndarray, after: np.ndarray, box: Box) -> float:
    """Correlation of the fine detail (what makes a face recognisable) inside `box`: near 1 when
    the output shows the source's face, near 0 when it was pixelated or blurred."""

    def detail(pixels: np.ndarray) -> np.ndarray:
        gray = cv2.cvtColor(pixels[box.top : box.bottom, box.left : box.right], cv2.COLOR_RGB2GRAY).astype(np.float32)
        return gray - cv2.GaussianBlur(gray, (0, 0), 1.5)

    a, b = detail(before), detail(after)
    return float((a * b).sum() / np.sqrt((a * a).sum() * (b * b).sum() + 1e-9))


def _overlaps(box: Box, others: list[Box], least: float = 0.3) -> bool:
    """A detection lies on one of `others`: by IoU, or it is a smaller piece mostly inside it (the
    detector sometimes fires on part of a consented face, such as an ear and its edge, which is that
    face, not another). A smaller face only partly over a consented one is still checked."""
    return any(
        (shared := box.intersection(o)) / (box.area + o.area - shared) >= least
        or (shared > box.area / 2 and box.area < o.area)
        for o in others
    )


def expect_same_frames_and_sound(source: Path, output: Path) -> None:
    with av.open(str(source)) as a, av.open(str(output)) as b:
        frames_a, frames_b = _frame_times(a), _frame_times(b)
        assert len(frames_a) == len(frames_b)
        step = 1 / float(a.streams.video[0].average_rate)
        assert abs(frames_a[-1] - frames_b[-1]) <= step and abs(frames_a[0] - frames_b[0]) <= step
        if a.streams.audio:
            assert sound_packets(source) == sound_packets(output), "the sound is copied packet for packet"
            assert b.streams.audio[0].codec_context.extradata == a.streams.audio[0].codec_context.extradata


def _frame_times(container: av.container.InputContainer) -> list[float]:
    return [float(f.time) for f in container.decode(video=0)]


def sound_packets(path: Path) -> list[tuple[Fraction, bytes]]:
    """Every sound packet: when it plays, and its bytes."""
    with av.open(str(path)) as container:
        return [(p.pts * p.time_base, bytes(p)) for p in container.demux(audio=0) if p.size]


def phone_video(target: Path, seconds: int = 30, size: tuple[int, int] = (1920, 1080)) -> Path:
    """The sample clip (lin_manuel_miranda and alex_lacamoire on stage) as a phone films it: H.264
    at `size` with AAC sound, looped to `seconds` long."""
    with av.open(str(SAMPLE_CLIP)) as source:
        rate = source.streams.video[0].average_rate
        pictures = [f.to_ndarray(format="rgb24") for f in source.decode(video=0)]
    with av.open(str(SAMPLE_CLIP)) as source:
        sounds = [f.to_ndarray() for f in source.decode(audio=0)]
        sample_rate, layout = source.streams.audio[0].rate, source.streams.audio[0].layout.name
    with av.open(str(target), "w", format="mp4", container_options={"movflags": "+faststart"}) as container:
        video = container.add_stream("libx264", rate=rate)
        video.width, video.height, video.pix_fmt = *size, "yuv420p"
        video.options = {"crf": "23", "preset": "ultrafast"}
        audio = container.add_stream("aac", rate=sample_rate, layout=layout)
        for index in range(round(seconds * rate)):
            picture = cv2.resize(pictures[index % len(pictures)], size, interpolation=cv2.INTER_LINEAR)
            container.mux(video.encode(av.VideoFrame.from_ndarray(picture, format="rgb24")))
        container.mux(video.encode())
        _loop_sound(container, audio, sounds, seconds)
    return target


def _loop_sound(container: av.container.OutputContainer, audio, sounds: list[np.ndarray], seconds: int) -> None:
    rate, layout, played = audio.codec_context.sample_rate, audio.codec_context.layout.name, 0
    for samples in itertools.cycle(sounds):
        if played >= seconds * rate:
            break
        frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(samples), format="fltp", layout=layout)
        frame.sample_rate, frame.pts, frame.time_base = rate, played, Fraction(1, rate)
        container.mux(audio.encode(frame))
        played += samples.shape[1]
    container.mux(audio.encode())
