"""Start a real `mediacheck worker` (with its beat) as another process, and stop it and everything it
started, whatever happens in the test."""

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TypeVar

import redis

from mediacheck.config import AppSettings
from tests.services.require import require

T = TypeVar("T")
ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = "redis://127.0.0.1:6379/11"
"""The shared Redis's database for the worker tests; each run uses queues of its own (`queue_name`)."""


def environment(settings: AppSettings) -> dict[str, str]:
    """The `MEDIACHECK_*` variables that give another process exactly these settings."""
    values = {
        "DATA_DIR": str(settings.data_dir),
        "DATABASE_URL": settings.database_url,
        "BROKER_URL": settings.broker_url,
        "QUEUE_NAME": settings.queue_name,
        "RECONCILE_SECONDS": str(settings.reconcile_seconds),
        "RETRY_SECONDS": str(settings.retry_seconds),
        "CHECK_LEASE_SECONDS": str(settings.check_lease_seconds),
        "CHANNEL_LEASE_SECONDS": str(settings.channel_lease_seconds),
        "CHANNEL_ADAPTERS": json.dumps(settings.channel_adapters),
    }
    return {f"MEDIACHECK_{name}": value for name, value in values.items()}


@contextmanager
def running_worker(
    settings: AppSettings, log: Path, *options: str, concurrency: int = 1, lean: bool = True
) -> Iterator[subprocess.Popen]:
    """`mediacheck worker --beat` on `settings`, ready to take work; its log goes to `log`. `lean`: one
    thread per process for the models, to leave the shared test machine's other cores alone."""
    env = {**os.environ, **environment(settings), **({"OMP_NUM_THREADS": "1"} if lean else {})}
    with log.open("w") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "mediacheck", "worker", f"--concurrency={concurrency}", "--beat", *options],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: the pool and the beat stop with it
        )
    try:
        wait_for(lambda: " ready." in log.read_text() or process.poll() is not None, 90, "the worker to start")
        if process.poll() is not None:
            raise RuntimeError(f"the worker stopped at start:\n{log.read_text()[-3000:]}")
        yield process
    finally:
        stop(process)


def stop(process: subprocess.Popen) -> None:
    """Warm shutdown first (running tasks finish), then kill whatever of the group is left."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        pass
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)


def wait_for(condition: Callable[[], T], seconds: float, what: str, interval: float = 0.05) -> T:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(interval)
    raise AssertionError(f"waited {seconds:.0f} s for {what}")


def kill(process: subprocess.Popen) -> None:
    """SIGKILL the worker's whole process group at once (main process, pool, beat), as a power cut or the
    OOM killer would: nothing gets to acknowledge, give back or roll back what it was doing."""
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)


def redis_available(url: str = REDIS_URL) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_timeout=2).ping())
    except redis.RedisError:
        return False


@contextmanager
def own_redis_queues(settings: AppSettings) -> Iterator[None]:
    """Require the shared Redis of `settings.broker_url`; afterwards remove this run's queues, bindings and
    the messages a killed worker left unacknowledged (kombu's `unacked` hash), and only those: it is shared."""
    require(redis_available(settings.broker_url), f"Redis at {settings.broker_url}")
    try:
        yield
    finally:
        client = redis.Redis.from_url(settings.broker_url)
        for key in client.scan_iter(f"*{settings.queue_name}*"):
            client.delete(key)
        for tag, message in client.hgetall("unacked").items():
            if json.loads(message)[2].startswith(f"{settings.queue_name}."):  # [message, exchange, routing key]
                client.hdel("unacked", tag)
                client.zrem("unacked_index", tag)
