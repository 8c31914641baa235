"""The `mediacheck` command line: check photos, enrol reference photos.

The core knows no database. The records, worker and web packages add their commands through the
`mediacheck.cli` entry point group, and the records set `extensions` so that `check` and `enroll`
use the school's database when no --gallery/--consents is given.
"""

import functools
import json
import logging
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from importlib.metadata import entry_points
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import Progress

from mediacheck.check import FACE_CHECK_FAILED, CheckedPhoto, CheckInputs, PhotoChecker
from mediacheck.consent_file import ConsentFileError, read_consents
from mediacheck.gallery import NOT_ENROLLED, PHOTO_SUFFIXES, EnrolledGallery, EnrolmentError, enroll, load_gallery
from mediacheck.policy import Policy, decide_unreadable
from mediacheck.report import gallery_json, photo_json, print_table, print_video_table, video_json
from mediacheck.video import VIDEO_SUFFIXES, CheckedVideo, VideoError, check_video, is_video, render_videos

app = typer.Typer(help="Check school event photos for faces without consent before they are published.")
stderr = Console(stderr=True)
SCANNED_SUFFIXES = PHOTO_SUFFIXES | VIDEO_SUFFIXES | {""}
"""A folder's files checked: named as a photo or video, or with no suffix at all (cameras and
messaging apps write such names)."""


@dataclass
class Extensions:
    """Hooks a records package fills in when it registers (see `models.cli.register`)."""

    check_inputs: Callable[[], CheckInputs] | None = None
    enroll: Callable[[str, list[Path]], None] | None = None


extensions = Extensions()


@app.command()
def check(
    paths: Annotated[
        list[Path], typer.Argument(help="Photos and videos, or folders searched recursively.", exists=True)
    ],
    gallery: Annotated[
        Path | None, typer.Option(help="Folder with one sub-folder of reference photos per person.", file_okay=False)
    ] = None,
    consents: Annotated[
        Path | None, typer.Option(help="CSV 'person,channel' of granted consents; no row means no consent.")
    ] = None,
    channel: Annotated[list[str] | None, typer.Option(help="Only these channels (repeatable).")] = None,
    out: Annotated[
        Path | None,
        typer.Option(help="Write OUT/<channel>/<file> for every photo that may go out there (videos as .mp4)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")] = False,
    offline: Annotated[
        bool, typer.Option(help="Use no database: no --gallery means no face matching, no --consents no consent.")
    ] = False,
) -> None:
    """Find every clearly visible face, match it to the gallery, and decide per channel.

    Without --gallery, --consents and --offline, the school's database supplies all three. A reference photo
    the gallery cannot use is skipped and named (a person left without one is not enrolled, so unknown).
    Exit code 0 when every file was checked, 1 when some could not be (unreadable, or too shaken), 2 on bad usage.
    """
    checker, enrolled = _checker(gallery, consents, offline or gallery is not None or consents is not None)
    checker.policy = _narrowed(checker.policy, channel)
    files = list(_media_files(paths))
    results, videos = [], []
    any_video = any(is_video(path) for _, path in files)
    with Progress(console=stderr, transient=True, disable=len(files) < 2 and not any_video) as progress:
        task = progress.add_task("checking files", total=len(files))
        for root, path in files:
            relative = path.relative_to(root) if root else Path(path.name)
            checked = _check_file(checker, path, out, relative, progress)
            if isinstance(checked, CheckedVideo):
                videos.append(video_json(checked) if as_json else checked)
                if not as_json:
                    print_video_table(Console(), checked)
            else:
                results.append(photo_json(checked) if as_json else checked)
                if not as_json:
                    print_table(Console(), checked)
            progress.advance(task)
    if as_json:
        report = {"images": results} | ({"videos": videos} if videos else {})
        json.dump(report | ({"gallery": gallery_json(enrolled)} if enrolled else {}), sys.stdout, indent=1)
        sys.stdout.write("\n")
    failed = any((r["error"] if as_json else r.error) for r in results + videos)
    raise typer.Exit(1 if failed else 0)


@app.command("enroll")
def enroll_command(
    name: Annotated[str, typer.Argument(help="The person's name, as in the consent table.")],
    photos: Annotated[
        list[Path], typer.Argument(help="Reference photos, each with one face (others much smaller).", exists=True)
    ],
    gallery: Annotated[
        Path | None, typer.Option(help="A gallery folder; without it, the student in the database.", file_okay=False)
    ] = None,
) -> None:
    """Add reference photos for one person. Refused, each bad photo named, when one shows no clearly visible
    face or several of about one size; a photo with one face and others much smaller is enrolled, with a note."""
    if gallery is None:
        _records("enroll")(name, photos)
        return
    try:
        added, notes = enroll(PhotoChecker(), gallery, name, photos)
    except EnrolmentError as error:
        stderr.print(f"[red]not enrolled:[/] {error}")
        raise typer.Exit(1) from None
    for note in notes:
        stderr.print(f"[yellow]note:[/] {note}")
    for path in added:
        typer.echo(f"enrolled {name}: {path}")


