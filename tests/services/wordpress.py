"""A real WordPress (Debian's package) on 127.0.0.1 for the channel tests.

`wordpress_setup.sh` (run by .ci/run) installs it and prepares the database; `start_wordpress`
installs a fresh site, creates an application password and serves it with PHP's own server.
"""

import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.services.ports import free_port

HERE = Path(__file__).parent
DOCUMENT_ROOT = Path("/usr/share/wordpress")
UPLOADS = Path("/var/lib/wordpress/wp-content/uploads")


@dataclass(frozen=True)
class WordPressSite:
    url: str
    user: str
    application_password: str
    uploads: Path


def wordpress_available() -> bool:
    return (DOCUMENT_ROOT / "wp-settings.php").exists() and Path("/etc/wordpress/config-127.0.0.1.php").exists()


@contextmanager
def start_wordpress() -> Iterator[WordPressSite]:
    host = f"127.0.0.1:{free_port()}"
    installed = subprocess.run(
        ["php", str(HERE / "wordpress_install.php"), host], capture_output=True, text=True, check=True
    )
    password = installed.stdout.strip().splitlines()[-1]
    server = subprocess.Popen(
        ["php", "-S", host, "-t", str(DOCUMENT_ROOT), str(HERE / "wordpress_router.php")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_until_up(f"http://{host}/?rest_route=/")
        yield WordPressSite(f"http://{host}/", "admin", password, UPLOADS)
    finally:
        server.kill()
        server.wait(timeout=10)


def _wait_until_up(url: str, seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"WordPress did not answer at {url}")
