"""Write check results for people (a table) and for programs (the stable JSON contract)."""

from collections.abc import Iterable, Mapping
from typing import Any

from rich.console import Console
from rich.table import Table

from mediacheck.check import CheckedPhoto
from mediacheck.gallery import NOT_ENROLLED, EnrolledGallery
from mediacheck.policy import ChannelDecision
from mediacheck.video import CheckedVideo

STATUS_STYLE = {"publishable": "green", "redacted": "yellow", "review": "magenta", "blocked": "red"}


def photo_json(checked: CheckedPhoto) -> dict[str, Any]:
    """One entry of `{"images": [...]}`; keep the keys stable, integrations rely on them."""
    return {
        "path": str(checked.path),
        "width": checked.width,
        "height": checked.height,
        "error": checked.error,
        "faces": [
            {
                "box": f.face.box.as_dict(),
                "clearly_visible": f.visibility.clearly_visible,
                "person": f.match.person,
                "match": f.match.status.value,
                "distance": None if f.match.distance is None else round(f.match.distance, 4),
            }
            for f in checked.faces
        ],
        "channels": channels_json(checked.decisions),
    }


def video_json(checked: CheckedVideo) -> dict[str, Any]:
    """One entry of `{"videos": [...]}`: face tracks instead of faces, "redact" lists track indices.

    A track's boxes are the detector's, at the frames it looked at; in between, the face is
    followed, and hidden from `first_frame` to `last_frame`."""
    return {
        "path": str(checked.path),
        "width": checked.width,
        "height": checked.height,
        "frames": checked.frames,
        "fps": round(checked.fps, 3),
        "duration": round(checked.duration, 3),
        "error": checked.error,
        "tracks": [
            {
                "first_frame": t.path.first_frame,
                "last_frame": t.path.last_frame,
                "boxes": [{"frame": o.frame, **o.face.face.box.as_dict()} for o in t.observations],
                "clearly_visible": t.clearly_visible,
                "person": t.match.person,
                "match": t.match.status.value,
                "distance": None if t.match.distance is None else round(t.match.distance, 4),
            }
            for t in checked.tracks
        ],
        "channels": channels_json(checked.decisions),
    }


def gallery_json(enrolled: EnrolledGallery) -> dict[str, Any]:
    """What `--gallery` enrolled: `skipped` photos and `notes` on photos enrolled with other faces ignored,
    each {"photo", "why"} in words; `not_enrolled` people, {"person", "why"}, whose faces count as unknown."""
    return {
        "people": list(enrolled.gallery.people),
        "skipped": [{"photo": n.photo, "why": str(n)} for n in enrolled.notes if n.refused],
        "notes": [{"photo": n.photo, "why": str(n)} for n in enrolled.notes if not n.refused],
        "not_enrolled": [{"person": p, "why": NOT_ENROLLED.format(person=p)} for p in enrolled.not_enrolled],
    }


def channels_json(decisions: Mapping[str, ChannelDecision]) -> dict[str, Any]:
    return {name: {"status": d.status.value, "redact": list(d.redact)} for name, d in decisions.items()}


def report_json(photos: Iterable[CheckedPhoto]) -> dict[str, Any]:
    return {"images": [photo_json(p) for p in photos]}


def print_table(console: Console, checked: CheckedPhoto) -> None:
    if checked.error:
        console.print(f"[bold]{checked.path}[/]: [red]error:[/] {checked.error}")
        return
    console.print(f"[bold]{checked.path}[/] {checked.width}x{checked.height}, {len(checked.faces)} face(s)")
    if checked.faces:
        table = Table(box=None, padding=(0, 2))
        for column in ("#", "top,right,bottom,left", "visible", "person", "match", "distance"):
            table.add_column(column, no_wrap=True)
        for i, f in enumerate(checked.faces):
            box = f.face.box
            table.add_row(
                str(i),
                f"{box.top},{box.right},{box.bottom},{box.left}",
                "yes" if f.visibility.clearly_visible else "no",
                f.match.person or "-",
                f.match.status.value,
                "-" if f.match.distance is None else f"{f.match.distance:.3f}",
            )
        console.print(table)
    print_decisions(console, checked.decisions, "faces")


def print_video_table(console: Console, checked: CheckedVideo) -> None:
    if checked.error:
        console.print(f"[bold]{checked.path}[/]: [red]error:[/] {checked.error}")
        return
    console.print(
        f"[bold]{checked.path}[/] {checked.width}x{checked.height}, {checked.frames} frames "
        f"({checked.duration:.1f} s), {len(checked.tracks)} face track(s)"
    )
    if checked.tracks:
        table = Table(box=None, padding=(0, 2))
        for column in ("#", "frames", "visible", "person", "match", "distance"):
            table.add_column(column, no_wrap=True)
        for i, t in enumerate(checked.tracks):
            table.add_row(
                str(i),
                f"{t.path.first_frame}-{t.path.last_frame}",
                "yes" if t.clearly_visible else "no",
                t.match.person or "-",
                t.match.status.value,
                "-" if t.match.distance is None else f"{t.match.distance:.3f}",
            )
        console.print(table)
    print_decisions(console, checked.decisions, "tracks")


def print_decisions(console: Console, decisions: Mapping[str, ChannelDecision], what: str) -> None:
    for name, decision in decisions.items():
        style = STATUS_STYLE[decision.status.value]
        hidden = (
            f" (hide {what} {', '.join(map(str, decision.redact))})" if decision.may_go_out and decision.redact else ""
        )
        console.print(f"  {name:<10} [{style}]{decision.status.value}[/]{hidden}")
