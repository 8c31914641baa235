"""Takedown latency through the web app (R5): from the parent's save, and from staff's Unpublish click,
to the copy gone from the channel's folder.

    python benchmarks/takedown_web.py [--takedowns 50]

`mediacheck serve` runs as in production on the embedded default (SQLite, the folder broker, folder
channels) with the worker it starts beside it, on the test school of the web tests. Each round,
through HTTP only: communications publishes the photo on the public website; the parent withdraws
public consent on the personal link (clock 1: from sending the save until the file is gone); the
worker puts a redacted copy in its place; communications unpublishes that copy (clock 2: from the
click until the file is gone); the parent gives consent again. Prints p50, p99 and max per path.
"""

import argparse
import os
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx
from sqlalchemy import select

from mediacheck.check import PhotoChecker
from mediacheck.config import AppSettings
from models import review_service
from models.audit import Actor, ActorRole
from models.channels import Channel
from models.database import make_engine, session_factory, upgrade
from models.media import Media, Publication, PublicationState
from models.review_service import Resolution
from models.school import Student
from tests.web.audiences import csrf_token, log_in
from tests.web.school import School, build_school
from tests.web.servers import running_app
from tests.worker.workers import wait_for

FIELDS = re.compile(r'<input type="(?:hidden|radio)" name="([^"]+)" value="([^"]*)"( checked)?')
WAIT = 60.0


class Round:
    """One school on one running app, driven over HTTP as communications and the parent."""

    def __init__(self, settings: AppSettings, school: School, url: str) -> None:
        self.settings, self.school = settings, school
        self.records = session_factory(settings, make_engine(settings.database_url))
        self.staff = httpx.Client(base_url=url, timeout=60)
        self.parent = httpx.Client(base_url=url, timeout=60)
        log_in(self.staff, "communications", school.passwords["communications"])

    def publish(self) -> int:
        media = self.school.ids["media_id"]
        form = {"csrf_token": csrf_token(self.staff), "channel": "public", "media": media}
        self.staff.post(f"/library/albums/{self.school.ids['album_id']}/publish", data=form)
        return self.live()

    def live(self, replaces: int | None = None) -> int:
        def found() -> int | None:
            with self.records() as session:
                query = (
                    select(Publication.id)
                    .join(Channel)
                    .where(Channel.key == "public", Publication.state == PublicationState.PUBLISHED)
                    .where(Publication.media_id == int(self.school.ids["media_id"]))
                )
                if replaces is not None:
                    query = query.where(Publication.replaces_id == replaces)
                return session.scalar(query)

        return wait_for(found, WAIT, "a copy on the public website", interval=0.02)

    def file(self, publication_id: int) -> Path:
        with self.records() as session:
            name = session.get(Publication, publication_id).external_id
        path = self.settings.data_dir / "published" / "public" / name
        assert path.exists(), path
        return path

    def consent(self, answer: str) -> None:
        """The parent's save on the personal link, public consent set to `answer`."""
        page = self.parent.get(f"/c/{self.school.token_sanne}", params={"lang": "en"}).text
        form = {name: value for name, value, checked in FIELDS.findall(page) if checked or not _radio(name, page)}
        saved = self.parent.post(f"/c/{self.school.token_sanne}", data=form | {"public": answer})
        assert saved.status_code == 200, saved.text

    def unpublish(self, publication_id: int) -> None:
        self.staff.post(f"/publications/{publication_id}/unpublish", data={"csrf_token": csrf_token(self.staff)})


def _radio(name: str, page: str) -> bool:
    return f'type="radio" name="{name}"' in page


def name_sanne(settings: AppSettings, school: School) -> None:
    """A reviewer names Sanne (public consent) in the photo and an administrator approves the claim,
    so her withdrawal concerns its copies."""
    engine = make_engine(settings.database_url)
    with session_factory(settings, engine).begin() as session:
        media = session.get(Media, int(school.ids["media_id"]))
        face = next(face for face in media.faces if face.clearly_visible)
        sanne = session.get(Student, int(school.ids["student_id"]))
        reviewer, admin = Actor(ActorRole.STAFF, "reviewer"), Actor(ActorRole.STAFF, "admin")
        claim = review_service.resolve_face(session, face, Resolution.OTHER_STUDENT, reviewer, sanne).claim
        if claim is not None:
            review_service.approve_claim(session, claim, admin)
    engine.dispose()


def gone_after(action: Callable[[], None], path: Path) -> float:
    started = time.perf_counter()
    action()
    wait_for(lambda: not path.exists(), WAIT, f"{path.name} to leave the channel", interval=0.005)
    return time.perf_counter() - started


def measure(rounds: int) -> dict[str, list[float]]:
    results: dict[str, list[float]] = {"parent's save": [], "staff's click": []}
    with tempfile.TemporaryDirectory() as temporary:
        root = Path(temporary)
        settings = AppSettings(data_dir=root / "data", database_url=f"sqlite:///{root / 'records.db'}")
        engine = make_engine(settings.database_url)
        upgrade(engine)
        engine.dispose()
        school = build_school(settings, PhotoChecker(), root)
        name_sanne(settings, school)
        with running_app(settings, root / "serve.log") as server:
            web = Round(settings, school, server.url)
            for n in range(rounds):
                copy = web.publish()
                results["parent's save"].append(gone_after(lambda: web.consent("no"), web.file(copy)))
                replacement = web.live(replaces=copy)
                results["staff's click"].append(
                    gone_after(lambda r=replacement: web.unpublish(r), web.file(replacement))
                )
                web.consent("yes")
                print(f"  round {n + 1}/{rounds}", file=sys.stderr)
    return results


def percentile(ms: list[float], share: float) -> float:
    return ms[min(len(ms) - 1, round(share * (len(ms) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--takedowns", type=int, default=50, help="takedowns per path (parent's save, staff's click)")
    args = parser.parse_args()
    print(f"{os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.1f} at the start", file=sys.stderr)
    lines = ["| from | n | p50 ms | p99 ms | max ms |", "|---|---|---|---|---|"]
    for path, times in measure(args.takedowns).items():
        ms = sorted(t * 1000 for t in times)
        cells = [path, len(ms), f"{statistics.median(ms):,.0f}", f"{percentile(ms, 0.99):,.0f}", f"{ms[-1]:,.0f}"]
        lines.append("| " + " | ".join(map(str, cells)) + " |")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
