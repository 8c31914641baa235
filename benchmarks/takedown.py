"""Takedown latency (R5): from the commit of a withdrawal to the copy being gone from the channel.

    python benchmarks/takedown.py [--setups embedded,embedded-split,redis] [--withdrawals 8] [--load 16]

For each setup a real `mediacheck worker --beat --concurrency 2` runs against its own database:
`embedded` (SQLite and the folder broker) and `redis` (PostgreSQL and Redis); `embedded-split`
runs two workers of one process each instead, one for the checks (`--queues media`) and one for
publication (`--queues publication`). Students' photos are published on the public website
(folder channel); then, one at a time, a student's consent is withdrawn, the web app's call
`after_consent_change` is made, and the clock stops when the file is gone:

- idle: nothing else to do;
- busy: while the worker checks a teacher's upload of `--load` photos (the takedown must not
  wait behind them: it has its own queue);
- lost message: no call after the withdrawal, so only beat's reconcile (every
  `--reconcile-seconds`) can find it.

The baseline, measured in the same run, is the same takedown without worker or broker: the
services called in the benchmark's own process right after the withdrawal (apply the consent change,
remove the file, record it).
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import redis
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session, sessionmaker

from mediacheck.channels.configured import ConfiguredChannels
from mediacheck.config import AppSettings
from models import publication_service
from models.channels import FACE_MATCHING
from models.database import make_engine, session_factory, upgrade
from models.media import Media, MediaState, Publication, PublicationState
from models.roster_csv import parse_roster
from models.school import Student
from models.school_service import import_roster
from tests.records.builders import STAFF, TODAY, roster
from tests.records.conftest import POSTGRES_URL, fresh_postgres_schema
from tests.samples import EVENTS
from tests.worker.builders import SANNE_BOX, checked_media, decide, upload, withdraw
from tests.worker.workers import running_worker, wait_for
from worker import tasks
from worker.app import celery_app

REDIS_URL = os.environ.get("MEDIACHECK_BENCH_REDIS_URL", "redis://127.0.0.1:6379/11")
BASELINE = 3
PUBLIC = 2


@dataclass(frozen=True)
class Place:
    root: Path
    settings: AppSettings
    records: sessionmaker[Session]


@contextmanager
def place(kind: str) -> Iterator[Place]:
    """A fresh database at the newest schema and a data folder: `embedded…` SQLite and the folder
    broker, else PostgreSQL (a fresh schema) and Redis."""
    with tempfile.TemporaryDirectory() as temporary, _database(kind, Path(temporary)) as url:
        root = Path(temporary)
        engine = make_engine(url)
        upgrade(engine)
        settings = AppSettings(
            data_dir=root / "data",
            database_url=url,
            broker_url="" if kind.startswith("embedded") else REDIS_URL,
            queue_name=f"bench-{uuid.uuid4().hex[:8]}",
        )
        try:
            yield Place(root, settings, session_factory(settings, engine))
        finally:
            engine.dispose()
            if settings.broker_url:  # the Redis is shared: remove this run's queues and bindings only
                client = redis.Redis.from_url(settings.broker_url)
                for key in client.scan_iter(f"*{settings.queue_name}*"):
                    client.delete(key)


@contextmanager
def _database(kind: str, root: Path) -> Iterator[str]:
    if kind.startswith("embedded"):
        yield f"sqlite:///{root / 'records.db'}"
        return
    admin = create_engine(POSTGRES_URL)
    try:
        with fresh_postgres_schema(admin) as url:
            yield url
    finally:
        admin.dispose()


def students(
    records: sessionmaker[Session], count: int, purposes: tuple[str, ...] = ("public", FACE_MATCHING)
) -> list[int]:
    """`count` students, each with consent for `purposes` (default: the public website and face matching)."""
    rows = [f"{5000 + n},Kid{n},Family{n},2014-03-04,7B,,Parent{n},parent{n}@example.org,," for n in range(count)]
    with records.begin() as session:
        import_roster(session, parse_roster(roster(*rows), TODAY), STAFF, TODAY)
    with records.begin() as session:
        found = list(session.scalars(select(Student).order_by(Student.id)))
        for student in found:
            for purpose in purposes:
                decide(session, student, purpose, granted=True)
        return [s.id for s in found]


def publish_all(records: sessionmaker[Session], settings: AppSettings, ids: list[int]) -> dict[int, str]:
    """One published photo per student: student id → file name on the channel."""
    media = {sid: checked_media(records, settings.data_dir / "uploads" / str(sid), {sid: SANNE_BOX}) for sid in ids}
    for media_id in media.values():
        tasks.publish.delay(media_id, "public", "benchmark")

    def published() -> dict[int, str] | None:
        with records() as session:
            rows = dict(
                session.execute(
                    select(Publication.media_id, Publication.external_id).where(
                        Publication.state == PublicationState.PUBLISHED, Publication.media_id.in_(media.values())
                    )
                ).all()
            )
        return {sid: rows[mid] for sid, mid in media.items()} if len(rows) == len(media) else None

    return wait_for(published, 120, "the publications")


def take_down(records: sessionmaker[Session], settings: AppSettings, student: int, copy: str, tell: bool) -> float:
    """Seconds from the withdrawal's commit until the copy is gone from the channel."""
    path = settings.data_dir / "published" / "public" / copy
    assert path.exists()
    withdraw(records, student, "public")
    started = time.perf_counter()
    if tell:
        tasks.after_consent_change(student, "public")
    wait_for(lambda: not path.exists(), 300, "the takedown", interval=0.005)
    return time.perf_counter() - started