def _checker(gallery: Path | None, consents: Path | None, offline: bool) -> tuple[PhotoChecker, EnrolledGallery | None]:
    """The checker, and the --gallery folder as enrolled when one is given."""
    if not offline:
        return PhotoChecker.from_inputs(_records("check_inputs")()), None
    checker = PhotoChecker(consents=_read_consents(consents) if consents else frozenset())
    enrolled = _load_gallery(checker, gallery) if gallery else None
    if enrolled:
        checker.gallery = enrolled.gallery
    return checker, enrolled


def _records(hook: str) -> Callable:
    found = getattr(extensions, hook)
    if found is None:
        stderr.print("[red]no school records installed:[/] use --gallery/--consents (or --offline)")
        raise typer.Exit(2)
    return found


def _narrowed(policy: Policy, channels: list[str] | None) -> Policy:
    if not channels:
        return policy
    known = {c.name for c in policy.channels}
    unknown = sorted(set(channels) - known)
    if unknown:
        raise typer.BadParameter(f"unknown channel {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    return Policy(tuple(c for c in policy.channels if c.name in channels), policy.version)


def _read_consents(path: Path) -> frozenset[tuple[str, str]]:
    try:
        return read_consents(path)
    except ConsentFileError as error:
        raise typer.BadParameter(str(error), param_hint="--consents") from None


def _load_gallery(checker: PhotoChecker, directory: Path) -> EnrolledGallery:
    """The gallery, each photo skipped or enrolled with faces ignored and each person not enrolled said on
    stderr (stdout may be the JSON report, which says the same)."""
    with Progress(console=stderr, transient=True) as progress:
        task = progress.add_task("enrolling gallery", total=None)
        enrolled = load_gallery(checker, directory, on_photo=lambda _: progress.advance(task))
    for note in enrolled.notes:
        stderr.print(f"[red]gallery photo skipped:[/] {note}" if note.refused else f"[yellow]gallery note:[/] {note}")
    for person in enrolled.not_enrolled:
        stderr.print(f"[red]gallery:[/] {NOT_ENROLLED.format(person=person)}")
    return enrolled


def _media_files(paths: list[Path]) -> Iterator[tuple[Path | None, Path]]:
    """Named files as given; folders walked for files named as photos or videos or not named at all
    (each then checked as its bytes say), hidden ones skipped."""
    for path in paths:
        if path.is_dir():
            for found in sorted(path.rglob("*")):
                relative = found.relative_to(path)
                if (
                    found.is_file()
                    and found.suffix.lower() in SCANNED_SUFFIXES
                    and not any(part.startswith(".") for part in relative.parts)
                ):
                    yield path, found
        else:
            yield None, path


def _check_file(
    checker: PhotoChecker, path: Path, out: Path | None, relative: Path, progress: Progress
) -> CheckedPhoto | CheckedVideo:
    """One file's outcome, photo or video as its bytes say. Nothing one file does stops the batch:
    a failure the check did not foresee is that file's error, and the next file is checked."""
    try:
        if is_video(path):
            return _check_video(checker, path, out, relative, progress)
        checked, photo = checker.check(path)
        if out and photo is not None:
            _write_outputs(checker, checked, photo, out, relative)
        return checked
    except Exception:  # the rest of the batch goes on
        logging.getLogger(__name__).exception("checking %s failed", path)
        return CheckedPhoto(path, error=FACE_CHECK_FAILED, decisions=decide_unreadable(checker.policy))


def _check_video(
    checker: PhotoChecker, path: Path, out: Path | None, relative: Path, progress: Progress
) -> CheckedVideo:
    """Check one video, then write OUT/<channel>/<relative>.mp4 for each channel it may go to."""
    task = progress.add_task(f"checking {path.name}", total=None)

    def show(done: int, total: int) -> None:
        progress.update(task, completed=done, total=total)

    checked = check_video(checker, path, on_progress=show)
    if out and not checked.error:
        progress.update(task, description=f"writing {path.name}", completed=0)
        targets = {name: out / name / relative.with_suffix(".mp4") for name in checked.decisions}
        try:
            render_videos(checker, checked, targets, on_progress=show)
        except VideoError as error:
            checked = replace(checked, error=str(error), decisions=decide_unreadable(checker.policy))
    progress.remove_task(task)
    return checked


def _write_outputs(checker: PhotoChecker, checked: CheckedPhoto, photo, out: Path, relative: Path) -> None:
    for name in checked.decisions:
        rendered = checker.render(checked, photo, name)
        if rendered is None:
            continue
        data, suffix = rendered
        target = (out / name / relative).with_suffix(suffix)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)


@functools.cache
def full_app() -> typer.Typer:
    """The app with the commands of every installed package that extends it."""
    for entry in entry_points(group="mediacheck.cli"):
        entry.load()(app)
    return app


def main() -> None:
    full_app()()
