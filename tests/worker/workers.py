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

from mediacheck.config import AppSettings

T = TypeVar("T")
ROOT = Path(__file__).resolve().parents[2]


def environment(settings: AppSettings) -> dict[str, str]:
    """The `MEDIACHECK_*` variables that give another process exactly these settings."""
    values = {
        "DATA_DIR": str(settings.data_dir),
        "DATABASE_URL": settings.database_url,
        "BROKER_URL": settings.broker_url,
        "QUEUE_NAME": settings.queue_name,
        "RECONCILE_SECONDS": str(settings.reconcile_seconds),
        "RETRY_SECONDS": str(settings.retry_seconds),
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