def checks_waiting(records: sessionmaker[Session]) -> int:
    with records() as session:
        return len(
            session.scalars(select(Media.id).where(Media.state.in_([MediaState.UPLOADED, MediaState.PROCESSING]))).all()
        )


def in_process(records: sessionmaker[Session], settings: AppSettings, student: int, copy: str) -> float:
    """The baseline: the services themselves, no worker, no broker."""
    path = settings.data_dir / "published" / "public" / copy
    channels = ConfiguredChannels(settings)
    withdraw(records, student, "public")
    started = time.perf_counter()
    with records.begin() as session:
        [publication_id] = publication_service.apply_consent_change(session, student, "public")
    publication_service.take_down(records, channels, publication_id)
    assert not path.exists()
    return time.perf_counter() - started


def acted_on_every_consent_event(records: sessionmaker[Session]) -> bool:
    with records() as session:
        return not publication_service.reconcile(session, timedelta(0)).consent_changes


@contextmanager
def workers(kind: str, settings: AppSettings, root: Path, concurrency: int) -> Iterator[None]:
    """One worker for both queues; or, for `…-split`, one for the checks and one for publication."""
    if not kind.endswith("-split"):
        with running_worker(settings, root / "worker.log", concurrency=concurrency):
            yield
        return
    checks = ("--queues", "media", "--no-beat")
    with (
        running_worker(settings, root / "checks.log", *checks, concurrency=concurrency - 1 or 1),
        running_worker(settings, root / "publication.log", "--queues", "publication", concurrency=1),
    ):
        yield


def measure(kind: str, args: argparse.Namespace) -> dict[str, list[float]]:
    with place(kind) as where:
        root, records = where.root, where.records
        settings = where.settings.model_copy(update={"reconcile_seconds": args.reconcile_seconds})
        celery_app.configure(settings)
        ids = students(records, 2 * args.withdrawals + 1 + BASELINE)
        results: dict[str, list[float]] = {"in process (baseline)": [], "idle": [], "busy": [], "lost message": []}
        idle, busy = ids[: args.withdrawals], ids[args.withdrawals : 2 * args.withdrawals]
        lost, baseline = ids[2 * args.withdrawals], ids[2 * args.withdrawals + 1 :]
        with workers(kind, settings, root, args.concurrency):
            copies = publish_all(records, settings, ids)
            for student in idle:
                results["idle"].append(take_down(records, settings, student, copies[student], tell=True))
                time.sleep(0.2)
            photos = sorted(EVENTS.glob("*.jpg"))
            for n in range(args.load):
                tasks.process_media.delay(upload(records, settings, photos[n % len(photos)]))
            wait_for(lambda: checks_waiting(records) < args.load, 120, "the checks to start")
            for student in busy:
                if checks_waiting(records) == 0:
                    print(f"  (the upload was checked before takedown {len(results['busy']) + 1})", file=sys.stderr)
                results["busy"].append(take_down(records, settings, student, copies[student], tell=True))
                time.sleep(1)
            wait_for(lambda: checks_waiting(records) == 0, 600, "the checks to finish")
            wait_for(lambda: acted_on_every_consent_event(records), 120, "reconcile to catch up with the grants")
            results["lost message"].append(take_down(records, settings, lost, copies[lost], tell=False))
        for student in baseline:
            results["in process (baseline)"].append(in_process(records, settings, student, copies[student]))
        return results


def row(setup: str, condition: str, times: list[float], baseline: float) -> str:
    ms = sorted(t * 1000 for t in times)
    p90 = ms[min(len(ms) - 1, round(0.9 * (len(ms) - 1)))]
    median = statistics.median(ms)
    cells = [setup, condition, len(ms), f"{median:,.0f}", f"{p90:,.0f}", f"{ms[-1]:,.0f}", f"{median / baseline:,.1f}×"]
    return "| " + " | ".join(map(str, cells)) + " |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--setups", default="embedded,embedded-split,redis")
    parser.add_argument("--withdrawals", type=int, default=8)
    parser.add_argument("--load", type=int, default=16, help="photos being checked during the busy takedowns")
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--reconcile-seconds", type=float, default=10.0)
    args = parser.parse_args()
    print(
        f"{os.cpu_count()} CPUs; worker concurrency {args.concurrency}; reconcile every {args.reconcile_seconds:g} s",
        file=sys.stderr,
    )
    lines = [
        "| setup | condition | n | median ms | p90 ms | max ms | × baseline |",
        "|---|---|---|---|---|---|---|",
    ]
    for setup in args.setups.split(","):
        print(f"measuring {setup} …", file=sys.stderr)
        results = measure(setup, args)
        baseline = statistics.median(results["in process (baseline)"]) * 1000
        for condition, times in results.items():
            lines.append(row(setup, condition, times, baseline))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
