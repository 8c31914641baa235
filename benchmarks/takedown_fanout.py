"""Takedown fan-out (R5, issue #5): a student in 100 live publications across 3 channels withdraws.

    python -m benchmarks.takedown_fanout [--setups embedded,redis] [--rounds 5] [--photos 100] [--json FILE]

One student is clearly visible in `--photos` photos, each published on the three default channels:
the protected site and the public website as folder channels (the embedded default), Facebook
through the Graph API stand-in (tests/services/graph_api.py, HTTP on 127.0.0.1; `--facebook folder`
makes it a third folder). The parent withdraws all three channel consents in one save (one commit,
three consent events) and the web app's call is made as the web app makes it
(`web.tasks.consent_changed`: one `after_consent_change` per channel).

Per copy, the latency runs from that commit to the copy's confirmed delete: the publication recorded
`unpublished`, which the worker does right after the channel confirmed (file removed, Graph API
answered success); it is read from `unpublished_at` (same machine, same clock). The benchmark also
watches the channels and fails if a copy is still on one. Reported: p50, p99 and max of the per-copy
latency over all rounds, and of the time to the last copy per round.

Setups (`benchmarks.takedown.place`): `embedded` (SQLite and the folder broker) and `redis`
(PostgreSQL and Redis), each with a real `mediacheck worker --beat --concurrency 2`
(`embedded-split` works too). Around each withdrawal, untimed and by the services directly: the
300 copies are published; afterwards the replacement copies the worker publishes (R5) are awaited
and removed, and the consents granted again. The baseline, measured in the same run, is the same
takedowns done by the services in the benchmark's own process (no worker, no broker), one channel
after the other; its rounds alternate with the worker's (the worker is stopped for them), so that
both see the same load on a shared machine.
"""

import argparse
import json
import math
import os
import re
import statistics
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from benchmarks.takedown import place, students, workers
from mediacheck.channels.configured import ConfiguredChannels
from mediacheck.check import PhotoChecker
from mediacheck.config import AppSettings
from models import decision_service, publication_service
from models.audit import Actor, ActorRole
from models.channels import FACE_MATCHING, Channel
from models.media import Media, Publication, PublicationState
from models.school import Student
from tests.services.graph_api import GraphState, start_graph_api
from tests.worker.builders import SANNE_BOX, checked_media, decide
from tests.worker.workers import wait_for
from web import tasks as web_tasks
from worker.app import celery_app

CHANNELS = ("protected", "public", "facebook")
BENCH = Actor(ActorRole.STAFF, "benchmark")


@dataclass(frozen=True)
class Copy:
    channel: str
    external_id: str


@dataclass
class Results:
    per_copy: list[float] = field(default_factory=list)
    """Seconds from the withdrawal's commit to each copy recorded `unpublished`, all rounds."""
    last: list[float] = field(default_factory=list)
    """Seconds to the last copy, per round."""
    gone: list[float] = field(default_factory=list)
    """Seconds until the benchmark saw each copy gone from its channel (polled, worker runs only)."""
    channel_last: dict[str, list[float]] = field(default_factory=dict)
    """Seconds to the last copy on each channel, per round."""


@dataclass
class Bench:
    """One setup's school, channels and in-process services."""

    records: sessionmaker[Session]
    settings: AppSettings
    channels: ConfiguredChannels
    checker: PhotoChecker
    graph: GraphState | None
    student: int
    media: list[int]
    logs: Path
    """The folder of the worker's logs."""


@contextmanager
def graph_api(wanted: bool) -> Iterator[tuple[str, GraphState] | None]:
    with start_graph_api() if wanted else nullcontext() as served:
        yield served


def adapters(served: tuple[str, GraphState] | None) -> dict[str, dict]:
    if served is None:
        return {}
    url, state = served
    options = {"page_id": state.page_id, "page_access_token": state.token, "graph_url": url, "timeout": 10}
    return {"facebook": {"kind": "facebook", **options}}


def follow_up(session: Session, student: int, purposes: tuple[str, ...]) -> None:
    """Act on the student's consent events for `purposes` now, as the worker would (nothing left for reconcile)."""
    for purpose in purposes:
        publication_service.apply_consent_change(session, student, purpose)


