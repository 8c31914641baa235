"""Photo-check benchmark: per-stage time, photos per second on one core, peak memory and recall,
beside the naive face_recognition pipeline and plain decoding, all measured in this one run.

    python benchmarks/photo_check.py [--repeat 3]

Sets: the sample event photos at their own size, the same upscaled to 12 MP, and EXIF-rotated
copies (pixels stored sideways with an orientation tag, as phones write portrait photos).
"""

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"  # one core, before numpy loads

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import cv2
import face_recognition
import numpy as np
from PIL import Image

from mediacheck.check import CheckedFace, CheckedPhoto, PhotoChecker
from mediacheck.faces import Box
from mediacheck.gallery import load_gallery
from mediacheck.imaging import open_photo
from mediacheck.policy import decide
from mediacheck.samples import GROUND_TRUTH, sample_faces_dir
from mediacheck.shake import shake_error
from mediacheck.visibility import judge_visibility

SAMPLES = sample_faces_dir()
TWELVE_MP = (4000, 3000)


@dataclass(frozen=True)
class Case:
    """One benchmark photo with its ground-truth boxes in upright coordinates."""

    path: Path
    truth: tuple[Box, ...]
    label: str


def make_cases(workdir: Path) -> dict[str, list[Case]]:
    truth = json.loads(GROUND_TRUTH.read_text())["images"]
    sets: dict[str, list[Case]] = defaultdict(list)
    for name, faces in sorted(truth.items()):
        boxes = tuple(Box(**f["box"]) for f in faces if f["required"])
        source = SAMPLES / "events" / name
        sets["own size"].append(Case(source, boxes, name))
        big, scale = _upscaled(source, workdir / f"12mp_{name}")
        sets["12 MP"].append(Case(big, tuple(_scaled(b, scale) for b in boxes), name))
        sets["EXIF-rotated"].append(Case(_sideways(source, workdir / f"exif_{name}"), boxes, name))
    return sets


def _upscaled(source: Path, target: Path) -> tuple[Path, float]:
    image = Image.open(source).convert("RGB")
    scale = (TWELVE_MP[0] * TWELVE_MP[1] / (image.width * image.height)) ** 0.5
    image.resize((round(image.width * scale), round(image.height * scale)), Image.Resampling.LANCZOS).save(
        target, quality=92
    )
    return target, scale


def _scaled(box: Box, scale: float) -> Box:
    return Box(*(round(v * scale) for v in (box.top, box.right, box.bottom, box.left)))


def _sideways(source: Path, target: Path) -> Path:
    exif = Image.Exif()
    exif[0x0112] = 8
    Image.open(source).convert("RGB").transpose(Image.Transpose.ROTATE_270).save(target, exif=exif, quality=92)
    return target


def found(truth: Box, boxes: list[Box]) -> bool:
    """A truth face counts as found when a detection's centre lies in it and its centre in the detection."""

    return any(b.contains(*truth.centre) and truth.contains(*b.centre) for b in boxes)


class Timer:
    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)

    def __call__(self, stage: str, work: Callable, *args):
        start = time.perf_counter()
        result = work(*args)
        self.seconds[stage] += time.perf_counter() - start
        self.calls[stage] += 1
        return result


class Timed:
    """Stands in for a model object and adds the time of one method to a stage."""

    def __init__(self, inner: object, method: str, stage: str, timer: Timer) -> None:
        self.inner, self.method, self.stage, self.timer = inner, method, stage, timer

    def __getattr__(self, name: str):
        attribute = getattr(self.inner, name)
        if name != self.method:
            return attribute
        return lambda *args: self.timer(self.stage, attribute, *args)

    def __len__(self) -> int:
        return len(self.inner)


def run_mediacheck(checker: PhotoChecker, case: Case, timer: Timer) -> list[Box]:
    """PhotoChecker.check + render for the public channel, with each stage timed."""
    photo = timer("decode", open_photo, case.path, checker.settings.max_pixels)
    faces = timer("detect", checker.detector.detect, photo.pixels)
    visibility = timer("visibility", lambda: [judge_visibility(f, photo.pixels, checker.settings) for f in faces])
    matches = checker.match_visible(photo.pixels, faces, visibility)  # encoder and gallery are Timed
    if not timer("shake", shake_error, photo.pixels, checker.settings):  # a shaken photo is neither decided nor sent
        checked_faces = tuple(CheckedFace(*row) for row in zip(faces, visibility, matches, strict=True))
        decisions = timer("decide", decide, [f.facts for f in checked_faces], checker.consents, checker.policy)
        checked = CheckedPhoto(case.path, photo.width, photo.height, checked_faces, decisions)
        timer("redact+write", checker.render, checked, photo, "public")
    return [f.box for f, v in zip(faces, visibility, strict=True) if v.clearly_visible]


def run_naive(case: Case, timer: Timer) -> list[Box]:
    """face_recognition's README pipeline: full-resolution HOG, 68-landmark encodings, no EXIF."""
    image = timer("decode", face_recognition.load_image_file, str(case.path))
    locations = timer("detect", face_recognition.face_locations, image)
    timer("encode", face_recognition.face_encodings, image, locations, 1, "large")
    return [Box(*loc) for loc in locations]


def run_decode_only(case: Case, timer: Timer) -> list[Box]:
    timer("decode", lambda: np.asarray(Image.open(case.path).convert("RGB")))
    return []


PIPELINES: dict[str, Callable[..., list[Box]]] = {
    "decode only (floor)": run_decode_only,
    "naive face_recognition": run_naive,
    "mediacheck": None,  # bound to a checker in main()
}


