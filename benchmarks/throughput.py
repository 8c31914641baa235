"""Worker throughput: photos checked per minute, and what the broker itself costs.

    python benchmarks/throughput.py [--photos 16] [--setups embedded,redis] [--concurrency 1,2] [--messages 300]

Photos: the sample event photos, uploaded `--photos` times in all, with two students enrolled (so
faces are matched too), checked by a real `mediacheck worker` per setup and concurrency; the clock
runs from the first message to the last photo recorded as checked. The baseline, measured in the
same run, is the same photos checked in one process with `PhotoChecker.check`: no worker, no
broker, no database.

Brokers: `--messages` messages put and then taken through kombu, and the delay between a message
being put and a waiting consumer getting it, for the embedded folder broker (`worker.broker`),
kombu's own `filesystem://`, kombu's SQLAlchemy transport on SQLite (the other broker that needs
no server), and Redis.
"""

import argparse
import os
import random
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kombu import Connection
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from mediacheck.check import PhotoChecker
from models.gallery_source import check_inputs
from models.media import Media, MediaState
from tests.samples import EVENTS
from tests.worker.builders import enrol, school, upload
from tests.worker.workers import running_worker, wait_for
from worker import tasks
from worker.app import EMBEDDED_POLLING, celery_app
from worker.broker import transport_options

sys.path.insert(0, str(ROOT / "benchmarks"))
from takedown import REDIS_URL, place


def photos(count: int) -> list[Path]:
    found = sorted(EVENTS.glob("*.jpg"))
    return [found[n % len(found)] for n in range(count)]


def in_process(checker: PhotoChecker, count: int) -> float:
    """Photos per minute, checked one after the other in this process (the baseline)."""
    checker.check(photos(1)[0])  # warm up
    started = time.perf_counter()
    for path in photos(count):
        checker.check(path)
    return count / (time.perf_counter() - started) * 60


def through_worker(kind: str, concurrency: int, count: int, baseline: list[float]) -> float:
    """Photos per minute through a worker; appends the in-process baseline on the same records to `baseline`."""
    with place(kind) as where:
        settings, records = where.settings, where.records
        kids = school(records)
        checker = PhotoChecker()
        enrol(records, kids, checker)
        if not baseline:
            with records() as session:
                baseline.append(in_process(PhotoChecker.from_inputs(check_inputs(session)), count))
        celery_app.configure(settings)
        with running_worker(settings, where.root / "worker.log", concurrency=concurrency, lean=False):
            warm = [upload(records, settings, path) for path in photos(concurrency)]
            for media_id in warm:  # every pool process loads its models before the clock starts
                tasks.process_media.delay(media_id)
            wait_for(lambda: checked(records) == len(warm), 300, "the warm-up")
            media = [upload(records, settings, path) for path in photos(count)]
            started = time.perf_counter()
            for media_id in media:
                tasks.process_media.delay(media_id)
            wait_for(lambda: checked(records) == len(warm) + count, 900, "the checks", interval=0.02)
            elapsed = time.perf_counter() - started
        return count / elapsed * 60


def checked(records: sessionmaker[Session]) -> int:
    with records() as session:
        return session.scalar(select(func.count()).where(Media.state == MediaState.CHECKED)) or 0


@contextmanager
def broker(name: str, root: Path) -> Iterator[dict]:
    if name == "embedded folder":
        yield {
            "hostname": "filesystem://",
            "transport": "worker.broker:FolderTransport",
            "transport_options": transport_options(root / "folder", EMBEDDED_POLLING),
        }
    elif name == "kombu filesystem":
        options = transport_options(root / "kombu", EMBEDDED_POLLING)
        for folder in ("data_folder_in", "processed_folder", "control_folder"):
            Path(options[folder]).mkdir(parents=True, exist_ok=True)
        yield {"hostname": "filesystem://", "transport_options": options}
    elif name == "kombu sqlalchemy (SQLite)":
        yield {"hostname": f"sqla+sqlite:///{root / 'broker.db'}"}
    else:
        yield {"hostname": REDIS_URL}


def broker_costs(name: str, messages: int, waits: int) -> tuple[float, float, float]:
    """(messages per second put then taken, median delay ms, max delay ms)."""
    with tempfile.TemporaryDirectory() as temporary, broker(name, Path(temporary)) as options:
        queue_name = f"bench-{uuid.uuid4().hex[:8]}"
        with Connection(**options) as consumer_connection, Connection(**options) as producer_connection:
            consumer = consumer_connection.SimpleQueue(queue_name)
            producer = producer_connection.SimpleQueue(queue_name)
            started = time.perf_counter()
            for n in range(messages):
                producer.put({"n": n})
            for _ in range(messages):
                consumer.get(timeout=30).ack()
            rate = messages / (time.perf_counter() - started)
            delays = []
            for _ in range(waits):
                timer = threading.Timer(random.uniform(0.05, 0.3), lambda: producer.put({"at": time.perf_counter()}))
                timer.start()
                message = consumer.get(timeout=30)
                delays.append((time.perf_counter() - message.payload["at"]) * 1000)
                message.ack()
                timer.join()
            consumer.clear()
            consumer.close()
            producer.close()
        return rate, statistics.median(delays), max(delays)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=16)
    parser.add_argument("--setups", default="embedded,redis")
    parser.add_argument("--concurrency", default="1,2")
    parser.add_argument("--messages", type=int, default=300)
    parser.add_argument("--waits", type=int, default=20)
    args = parser.parse_args()
    print(f"{os.cpu_count()} CPUs", file=sys.stderr)

    baseline: list[float] = []
    rows = []
    for setup in args.setups.split(","):
        for concurrency in map(int, args.concurrency.split(",")):
            print(f"measuring {setup}, concurrency {concurrency} …", file=sys.stderr)
            rows.append((setup, concurrency, through_worker(setup, concurrency, args.photos, baseline)))
    lines = ["| setup | worker concurrency | photos/min | × baseline |", "|---|---|---|---|"]
    lines.append(f"| in process, no worker, no database (baseline) | 1 | {baseline[0]:,.0f} | 1.00× |")
    lines += [f"| {setup} | {c} | {rate:,.0f} | {rate / baseline[0]:.2f}× |" for setup, c, rate in rows]
    print("\n".join(lines))

    lines = ["", "| broker | messages/s (put, then take) | delay median ms | delay max ms |", "|---|---|---|---|"]
    for name in ("embedded folder", "kombu filesystem", "kombu sqlalchemy (SQLite)", "redis"):
        print(f"measuring the broker {name} …", file=sys.stderr)
        rate, median, longest = broker_costs(name, args.messages, args.waits)
        lines.append(f"| {name} | {rate:,.0f} | {median:,.0f} | {longest:,.0f} |")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