def publish_all(bench: Bench) -> dict[int, Copy]:
    """Every photo on every channel, by the services in this process: publication id → where it is."""
    for media_id in bench.media:
        for key in CHANNELS:
            state = publication_service.publish(bench.records, bench.channels, bench.checker, media_id, key, BENCH)
            assert state is PublicationState.PUBLISHED, state
    with bench.records() as session:
        rows = session.execute(
            select(Publication.id, Channel.key, Publication.external_id)
            .join(Channel, Channel.id == Publication.channel_id)
            .where(Publication.state == PublicationState.PUBLISHED, Publication.media_id.in_(bench.media))
        ).all()
    copies = {pid: Copy(key, external_id) for pid, key, external_id in rows}
    assert len(copies) == len(bench.media) * len(CHANNELS), len(copies)
    return copies


def withdraw_all(bench: Bench) -> float:
    """The parent's save: all three channels off in one commit; returns the commit's wall-clock time."""
    with bench.records.begin() as session:
        student = session.get(Student, bench.student)
        for key in CHANNELS:
            decide(session, student, key, granted=False)
    return time.time()


def grant_again(bench: Bench) -> None:
    with bench.records.begin() as session:
        student = session.get(Student, bench.student)
        for key in CHANNELS:
            decide(session, student, key, granted=True)
        follow_up(session, bench.student, CHANNELS)


def on_channels(bench: Bench) -> set[Copy]:
    """What the channels hold now."""
    found = set()
    for key in CHANNELS:
        if key == "facebook" and bench.graph is not None:
            with bench.graph.lock:
                found |= {Copy(key, photo_id) for photo_id in bench.graph.photos}
            continue
        folder = bench.settings.data_dir / "published" / key
        found |= {Copy(key, name) for name in os.listdir(folder) if not name.startswith(".")}
    return found


def watch(bench: Bench, copies: dict[int, Copy], committed: float, timeout: float) -> list[float]:
    """Poll the channels until every copy is gone; seconds after the commit at which each was seen gone."""
    left, seen = set(copies.values()), []
    deadline = time.monotonic() + timeout
    while left:
        if time.monotonic() > deadline:
            raise AssertionError(f"{len(left)} of {len(copies)} copies still on their channels after {timeout:.0f} s")
        gone = left - on_channels(bench)
        now = time.time()
        seen += [now - committed] * len(gone)
        left -= gone
        time.sleep(0.01)
    return seen


def confirmed(bench: Bench, copies: dict[int, Copy], committed: float, timeout: float) -> dict[int, float]:
    """Seconds from the commit to each copy recorded `unpublished`, once all are: publication id → seconds."""

    def all_down() -> list | None:
        with bench.records() as session:
            rows = session.execute(
                select(Publication.id, Publication.state, Publication.unpublished_at).where(Publication.id.in_(copies))
            ).all()
        return rows if all(state is PublicationState.UNPUBLISHED for _, state, _ in rows) else None

    rows = wait_for(all_down, timeout, "every copy recorded unpublished", interval=0.05)
    return {pid: _utc(at).timestamp() - committed for pid, _, at in rows}


def record(results: Results, copies: dict[int, Copy], latencies: dict[int, float]) -> None:
    results.per_copy += latencies.values()
    results.last.append(max(latencies.values()))
    for key in CHANNELS:
        on_key = [seconds for pid, seconds in latencies.items() if copies[pid].channel == key]
        results.channel_last.setdefault(key, []).append(max(on_key))


def _utc(at):  # SQLite hands back what it stored; both engines store UTC
    return at if at.tzinfo else at.replace(tzinfo=UTC)


TASK_DONE = re.compile(r"Task worker\.tasks\.(\w+)\[[^]]+\] succeeded in ([0-9.]+)s")
TASK_FINISHED = re.compile(r"Task worker\.tasks\.(\w+)\[[^]]+\] (?:succeeded|raised|failed)")


def tasks_finished(logs: Path, name: str) -> int:
    """How many `name` tasks the workers have finished, by their logs."""
    return sum(
        found == name for log in logs.glob("*.log") for found in TASK_FINISHED.findall(log.read_text(errors="replace"))
    )


def task_times(logs: Path) -> dict[str, list[float]]:
    """Seconds each task took, from the workers' logs (evidence for where the time goes)."""
    found: dict[str, list[float]] = {}
    for log in logs.glob("*.log"):
        for name, seconds in TASK_DONE.findall(log.read_text(errors="replace")):
            found.setdefault(name, []).append(float(seconds))
    return found


