"""Check a video the way a photo is checked, per face track instead of per face; write what may go out.

Only the frame source differs from photos: frames are decoded with PyAV and turned upright
from the container's rotation; the detector looks at sampled frames (every
`video_detection_interval` and around every scene cut) and `tracking.FaceTracker` follows
each face in between. A track is judged (R1), matched (R15) and decided per channel (R2) with
the same stages as a photo's face. Rendering redacts each hidden track in every frame from
its first to its last, encodes web-playable H.264 and copies the sound packet for packet,
with no metadata (R10). Models run in one worker thread beside decoding and flow.
"""

import logging
import shutil
from collections import Counter, defaultdict, deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path

import av
import cv2
import numpy as np
from av.video.reformatter import ColorRange

from mediacheck.check import FACE_CHECK_FAILED, CheckedFace, PhotoChecker
from mediacheck.faces import Box, Face
from mediacheck.formats import FileKind, file_kind
from mediacheck.imaging import ImageError
from mediacheck.matching import NOT_CHECKED, Match, MatchStatus
from mediacheck.policy import ChannelDecision, FaceFacts, decide, decide_unreadable
from mediacheck.redaction import head_region, redact
from mediacheck.tracking import FaceTracker, TrackPath
from mediacheck.visibility import Visibility, judge_visibility

log = logging.getLogger(__name__)
VIDEO_SUFFIXES = {".mp4", ".mov", ".m4v", ".webm", ".mkv"}
GRAY_LONG_SIDE = 640
"""Long side, in px, of the gray frames that the flow and the cut detection run on."""
CUT_DIFFERENCE = 20.0
"""Mean grey-level change of a 32×18 thumbnail that marks a scene cut."""
MATCH_INTERVAL = 1.0
"""Seconds between two templates of one track: each costs a face encoding."""
HOLD_SECONDS = 1.0
"""How long a track the detector no longer finds is still covered, moving with the flow."""
QUEUE_SECONDS = 1.0
"""How far, in video seconds, decoding may run ahead of the tracker."""
X264_OPTIONS = {"crf": "20", "preset": "superfast", "profile": "high", "a53cc": "0"}
"""Good quality for event footage and quick to encode (a slower preset only makes the file
smaller); `a53cc=0`: closed captions in the source are not carried over."""
MP4_AUDIO = {"aac", "mp3", "opus", "alac", "flac", "ac3", "eac3"}
"""Sound codecs that go into MP4 unchanged; any other is re-encoded as AAC."""

ProgressCallback = Callable[[int, int], None]
"""Called with (frames done, frames in total) while a video is checked or written."""


class VideoError(ImageError):
    """A video that cannot be checked or written; the message says why, for a teacher."""


@dataclass(frozen=True)
class Observation:
    """What the detector saw of a track at one sampled frame."""

    frame: int
    face: CheckedFace


@dataclass(frozen=True)
class CheckedTrack:
    path: TrackPath
    observations: tuple[Observation, ...]
    match: Match
    """One identity for the whole track (see `track_identity`)."""

    @property
    def clearly_visible(self) -> bool:
        """Clearly visible at any sampled frame (R1): then the whole track needs consent."""
        return any(o.face.visibility.clearly_visible for o in self.observations)

    @property
    def facts(self) -> FaceFacts:
        return FaceFacts(self.clearly_visible, self.match, max(o.face.face.box.area for o in self.observations))


@dataclass(frozen=True)
class CheckedVideo:
    """The outcome for one video file. `error` set means nothing of it may go out."""

    path: Path
    width: int = 0
    height: int = 0
    frames: int = 0
    fps: float = 0.0
    duration: float = 0.0
    tracks: tuple[CheckedTrack, ...] = ()
    decisions: dict[str, ChannelDecision] = field(default_factory=dict)
    error: str | None = None


def is_video(path: Path) -> bool:
    """A video by its bytes, whatever its name says (a GIF named `.mp4` is not one)."""
    return file_kind(path) is FileKind.VIDEO


