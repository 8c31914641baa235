"""Fixtures for the web tests: the real app served by uvicorn on 127.0.0.1, on SQLite and PostgreSQL.

`seeded_app` is an app without a worker on a small school built through the services (for the
authorisation table, CSRF, login and consent-page tests); `demo_app` is `mediacheck serve --demo`
with its worker, for the browser journeys. Each starts once per session and stops with it.
"""

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright
from sqlalchemy import create_engine
from sqlalchemy.exc import OperationalError

from mediacheck.check import PhotoChecker
from mediacheck.config import AppSettings
from models.database import make_engine, upgrade
from tests.records.conftest import POSTGRES_URL, fresh_postgres_schema
from tests.services.require import require
from tests.web.inprocess import LocalApp, local_app
from tests.web.school import School, build_school
from tests.web.servers import Server, running_app

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def web_checker() -> PhotoChecker:
    return PhotoChecker()


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated, empty database of each engine for one app."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('web-db') / 'records.db'}"
        _migrate(url)
        yield url
        return
    admin = create_engine(POSTGRES_URL)
    try:
        with admin.connect():
            pass
    except OperationalError:
        admin.dispose()
        require(False, f"PostgreSQL at {POSTGRES_URL}")
    with fresh_postgres_schema(admin) as url:
        _migrate(url)
        yield url
    admin.dispose()


@pytest.fixture(scope="session")
def seeded_app(
    database_url: str, tmp_path_factory: pytest.TempPathFactory, web_checker: PhotoChecker
) -> Iterator[tuple[Server, School]]:
    folder = tmp_path_factory.mktemp("seeded-app")
    settings = AppSettings(data_dir=folder / "data", database_url=database_url)
    with running_app(settings, folder / "serve.log", "--no-worker") as server:
        yield server, build_school(settings, web_checker, folder)


@pytest.fixture(params=["sqlite", "postgresql"])
def local(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[LocalApp]:
    """The app in this process on a fresh database of each engine (see `tests.web.inprocess`)."""
    with local_app(request.param, tmp_path) as app:
        yield app


@pytest.fixture(scope="session")
def demo_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """`mediacheck serve --demo` with its worker, on the embedded defaults (SQLite, folder broker and channels)."""
    folder = tmp_path_factory.mktemp("demo-app")
    settings = AppSettings(data_dir=folder / "data", database_url=f"sqlite:///{folder / 'data' / 'mediacheck.db'}")
    with running_app(settings, folder / "serve.log", "--demo") as server:
        yield server


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


def _migrate(url: str) -> None:
    engine = make_engine(url)
    try:
        upgrade(engine)
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Debian's chromium driven by Playwright (no browser is ever downloaded), headless."""
    require(Path(CHROMIUM).exists(), f"chromium at {CHROMIUM} (tests/services/browser_setup.sh installs it)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield launched
        launched.close()