def replacements_expected(bench: Bench, copies: dict[int, Copy]) -> int:
    """How many redacted copies the rules allow in place of those taken down (the worker publishes them, R5)."""
    with bench.records() as session:
        medias = session.scalars(select(Media).where(Media.id.in_(bench.media))).all()
        decided = decision_service.decisions_for(session, medias)
    allowed = {
        (media_id, key) for media_id, decisions in decided.items() for key, d in decisions.items() if d.may_go_out
    }
    with bench.records() as session:
        taken = session.execute(
            select(Publication.media_id, Channel.key)
            .join(Channel, Channel.id == Publication.channel_id)
            .where(Publication.id.in_(copies))
        ).all()
    return sum((media_id, key) in allowed for media_id, key in taken)


def settle(bench: Bench, copies: dict[int, Copy], replaced_before: int, timeout: float) -> list[int]:
    """Wait until the worker has tried to replace every copy taken down (it finds the refused ones in
    its log only) and published the replacements the rules allow; returns those."""
    expected = replacements_expected(bench, copies)

    def done() -> tuple[list[int]] | None:
        if tasks_finished(bench.logs, "replace_publication") < replaced_before + len(copies):
            return None
        with bench.records() as session:
            busy = session.scalar(
                select(func.count())
                .select_from(Publication)
                .where(
                    Publication.media_id.in_(bench.media),
                    Publication.state.in_([PublicationState.PUBLISHING, PublicationState.TAKEDOWN_PENDING]),
                )
            )
            replaced = session.scalars(
                select(Publication.id).where(
                    Publication.replaces_id.in_(copies), Publication.state == PublicationState.PUBLISHED
                )
            ).all()
        return (list(replaced),) if not busy and len(replaced) >= expected else None

    [replaced] = wait_for(done, timeout, f"{expected} replacement copies", interval=0.2)
    return replaced


def remove(bench: Bench, publication_ids: list[int]) -> None:
    for publication_id in publication_ids:
        with bench.records.begin() as session:
            publication_service.unpublish_by_staff(session, publication_id, BENCH)
        publication_service.take_down(bench.records, bench.channels, publication_id)


def round_with_worker(bench: Bench, copies: dict[int, Copy], results: Results, timeout: float) -> None:
    with bench.records() as session:
        active = list(session.scalars(select(Channel.key).where(Channel.active.is_(True))))
    replaced_before = tasks_finished(bench.logs, "replace_publication")
    committed = withdraw_all(bench)
    web_tasks.consent_changed(bench.student, list(CHANNELS), active)  # as web.routers.consent does after its commit
    results.gone += watch(bench, copies, committed, timeout)
    record(results, copies, confirmed(bench, copies, committed, timeout))
    remove(bench, settle(bench, copies, replaced_before, timeout))


def round_in_process(bench: Bench, copies: dict[int, Copy], results: Results, timeout: float) -> None:
    """The baseline: the three tasks' work, one after the other, in this process."""
    committed = withdraw_all(bench)
    for key in CHANNELS:
        with bench.records.begin() as session:
            overtaken = publication_service.apply_consent_change(session, bench.student, key)
        for publication_id in overtaken:
            publication_service.take_down(bench.records, bench.channels, publication_id)
    assert not set(copies.values()) & on_channels(bench)
    record(results, copies, confirmed(bench, copies, committed, timeout))


def measure(kind: str, args: argparse.Namespace) -> dict:
    with place(kind) as where, graph_api(args.facebook == "graph") as served:
        settings = where.settings.model_copy(
            update={"reconcile_seconds": args.reconcile_seconds, "channel_adapters": adapters(served)}
        )
        celery_app.configure(settings)
        [student] = students(where.records, 1, (*CHANNELS, FACE_MATCHING))
        with where.records.begin() as session:
            follow_up(session, student, (*CHANNELS, FACE_MATCHING))
        media = [
            checked_media(where.records, settings.data_dir / "uploads" / str(n), {student: SANNE_BOX})
            for n in range(args.photos)
        ]
        bench = Bench(
            where.records,
            settings,
            ConfiguredChannels(settings),
            PhotoChecker(),
            served and served[1],
            student,
            media,
            where.root,
        )
        worker, baseline = Results(), Results()
        tasks: dict[str, list[float]] = {}
        for n in range(max(args.rounds, args.baseline_rounds)):  # alternated: both see the same load
            if n < args.rounds:
                with workers(kind, settings, where.root, args.concurrency):
                    copies = publish_all(bench)
                    time.sleep(args.pause)
                    round_with_worker(bench, copies, worker, args.timeout)
                    grant_again(bench)
                print(f"  {kind} round {n + 1}: worker, last copy {worker.last[-1]:.2f} s", file=sys.stderr)
                for name, times in task_times(where.root).items():  # a worker's log starts anew with it
                    tasks.setdefault(name, []).extend(times)
            if n < args.baseline_rounds:
                copies = publish_all(bench)
                round_in_process(bench, copies, baseline, args.timeout)
                grant_again(bench)
                print(f"  {kind} round {n + 1}: baseline, last copy {baseline.last[-1]:.2f} s", file=sys.stderr)
        return {"worker": worker, "baseline": baseline, "tasks": tasks}