def check_video(checker: PhotoChecker, path: Path, on_progress: ProgressCallback | None = None) -> CheckedVideo:
    """Check one video. Any failure is reported in the result, never raised (fail closed)."""
    try:
        with _open(path, checker.settings.max_video_seconds) as container:
            video = _follow_faces(checker, path, container, on_progress or _ignore)
    except VideoError as error:
        return CheckedVideo(path, error=str(error), decisions=decide_unreadable(checker.policy))
    except Exception:  # any decoder or model failure must block, not crash the batch
        log.exception("the check of the video %s failed", path)
        return CheckedVideo(path, error=FACE_CHECK_FAILED, decisions=decide_unreadable(checker.policy))
    return replace(video, decisions=decide([t.facts for t in video.tracks], checker.consents, checker.policy))


def track_identity(matches: list[Match]) -> Match:
    """One identity from the templates along a track: matched only when every one of them is a
    confident match to the same person, unknown when all are unknown, otherwise unsure about
    the person named most often (R15). A track may have jumped to someone else's face."""
    checked = [m for m in matches if m.status is not MatchStatus.NOT_CHECKED]
    if not checked:
        return NOT_CHECKED
    if all(m.status is MatchStatus.UNKNOWN for m in checked):
        return min(checked, key=_distance)
    ((candidate, _),) = Counter(m.person for m in checked if m.person).most_common(1)
    theirs = [m for m in checked if m.person == candidate]
    agree = all(m.status is MatchStatus.MATCHED and m.person == candidate for m in checked)
    margin = min((m.margin for m in theirs if m.margin is not None), default=None)
    status = MatchStatus.MATCHED if agree else MatchStatus.UNSURE
    return Match(status, candidate, min(theirs, key=_distance).distance, margin)


def _distance(match: Match) -> float:
    return float("inf") if match.distance is None else match.distance


def render_videos(
    checker: PhotoChecker,
    checked: CheckedVideo,
    targets: Mapping[str, Path],
    on_progress: ProgressCallback | None = None,
) -> dict[str, Path]:
    """Write, for each channel in `targets`, the MP4 that may go out there; skip the others.

    Channels hiding the same tracks the same way share one encode. Returns what was written.
    A failure removes every file of this video it wrote and raises `VideoError`."""
    groups: dict[tuple, list[str]] = defaultdict(list)
    for channel in targets:
        decision = checked.decisions.get(channel)
        if not checked.error and decision is not None and decision.may_go_out:
            groups[(decision.redact, checker.policy.channel(channel).redaction)].append(channel)
    written: dict[str, Path] = {}
    total = checked.frames * len(groups)
    try:
        for done, ((hidden, style), channels) in enumerate(groups.items()):
            first = targets[channels[0]]
            paths = [checked.tracks[i].path for i in hidden]
            progress = _offset_progress(on_progress or _ignore, done * checked.frames, total)
            write_redacted(checked.path, first, paths, style, progress)
            written[channels[0]] = first
            for channel in channels[1:]:
                targets[channel].parent.mkdir(parents=True, exist_ok=True)
                written[channel] = Path(shutil.copyfile(first, targets[channel]))
    except BaseException:
        for path in written.values():
            path.unlink(missing_ok=True)
        raise
    return written


def write_redacted(
    source: Path, target: Path, hidden: Sequence[TrackPath], style: str, on_progress: ProgressCallback | None = None
) -> None:
    """Write `source` as web-playable MP4 to `target` with the `hidden` face tracks redacted in
    `style` in every frame they cover and the sound copied unchanged; raises `VideoError`."""
    _encode(source, target, partial(_boxes_at, list(hidden)), style, on_progress or _ignore)