@dataclass(frozen=True)
class Result:
    seconds: float
    stages: dict[str, float]
    found: int
    required: int
    per_photo: dict[str, float]


def measure(run: Callable[[Case, Timer], list[Box]], cases: list[Case], repeat: int) -> Result:
    timer, per_photo, hits, total = Timer(), {}, 0, 0
    for case in cases:
        start = time.perf_counter()
        for _ in range(repeat):
            boxes = run(case, timer)
        per_photo[case.label] = (time.perf_counter() - start) / repeat
        hits += sum(found(t, boxes) for t in case.truth)
        total += len(case.truth)
    stages = {k: v / repeat for k, v in timer.seconds.items()}
    return Result(sum(per_photo.values()), stages, hits, total, per_photo)


def peak_memory_mib(pipeline: str, photo: Path) -> float:
    """Peak resident memory of a fresh process that checks one photo with `pipeline`."""
    done = subprocess.run(
        [sys.executable, __file__, "--memory-probe", pipeline, str(photo)],
        capture_output=True,
        text=True,
        check=True,
    )
    return float(done.stdout.strip().splitlines()[-1])


def memory_probe(pipeline: str, photo: Path) -> None:
    run = _runner(pipeline, _checker() if pipeline == "mediacheck" else None)
    run(Case(photo, (), photo.name), Timer())
    print(_high_water_mib())


def _high_water_mib() -> float:
    """VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the parent across exec."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def _checker() -> PhotoChecker:
    checker = PhotoChecker()
    checker.gallery = load_gallery(checker, SAMPLES / "people").gallery
    return checker


def _runner(pipeline: str, checker: PhotoChecker | None) -> Callable[[Case, Timer], list[Box]]:
    if pipeline == "mediacheck":
        return lambda case, timer: run_mediacheck(checker, case, timer)
    return PIPELINES[pipeline]


def print_tables(results: dict[str, dict[str, Result]], memory: dict[str, float], per_face: float) -> None:
    print("\n| set | pipeline | s/photo | photos/s | × decode | recall |")
    print("|---|---|---:|---:|---:|---:|")
    for set_name, by_pipeline in results.items():
        floor = by_pipeline["decode only (floor)"].seconds
        for name, r in by_pipeline.items():
            n = len(r.per_photo)
            recall = (
                f"{r.found}/{r.required} ({100 * r.found / r.required:.0f}%)" if name != "decode only (floor)" else "-"
            )
            speed = f"{r.seconds / n:.3f} | {n / r.seconds:.2f} | {r.seconds / floor:.1f}"
            print(f"| {set_name} | {name} | {speed} | {recall} |")
    two = {name: results["12 MP"][name].per_photo["two_people.jpg"] for name in PIPELINES}
    print("\n12 MP photo with two faces (two_people.jpg upscaled):")
    print(
        f"  decode {two['decode only (floor)']:.3f} s · naive {two['naive face_recognition']:.3f} s · "
        f"mediacheck {two['mediacheck']:.3f} s → {two['naive face_recognition'] / two['mediacheck']:.1f}× faster "
        f"than naive, {two['mediacheck'] / two['decode only (floor)']:.1f}× decoding alone"
    )
    print("\nmediacheck stages, seconds summed over each set:")
    stages = sorted({s for r in results.values() for s in r["mediacheck"].stages})
    print("| set | " + " | ".join(stages) + " |")
    print("|---|" + "---:|" * len(stages))
    for set_name, by_pipeline in results.items():
        row = by_pipeline["mediacheck"].stages
        print(f"| {set_name} | " + " | ".join(f"{row.get(s, 0):.3f}" for s in stages) + " |")
    print(f"\ncost of one more clearly visible face (cut out, landmarks, template): {1000 * per_face:.0f} ms")
    print("\npeak memory, one 12 MP photo in a fresh process:")
    for name, mib in memory.items():
        print(f"  {name}: {mib:.0f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1, help="runs per photo (times are averaged)")
    parser.add_argument("--memory-probe", nargs=2, metavar=("PIPELINE", "PHOTO"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    cv2.setNumThreads(1)
    if args.memory_probe:
        memory_probe(args.memory_probe[0], Path(args.memory_probe[1]))
        return
    checker = _checker()
    timer = Timer()
    checker.encoder = Timed(checker.encoder, "encode", "encode", timer)
    checker.gallery = Timed(checker.gallery, "match", "match", timer)
    encoded, encode_seconds = 0, 0.0
    with tempfile.TemporaryDirectory() as tmp:
        sets = make_cases(Path(tmp))
        results: dict[str, dict[str, Result]] = {}
        for set_name, cases in sets.items():
            results[set_name] = {}
            for name in PIPELINES:
                print(f"… {set_name}: {name}", file=sys.stderr)
                timer.seconds.clear()
                timer.calls.clear()
                result = measure(_runner(name, checker), cases, args.repeat)
                if name == "mediacheck":
                    result.stages.update({k: v / args.repeat for k, v in timer.seconds.items()})
                    encode_seconds += timer.seconds["encode"]
                    encoded += timer.calls["encode"]
                results[set_name][name] = result
        photo = next(c.path for c in sets["12 MP"] if c.label == "two_people.jpg")
        memory = {name: peak_memory_mib(name, photo) for name in PIPELINES}
    print_tables(results, memory, encode_seconds / max(1, encoded))


if __name__ == "__main__":
    main()
