"""Video benchmark: frames per second for 720p30 and 1080p30 clips, beside deface's command line
(defaults, and with its detection scaled to 640x360) on the same clips in the same run, and the
frames in which a face that needed hiding still shows after each tool.

    nice python -m benchmarks.video_check [--skip-slips]

The clips are the sample clip (the sample faces' video/, with its sound) scaled up and re-timed to
30 frames/s, made in a temporary folder. mediacheck runs the whole check (detect, follow,
match against the sample gallery, decide) and writes the public channel's MP4; nobody in the
clip is recognised with confidence, so every face is to be hidden, as it is for deface.
A slip is counted with `tests.video_clips.slips`: the detector run on every output frame finds
a clearly visible face of the source frame whose detail survived.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import av
import cv2

from mediacheck.check import PhotoChecker
from mediacheck.consent_file import read_consents
from mediacheck.gallery import load_gallery
from mediacheck.policy import ChannelStatus
from mediacheck.samples import CONSENTS, sample_faces_dir
from mediacheck.video import CheckedVideo, check_video, render_videos
from tests.video_clips import SAMPLE_CLIP, slips

SAMPLES = sample_faces_dir()
SIZES = {"720p30": (1280, 720), "1080p30": (1920, 1080)}
DEFACE = Path(sys.executable).with_name("deface")
CHANNEL = "public"


@dataclass(frozen=True)
class Run:
    tool: str
    seconds: float
    frames: int
    output: Path
    load: float = field(default_factory=lambda: os.getloadavg()[0])
    """The machine's load average over the last minute when the run ended: other jobs share it."""
    slipped: int | None = None


def make_clip(target: Path, size: tuple[int, int]) -> Path:
    """The sample clip scaled to `size` at 30 frames/s, its sound packets copied."""
    with av.open(str(SAMPLE_CLIP)) as reader, av.open(str(target), "w") as writer:
        video = writer.add_stream("libx264", rate=30)
        video.width, video.height = size
        video.pix_fmt = "yuv420p"
        video.options = {"crf": "18", "preset": "veryfast"}
        sound = writer.add_stream_from_template(reader.streams.audio[0])
        for packet in reader.demux():
            if packet.stream.type == "audio" and packet.dts is not None:
                packet.stream = sound
                writer.mux(packet)
            elif packet.stream.type == "video":
                for frame in packet.decode():
                    pixels = cv2.resize(frame.to_ndarray(format="rgb24"), size, interpolation=cv2.INTER_CUBIC)
                    writer.mux(video.encode(av.VideoFrame.from_ndarray(pixels, format="rgb24")))
        writer.mux(video.encode())
    return target


def as_reviewed(checked: CheckedVideo) -> CheckedVideo:
    """The decisions after a reviewer answers "not this student" for every unsure track."""
    decisions = {
        name: replace(d, status=ChannelStatus.REDACTED) if d.status is ChannelStatus.REVIEW else d
        for name, d in checked.decisions.items()
    }
    return replace(checked, decisions=decisions)


def run_mediacheck(checker: PhotoChecker, clip: Path, out: Path) -> tuple[Run, dict[str, float]]:
    start = time.perf_counter()
    checked = check_video(checker, clip)
    checked_at = time.perf_counter()
    if checked.error:
        raise RuntimeError(checked.error)
    written = render_videos(checker, as_reviewed(checked), {CHANNEL: out / "mediacheck.mp4"})
    end = time.perf_counter()
    stages = {"check": checked_at - start, "write": end - checked_at, "tracks": len(checked.tracks)}
    return Run("mediacheck", end - start, checked.frames, written[CHANNEL]), stages


def run_deface(clip: Path, out: Path, frames: int, *options: str) -> Run:
    target = out / f"deface{'_'.join(('', *options)).replace('-', '')}.mp4"
    start = time.perf_counter()
    subprocess.run([str(DEFACE), str(clip), "-o", str(target), *options], check=True, capture_output=True)
    return Run(" ".join(("deface", *options)), time.perf_counter() - start, frames, target)


def print_table(results: dict[str, list[Run]], stages: dict[str, dict[str, float]], cores: int) -> None:
    print(f"\n{cores} cores; frames/s over the whole run of each tool (decode, detect, redact, encode)\n")
    print("| clip | tool | s | frames/s | × real time | × deface | frames with a slip | load |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for clip, runs in results.items():
        baseline = next(r for r in runs if r.tool == "deface").seconds
        for r in runs:
            fps = r.frames / r.seconds
            slipped = "-" if r.slipped is None else f"{r.slipped} / {r.frames}"
            print(
                f"| {clip} | {r.tool} | {r.seconds:.1f} | {fps:.1f} | {fps / 30:.2f} | "
                f"{baseline / r.seconds:.1f} | {slipped} | {r.load:.1f} |"
            )
    print("\nmediacheck stages, seconds:")
    for clip, s in stages.items():
        print(
            f"  {clip}: check {s['check']:.1f} (detect, follow, match) · write {s['write']:.1f} · {s['tracks']} tracks"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-slips", action="store_true", help="do not count slips (the slowest part)")
    args = parser.parse_args()
    os.nice(5)
    checker = PhotoChecker(consents=read_consents(CONSENTS))
    checker.gallery = load_gallery(checker, SAMPLES / "people").gallery
    results: dict[str, list[Run]] = {}
    stages: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, size in SIZES.items():
            out = Path(tmp) / name
            out.mkdir()
            print(f"… {name}: making the clip", file=sys.stderr)
            clip = make_clip(out / "clip.mp4", size)
            print(f"… {name}: mediacheck", file=sys.stderr)
            ours, stages[name] = run_mediacheck(checker, clip, out)
            runs = [ours]
            for options in ((), ("--scale", "640x360")):
                print(f"… {name}: deface {' '.join(options)}", file=sys.stderr)
                runs.append(run_deface(clip, out, ours.frames, *options))
            if not args.skip_slips:
                for i, run in enumerate(runs):
                    print(f"… {name}: counting slips after {run.tool}", file=sys.stderr)
                    runs[i] = replace(run, slipped=len({frame for frame, _ in slips(clip, run.output)}))
            for run in runs:
                print(f"… {name}: {run}", file=sys.stderr)
            results[name] = runs
    print_table(results, stages, os.cpu_count() or 1)


if __name__ == "__main__":
    main()