def still(source: Path, tracks: Sequence[TrackPath], hidden: Sequence[int], style: str) -> np.ndarray:
    """A preview of the copy `write_redacted` would make hiding `tracks[i] for i in hidden`: the
    upright RGB frame where the most faces are on screen, redacted exactly as that copy's frame is."""
    frame = busiest_frame(tracks)
    try:
        with av.open(str(source), metadata_errors="ignore") as container:
            for index, picture in enumerate(container.decode(_film(container))):
                if index == frame:
                    shown = _redacted_frame(picture, _boxes_at([tracks[i] for i in hidden], frame), style)
                    return shown.to_ndarray(format="rgb24")
    except av.FFmpegError:
        raise VideoError("damaged or truncated video: its pictures cannot be read") from None
    raise VideoError("the video ended before the frame to show")


def frame_at(source: Path, ms: int) -> np.ndarray:
    """The upright RGB frame the check saw at `ms`: frames are numbered in decoding order and timed
    at the stream's average rate, exactly as the check records a face's time."""
    try:
        with av.open(str(source), metadata_errors="ignore") as container:
            stream = _film(container)
            stream.thread_type = "AUTO"
            wanted = round(ms * float(stream.average_rate or stream.guessed_rate or 30) / 1000)
            for index, picture in enumerate(container.decode(stream)):
                if index == wanted:
                    return _upright_rgb(picture)
    except av.FFmpegError as error:
        raise VideoError(f"cannot read the video: {_reason(error)}") from None
    raise VideoError("the video ended before the frame to show")


def busiest_frame(tracks: Sequence[TrackPath]) -> int:
    """The first frame with the most face tracks on screen (0 when there are none)."""
    if not tracks:
        return 0
    on_screen = np.zeros(max(t.last_frame for t in tracks) + 2, dtype=np.int32)
    for track in tracks:
        on_screen[track.first_frame] += 1
        on_screen[track.last_frame + 1] -= 1
    return int(np.argmax(np.cumsum(on_screen)))


def save_tracks(tracks: Sequence[CheckedTrack], target: Path) -> None:
    """Keep where each track's face is in every frame, in track order, so a copy can be written
    later without checking the video again. Positions only: no template, no identity (R11a)."""
    paths = [track.path for track in tracks]
    boxes = np.concatenate([p.boxes for p in paths]) if paths else np.zeros((0, 4))
    partial = target.with_name(f".{target.name}.part")
    with partial.open("wb") as file:  # an open file: numpy would add ".npz" to a name
        np.savez_compressed(
            file,
            first_frames=np.array([p.first_frame for p in paths], dtype=np.int64),
            lengths=np.array([len(p.boxes) for p in paths], dtype=np.int64),
            boxes=boxes,
        )
    partial.replace(target)  # whole or not at all: another worker may be writing the same tracks


def load_tracks(source: Path) -> list[TrackPath]:
    """The tracks `save_tracks` kept; raises `VideoError` when they are missing or unreadable."""
    try:
        with np.load(source) as kept:
            first_frames, lengths, boxes = kept["first_frames"], kept["lengths"], kept["boxes"]
    except (OSError, KeyError, ValueError) as error:
        raise VideoError(f"the video's face tracks cannot be read ({_reason(error)}): check it again") from None
    ends = np.cumsum(lengths)
    return [
        TrackPath(int(first), boxes[end - length : end])
        for first, length, end in zip(first_frames, lengths, ends, strict=True)
    ]


# --- reading ---------------------------------------------------------------------------------


@dataclass
class _Frame:
    """A decoded frame on its way to the tracker; `look` is the detector's pending answer."""

    index: int
    picture: av.VideoFrame | None
    gray: np.ndarray
    sampled: bool
    cut: bool
    look: "Future[_Look] | None" = None


@dataclass(frozen=True)
class _Look:
    pixels: np.ndarray
    faces: list[Face]
    visibility: list[Visibility]


