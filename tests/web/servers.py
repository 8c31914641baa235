"""Run the real web app (`mediacheck serve`, uvicorn on 127.0.0.1) as another process, and stop it
with everything it started, whatever happens in the test."""

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from mediacheck.config import AppSettings
from tests.services.ports import free_port
from tests.worker.workers import ROOT, environment, stop, wait_for

ADMIN_PASSWORD = "admin-password-for-tests"


@dataclass(frozen=True)
class Server:
    url: str
    settings: AppSettings
    log: Path

    def output(self) -> str:
        return self.log.read_text()


@contextmanager
def running_app(settings: AppSettings, log: Path, *options: str, ready_seconds: float = 240) -> Iterator[Server]:
    """`mediacheck serve` on a free port, answering requests; a worker beside it unless `--no-worker` (the
    queue holds work until that worker is up, so nothing waits for it here)."""
    port = free_port()
    env = {
        **os.environ,
        **environment(settings),
        "MEDIACHECK_ADMIN_PASSWORD": ADMIN_PASSWORD,
        "MEDIACHECK_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "OMP_NUM_THREADS": "1",
    }
    command = [sys.executable, "-m", "mediacheck", "serve", "--port", str(port), "--concurrency", "1", *options]
    with log.open("w") as output:
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
        )
    server = Server(f"http://127.0.0.1:{port}", settings, log)
    try:
        wait_for(lambda: _answers(server) or process.poll() is not None, ready_seconds, "the web app to start")
        if process.poll() is not None:
            raise RuntimeError(f"the web app stopped at start:\n{server.output()[-3000:]}")
        yield server
    finally:
        stop(process)


def _answers(server: Server) -> bool:
    try:
        return httpx.get(f"{server.url}/login", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False
