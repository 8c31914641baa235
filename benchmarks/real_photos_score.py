"""Score a face detector against the face truth of the real photos (benchmarks/real_photos_truth.json).

    MEDIACHECK_SHARED=/path/to/shared python benchmarks/real_photos_score.py

A detection belongs to a truth box when their IoU is at least 0.3 or the detection's centre lies
inside it. Per photo it counts: clearly visible faces found (recall, the number that protects
children), false faces (detections that belong to no face, decoy or ignore region: each one is a
needless redaction or review), decoys reported (a dog or painting taken for a face), and splits
(extra detections on a face already found). A detection in an ignore region is neither rewarded
nor penalised. The CLI scores mediacheck's current detector twice: every box it reports, and only
the boxes it judges clearly visible (those are the ones that need consent).
"""

import argparse
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from mediacheck.samples import shared_dir

ROOT = Path(__file__).resolve().parent.parent
TRUTH = ROOT / "benchmarks" / "real_photos_truth.json"
MATCH_IOU = 0.3

Rect = Sequence[float]
"""[left, top, right, bottom] in pixels of the upright photo."""


def real_photos_dir() -> Path:
    """The shared real photos: never copied into the project (their licences do not allow it)."""
    return shared_dir() / "real-photos"


def load_truth(path: Path = TRUTH) -> dict:
    return json.loads(path.read_text())["photos"]


def iou(a: Rect, b: Rect) -> float:
    width = min(a[2], b[2]) - max(a[0], b[0])
    height = min(a[3], b[3]) - max(a[1], b[1])
    if width <= 0 or height <= 0:
        return 0.0
    inter = width * height
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


def belongs(detection: Rect, region: Rect) -> float:
    """How well `detection` fits `region`: its IoU, or MATCH_IOU when only its centre lies inside; 0 if neither."""
    x, y = (detection[0] + detection[2]) / 2, (detection[1] + detection[3]) / 2
    inside = region[0] <= x <= region[2] and region[1] <= y <= region[3]
    overlap = iou(detection, region)
    return max(overlap, MATCH_IOU) if inside else (overlap if overlap >= MATCH_IOU else 0.0)


def _best(detection: Rect, regions: list[Rect]) -> int | None:
    fits = [belongs(detection, region) for region in regions]
    return max(range(len(fits)), key=fits.__getitem__) if fits and max(fits) > 0 else None


@dataclass(frozen=True)
class Attribution:
    """Where each detection of one photo landed; every detection is in exactly one place, or in an
    ignore region (neither rewarded nor penalised)."""

    on_faces: tuple[tuple[int, ...], ...]
    """Per truth face, the detections on it, best fitting first: more than one is a split."""
    decoys: tuple[int, ...]
    """Detections on a decoy: a dog, painting or figurine taken for a face."""
    false_faces: tuple[int, ...]
    """Detections on no face, decoy or ignore region."""


def attribute(detections: list[Rect], truth: dict) -> Attribution:
    """Give each detection to the truth face it fits best, else a decoy, else an ignore region."""
    faces = [f["box"] for f in truth["faces"]]
    on_faces: list[list[int]] = [[] for _ in faces]
    decoys, false_faces = [], []
    # The best-fitting detections claim their faces first, so a split is always the worse box.
    for d in sorted(range(len(detections)), key=lambda d: -max((iou(detections[d], f) for f in faces), default=0)):
        face = _best(detections[d], faces)
        if face is not None:
            on_faces[face].append(d)
        elif _best(detections[d], [decoy["box"] for decoy in truth["decoys"]]) is not None:
            decoys.append(d)
        elif _best(detections[d], [i["box"] for i in truth["ignore"]]) is None:
            false_faces.append(d)
    return Attribution(tuple(map(tuple, on_faces)), tuple(decoys), tuple(false_faces))


def score_photo(detections: list[Rect], truth: dict) -> dict:
    """Counts for one photo; `missed` lists the clearly visible faces no detection found."""
    found = attribute(detections, truth)
    hits = [len(on) for on in found.on_faces]
    visible = [i for i, f in enumerate(truth["faces"]) if f["clearly_visible"]]
    return {
        "visible": len(visible),
        "found": sum(1 for i in visible if hits[i]),
        "missed": [truth["faces"][i]["box"] for i in visible if not hits[i]],
        "other_found": sum(1 for i, h in enumerate(hits) if h and i not in visible),
        "false_faces": len(found.false_faces),
        "decoys": len(found.decoys),
        "splits": sum(max(0, h - 1) for h in hits),
        "detections": len(detections),
    }


def score(detections: dict[str, list[Rect]], truth: dict) -> dict:
    """Per-photo counts and totals over the photos in `detections` (a photo missing there found nothing)."""
    photos = {name: score_photo(detections.get(name, []), truth[name]) for name in sorted(truth)}
    keys = ("visible", "found", "other_found", "false_faces", "decoys", "splits", "detections")
    total = {key: sum(p[key] for p in photos.values()) for key in keys}
    total["recall"] = total["found"] / total["visible"] if total["visible"] else 1.0
    total["photos_with_false_faces"] = sum(1 for p in photos.values() if p["false_faces"] or p["decoys"])
    return {"photos": photos, "total": total}


def mediacheck_detections(folder: Path, names: list[str]) -> tuple[dict[str, list[Rect]], dict[str, list[Rect]]]:
    """Every box mediacheck's current detector reports, and the ones it judges clearly visible."""
    from mediacheck.check import PhotoChecker
    from mediacheck.imaging import open_photo

    checker = PhotoChecker()
    every: dict[str, list[Rect]] = {}
    visible: dict[str, list[Rect]] = {}
    for name in names:
        faces = checker.find_faces(open_photo(folder / name, checker.settings.max_pixels).pixels)
        boxes = [(f.face.box.left, f.face.box.top, f.face.box.right, f.face.box.bottom) for f in faces]
        every[name] = boxes
        visible[name] = [b for b, f in zip(boxes, faces, strict=True) if f.visibility.clearly_visible]
    return every, visible


def table(result: dict, title: str) -> str:
    rows = [f"{title}", f"{'photo':40} {'visible':>7} {'found':>5} {'false':>5} {'decoy':>5} {'split':>5} {'boxes':>5}"]
    for name, p in result["photos"].items():
        rows.append(
            f"{name:40} {p['visible']:7} {p['found']:5} {p['false_faces']:5} {p['decoys']:5} {p['splits']:5} "
            f"{p['detections']:5}" + (f"  missed {p['missed']}" if p["missed"] else "")
        )
    t = result["total"]
    rows.append(
        f"{'total':40} {t['visible']:7} {t['found']:5} {t['false_faces']:5} {t['decoys']:5} {t['splits']:5} "
        f"{t['detections']:5}  recall {t['recall']:.1%}, photos with a false face or decoy "
        f"{t['photos_with_false_faces']}/{len(result['photos'])}"
    )
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--truth", type=Path, default=TRUTH, help="truth file (default: %(default)s)")
    args = parser.parse_args()
    truth = load_truth(args.truth)
    every, visible = mediacheck_detections(real_photos_dir(), sorted(truth))
    print(table(score(every, truth), "mediacheck, every box reported"))
    print()
    print(table(score(visible, truth), "mediacheck, boxes judged clearly visible"))


if __name__ == "__main__":
    main()