class _Follower:
    """Feeds the tracker in frame order and keeps, per track, what the detector saw of it.

    A clearly visible face is matched at its first sample and then every `MATCH_INTERVAL`.
    Matching goes to the model thread too: dlib holds the interpreter while it encodes, which
    would stall decoding and the flow here."""

    def __init__(self, checker: PhotoChecker, models: ThreadPoolExecutor, first: _Frame, fps: float, interval: int):
        self.checker, self.models = checker, models
        self.size = _upright_size(first.picture)
        scale = first.gray.shape[1] / self.size[0]
        self.tracker = FaceTracker(scale, interval, max(1, round(HOLD_SECONDS * fps)))
        self.match_every = max(1, round(MATCH_INTERVAL * fps))
        self.seen: dict[int, list[tuple[int, Face, Visibility, Future[Match] | None]]] = defaultdict(list)
        self.last_match: dict[int, int] = {}

    def feed(self, item: _Frame) -> None:
        if item.look is None:
            self.tracker.advance(item.gray)
            return
        look = item.look.result()
        ids = self.tracker.sample(item.gray, [f.box for f in look.faces], cut=item.cut)
        for face, visibility, track in zip(look.faces, look.visibility, ids, strict=True):
            due = visibility.clearly_visible and self._match_due(track, item)
            match = self.models.submit(self._match, look.pixels, face, visibility) if due else None
            self.seen[track].append((item.index, face, visibility, match))

    def _match(self, pixels: np.ndarray, face: Face, visibility: Visibility) -> Match:
        (match,) = self.checker.match_visible(pixels, [face], [visibility])
        return match

    def _match_due(self, track: int, item: _Frame) -> bool:
        if item.index - self.last_match.get(track, -self.match_every) < self.match_every:
            return False
        self.last_match[track] = item.index
        return True

    def tracks(self) -> tuple[CheckedTrack, ...]:
        tracks = []
        for i, path in enumerate(self.tracker.finish()):
            observations = tuple(
                Observation(frame, CheckedFace(face, visibility, match.result() if match else NOT_CHECKED))
                for frame, face, visibility, match in self.seen[i]
            )
            tracks.append(CheckedTrack(path, observations, track_identity([o.face.match for o in observations])))
        return tuple(tracks)


def _open(path: Path, max_seconds: float) -> av.container.InputContainer:
    """Open a container with a video stream of acceptable length; refuse anything else."""
    try:
        if path.stat().st_size == 0:
            raise VideoError("empty file (0 bytes)")
        container = av.open(str(path), metadata_errors="ignore")
    except av.FFmpegError:
        raise VideoError("not a readable video: damaged, truncated or not a video format") from None
    except OSError as error:
        raise VideoError(f"cannot read file: {error.strerror or error}") from None
    try:
        _film(container)
        seconds = _duration(container)
        if seconds > max_seconds:
            raise VideoError(f"video too long: {_minutes(seconds)}, the limit is {_minutes(max_seconds)}")
    except BaseException:
        container.close()
        raise
    return container


def _film(container: av.container.Container):
    """The moving picture: the first video stream that is not a still (such as an album cover)."""
    for stream in container.streams.video:
        if not stream.disposition & (av.stream.Disposition.attached_pic | av.stream.Disposition.still_image):
            return stream
    raise VideoError(f"not a video: {'an audio-only file' if container.streams.audio else 'no video in it'}")


def _follow_faces(
    checker: PhotoChecker, path: Path, container: av.container.InputContainer, on_progress
) -> CheckedVideo:
    """Decode every frame, detect on the sampled ones in the model thread, follow faces between;
    the result has every track but no decision yet."""
    stream = _film(container)
    stream.thread_type = "AUTO"
    fps = float(stream.average_rate or stream.guessed_rate or 30)
    interval = max(1, round(checker.settings.video_detection_interval * fps))
    expected = stream.frames or round(_duration(container) * fps)
    queue: deque[_Frame] = deque()
    follower: _Follower | None = None
    with ThreadPoolExecutor(1, thread_name_prefix="models") as models:
        for item in _schedule(_decoded(container, stream, checker.settings.max_video_seconds), interval):
            if follower is None:
                follower = _Follower(checker, models, item, fps, interval)
            if item.sampled:
                item.look = models.submit(_look, checker, item.picture)
            item.picture = None
            queue.append(item)
            while queue and (queue[0].look is None or queue[0].look.done() or len(queue) > QUEUE_SECONDS * fps):
                follower.feed(queue.popleft())
            if item.index % 10 == 0:
                on_progress(item.index + 1, max(expected, item.index + 1))
        while queue:
            follower.feed(queue.popleft())
        if follower is None:
            raise VideoError("damaged video: no frame could be decoded")
        tracks = follower.tracks()
    frames = follower.tracker.frame + 1
    on_progress(frames, frames)
    seconds = float(stream.duration * stream.time_base) if stream.duration else frames / fps
    return CheckedVideo(path, *follower.size, frames, fps, seconds, tracks)


