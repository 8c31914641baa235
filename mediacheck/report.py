"""Write check results for people (a table) and for programs (the stable JSON contract)."""

from collections.abc import Iterable
from typing import Any

from rich.console import Console
from rich.table import Table

from mediacheck.check import CheckedPhoto

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
        "channels": {
            name: {"status": decision.status.value, "redact": list(decision.redact)}
            for name, decision in checked.decisions.items()
        },
    }


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
    for name, decision in checked.decisions.items():
        style = STATUS_STYLE[decision.status.value]
        hidden = (
            f" (hide faces {', '.join(map(str, decision.redact))})" if decision.may_go_out and decision.redact else ""
        )
        console.print(f"  {name:<10} [{style}]{decision.status.value}[/]{hidden}")