def percentile(values: list[float], p: float) -> float:
    """Nearest rank."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def summary(results: Results) -> dict[str, float]:
    return {
        "copies": len(results.per_copy),
        "rounds": len(results.last),
        "copy_p50": statistics.median(results.per_copy),
        "copy_p99": percentile(results.per_copy, 99),
        "copy_max": max(results.per_copy),
        "last_p50": statistics.median(results.last),
        "last_p99": percentile(results.last, 99),
        "last_max": max(results.last),
    }


def row(setup: str, condition: str, s: dict[str, float], base: dict[str, float]) -> str:
    def ms(value: float) -> str:
        return f"{value * 1000:,.0f}"

    cells = [
        setup,
        condition,
        f"{s['rounds']}×{s['copies'] // max(1, s['rounds'])}",
        ms(s["copy_p50"]),
        ms(s["copy_p99"]),
        ms(s["copy_max"]),
        ms(s["last_p50"]),
        ms(s["last_p99"]),
        ms(s["last_max"]),
        f"{s['copy_p99'] / base['copy_p99']:,.1f}×",
        f"{s['last_p50'] / base['last_p50']:,.1f}×",
        "yes" if s["copy_p99"] < 5 else "**no**",
    ]
    return "| " + " | ".join(map(str, cells)) + " |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--setups", default="embedded,redis")
    parser.add_argument("--rounds", type=int, default=5, help="withdrawals per setup, with the worker")
    parser.add_argument("--baseline-rounds", type=int, default=5, help="in-process rounds, alternated with those")
    parser.add_argument("--photos", type=int, default=100, help="photos of the student, each on 3 channels")
    parser.add_argument("--facebook", choices=("graph", "folder"), default="graph")
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--reconcile-seconds", type=float, default=10.0)
    parser.add_argument("--pause", type=float, default=1.0, help="seconds between publishing and withdrawing")
    parser.add_argument("--timeout", type=float, default=300.0)
    parser.add_argument("--json", type=Path, help="also write every latency to this file")
    args = parser.parse_args()
    load_before = os.getloadavg()
    print(
        f"{os.cpu_count()} CPUs; worker concurrency {args.concurrency}; {args.photos} photos × {len(CHANNELS)} "
        f"channels (facebook: {args.facebook}); load average before {load_before[0]:.2f} {load_before[1]:.2f}",
        file=sys.stderr,
    )
    lines = [
        "| setup | condition | rounds×copies | copy p50 ms | copy p99 ms | copy max ms "
        "| last copy p50 ms | last p99 ms | last max ms | copy p99 × baseline | last p50 × baseline | p99 < 5 s |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    raw = {}
    for setup in args.setups.split(","):
        print(f"measuring {setup} …", file=sys.stderr)
        measured = measure(setup, args)
        base = summary(measured["baseline"])
        lines.append(row(setup, "in process (baseline)", base, base))
        lines.append(row(setup, "worker", summary(measured["worker"]), base))
        for condition in ("baseline", "worker"):
            lasts = measured[condition].channel_last
            text = ", ".join(f"{key} {statistics.median(times):.2f} s" for key, times in lasts.items())
            print(f"  {setup} {condition}: median time to the last copy per channel: {text}", file=sys.stderr)
        for name, times in sorted(measured["tasks"].items()):
            print(
                f"  {setup} task {name}: n={len(times)} median {statistics.median(times):.3f} s, "
                f"max {max(times):.3f} s",
                file=sys.stderr,
            )
        raw[setup] = {
            condition: {**vars(measured[condition]), "summary": summary(measured[condition])}
            for condition in ("worker", "baseline")
        } | {"tasks": measured["tasks"]}
    load_after = os.getloadavg()
    print("\n".join(lines))
    print(f"load average (1, 5, 15 min): before {load_before}, after {tuple(round(x, 2) for x in load_after)}")
    if args.json:
        args.json.write_text(json.dumps({"args": {k: str(v) for k, v in vars(args).items()}, "results": raw}))


if __name__ == "__main__":
    main()