def _look(checker: PhotoChecker, picture: av.VideoFrame) -> _Look:
    """The detector's and the visibility judge's view of one frame (runs in the model thread)."""
    pixels = _upright_rgb(picture)
    faces = checker.detector.detect(pixels)
    return _Look(pixels, faces, [judge_visibility(f, pixels, checker.settings) for f in faces])


def _decoded(container: av.container.InputContainer, stream, max_seconds: float) -> Iterator[av.VideoFrame]:
    """Every frame in order. A decoding error, a file that ends before the frames its header
    lists, or a stream running past the limit is a `VideoError`."""
    packets = 0
    try:
        for packet in container.demux(stream):
            packets += packet.size > 0
            for picture in packet.decode():
                if picture.time is not None and picture.time > max_seconds + 1:
                    raise VideoError(f"video too long: it runs past the limit of {_minutes(max_seconds)}")
                yield picture
    except av.FFmpegError:
        raise VideoError("damaged or truncated video: its pictures cannot be read") from None
    if packets < stream.frames:
        raise VideoError(f"truncated video: the file holds {packets} of its {stream.frames} frames")


def _schedule(pictures: Iterator[av.VideoFrame], interval: int) -> Iterator[_Frame]:
    """Each frame with its gray picture and whether the detector looks at it: every `interval`
    frames, and the first and last frame of every scene (so no face can start or end unseen)."""
    pending: _Frame | None = None
    last_sample = -interval
    for index, picture in enumerate(pictures):
        gray = _gray(picture)
        cut = pending is None or _is_cut(pending.gray, gray)
        if pending is not None:
            pending.sampled = pending.sampled or cut
            yield pending
        sampled = cut or index - last_sample >= interval
        last_sample = index if sampled else last_sample
        pending = _Frame(index, picture, gray, sampled, cut)
    if pending is not None:
        pending.sampled = True
        yield pending


def _is_cut(before: np.ndarray, after: np.ndarray) -> bool:
    small = [cv2.resize(g, (32, 18), interpolation=cv2.INTER_AREA).astype(np.int16) for g in (before, after)]
    return float(np.abs(small[0] - small[1]).mean()) > CUT_DIFFERENCE


def _rotation(picture: av.VideoFrame) -> int:
    """Quarter turns counter-clockwise that make the frame upright (the container's display matrix)."""
    return round((picture.rotation or 0) / 90) % 4


def _upright_size(picture: av.VideoFrame) -> tuple[int, int]:
    width, height = picture.width, picture.height
    return (height, width) if _rotation(picture) % 2 else (width, height)


def _upright_rgb(picture: av.VideoFrame) -> np.ndarray:
    return np.ascontiguousarray(np.rot90(picture.to_ndarray(format="rgb24"), _rotation(picture)))


def _gray(picture: av.VideoFrame) -> np.ndarray:
    scale = min(1.0, GRAY_LONG_SIDE / max(picture.width, picture.height))
    width, height = max(2, round(picture.width * scale)), max(2, round(picture.height * scale))
    gray = picture.reformat(width=width, height=height, format="gray").to_ndarray()
    return np.ascontiguousarray(np.rot90(gray, _rotation(picture)))


def _duration(container: av.container.InputContainer) -> float:
    """Seconds, from the container or the video stream's header; 0 when neither says."""
    if container.duration:
        return container.duration / av.time_base
    stream = _film(container)
    return float(stream.duration * stream.time_base) if stream.duration and stream.time_base else 0.0


def _minutes(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f} s"
    hours, minutes = divmod(round(seconds / 60), 60)
    return f"{hours} h {minutes} min" if hours else f"{minutes} min"


def _reason(error: Exception) -> str:
    return getattr(error, "strerror", None) or str(error)


def _ignore(done: int, total: int) -> None:
    """The default progress callback."""


def _offset_progress(on_progress: ProgressCallback, offset: int, total: int) -> ProgressCallback:
    return lambda done, _: on_progress(offset + done, total)


# --- writing ---------------------------------------------------------------------------------


def _boxes_at(paths: list[TrackPath], frame: int) -> list[Box]:
    return [box for box in (p.box_at(frame) for p in paths) if box is not None]


def _encode(source: Path, target: Path, hide: Callable[[int], list[Box]], style: str, on_progress) -> None:
    """Re-encode `source` into `target` with the boxes `hide(frame index)` redacted in every frame,
    the sound copied unchanged, nothing else. Written beside the target, then renamed."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.part")
    try:
        with (
            av.open(str(source), metadata_errors="ignore") as reader,
            av.open(str(partial), "w", format="mp4", container_options={"movflags": "+faststart"}) as writer,
        ):
            _transcode(reader, writer, hide, style, on_progress)
        partial.replace(target)
    except Exception as error:  # noqa: BLE001 - whatever went wrong, nothing half-written is left
        partial.unlink(missing_ok=True)
        reason = str(error) if isinstance(error, VideoError) else f"could not write {target.name}: {_reason(error)}"
        raise VideoError(reason) from None
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


def _transcode(reader, writer, hide: Callable[[int], list[Box]], style: str, on_progress) -> None:
    video_in = _film(reader)
    video_in.thread_type = "AUTO"
    sound_in = reader.streams.audio[0] if reader.streams.audio else None
    video_out, sound = None, None
    held: list[av.Packet] = []
    index = 0
    for packet in reader.demux(*(s for s in (video_in, sound_in) if s)):
        if packet.stream.type == "audio":
            # Nothing may be written before the video stream exists, and it needs a first frame.
            held.append(packet) if video_out is None else sound.write(packet)
            continue
        for picture in packet.decode():
            if video_out is None:
                video_out = _video_stream(writer, video_in, picture)
                sound = _Sound(writer, sound_in) if sound_in else None
                for early in held:
                    sound.write(early)
            for out in video_out.encode(_redacted_frame(picture, hide(index), style)):
                writer.mux(out)
            index += 1
            if index % 10 == 0:
                on_progress(index, index)
    if video_out is None:
        raise VideoError("damaged video: no frame could be decoded")
    for out in video_out.encode():
        writer.mux(out)
    if sound:
        sound.flush()


def _video_stream(writer, video_in, first: av.VideoFrame):
    """H.264 in yuv420p at the source's frame rate and time base, so every frame keeps its time."""
    width, height = _upright_size(first)
    stream = writer.add_stream("libx264", rate=video_in.average_rate or video_in.guessed_rate or 30)
    stream.width, stream.height = width - width % 2, height - height % 2
    stream.pix_fmt = "yuv420p"
    stream.time_base = video_in.time_base
    stream.options = dict(X264_OPTIONS)
    context = stream.codec_context
    context.time_base = video_in.time_base  # not 1/fps: phones film at a variable rate
    # Other formats are converted to limited-range yuv420p on the way (`_upright_planes`).
    context.color_range = first.color_range if first.format.name == "yuv420p" else ColorRange.MPEG
    context.colorspace = first.colorspace
    context.color_primaries = first.color_primaries
    context.color_trc = first.color_trc
    return stream


def _redacted_frame(picture: av.VideoFrame, boxes: list[Box], style: str) -> av.VideoFrame:
    """The frame upright in yuv420p with `boxes` redacted, at the source frame's time.

    Work stays in the decoder's YUV planes: only each head region goes to RGB and back, so the
    rest of the frame reaches the encoder bit for bit, and a frame with nothing to hide and
    nothing to turn is passed on as decoded."""
    turns = _rotation(picture)
    even = picture.width % 2 == 0 and picture.height % 2 == 0
    if not boxes and not turns and even and picture.format.name == "yuv420p":
        picture.pict_type = av.video.frame.PictureType.NONE
        return picture
    planes = _upright_planes(picture, turns)
    for box in boxes:
        _redact_planes(planes, box, style)
    packed = np.concatenate([p.ravel() for p in planes]).reshape(-1, planes[0].shape[1])
    frame = av.VideoFrame.from_ndarray(packed, format="yuv420p")
    frame.pts, frame.time_base = picture.pts, picture.time_base
    return frame


def _upright_planes(picture: av.VideoFrame, turns: int) -> list[np.ndarray]:
    """Y, U and V of the frame at even width and height, turned upright."""
    width, height = picture.width - picture.width % 2, picture.height - picture.height % 2
    if (width, height) != (picture.width, picture.height) or picture.format.name != "yuv420p":
        picture = picture.reformat(width=width, height=height, format="yuv420p")
    packed = picture.to_ndarray()
    y = packed[:height]
    u, v = packed[height:].reshape(2, height // 2, width // 2)
    return [np.ascontiguousarray(np.rot90(p, turns)) for p in (y, u, v)]


def _redact_planes(planes: list[np.ndarray], face: Box, style: str) -> None:
    """Redact one face in place: its head region, widened to even edges, through RGB and back."""
    y, u, v = planes
    height, width = y.shape
    head = head_region(face, width, height)
    top, left = head.top - head.top % 2, head.left - head.left % 2
    bottom, right = min(height, head.bottom + head.bottom % 2), min(width, head.right + head.right % 2)
    if bottom <= top or right <= left:
        return
    size = (right - left, bottom - top)
    chroma = (slice(top // 2, bottom // 2), slice(left // 2, right // 2))
    yuv = cv2.merge([y[top:bottom, left:right]] + [cv2.resize(p[chroma], size) for p in (u, v)])
    shifted = Box(face.top - top, face.right - left, face.bottom - top, face.left - left)
    rgb = redact(cv2.cvtColor(yuv, cv2.COLOR_YUV2RGB), [shifted], style)
    back = cv2.cvtColor(rgb, cv2.COLOR_RGB2YUV)
    y[top:bottom, left:right] = back[..., 0]
    for i, plane in enumerate((u, v), start=1):
        plane[chroma] = cv2.resize(back[..., i], (size[0] // 2, size[1] // 2), interpolation=cv2.INTER_AREA)


class _Sound:
    """The source's sound in the output: its packets copied unchanged when MP4 can carry the
    codec (the usual case: AAC from phones, Opus from WebM), re-encoded as AAC otherwise."""

    def __init__(self, writer, source) -> None:
        self.writer = writer
        self.copy = source.codec_context.name in MP4_AUDIO
        if self.copy:
            self.stream = writer.add_stream_from_template(source)
        else:
            self.stream = writer.add_stream("aac", rate=source.codec_context.sample_rate)
            self.stream.layout = source.codec_context.layout
        self.stream.metadata.clear()

    def write(self, packet: av.Packet) -> None:
        if packet.dts is None:
            return
        if self.copy:
            packet.stream = self.stream
            self.writer.mux(packet)
            return
        for frame in packet.decode():
            frame.pts = None
            for out in self.stream.encode(frame):
                self.writer.mux(out)

    def flush(self) -> None:
        if not self.copy:
            for out in self.stream.encode():
                self.writer.mux(out)
