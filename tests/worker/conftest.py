"""Fixtures for the worker tests: databases that commit for real (the worker's transactions are its
own), on SQLite and PostgreSQL, and real `mediacheck worker` processes, stopped after their module."""

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from mediacheck.config import AppSettings
from models.database import make_engine, session_factory, upgrade
from tests.records.conftest import (
    ENGINES,
    blank_database_url,
    fresh_postgres_schema,
    migrated_sqlite,
    photo_checker,
    postgres_admin,
    require_postgres,
)

__all__ = ["blank_database_url", "migrated_sqlite", "photo_checker", "postgres_admin"]


@pytest.fixture(params=ENGINES)
def database_url(request: pytest.FixtureRequest, tmp_path: Path, migrated_sqlite: Path) -> Iterator[str]:
    """A database of each engine at the newest schema, for this test alone."""
    if request.param == "sqlite":
        path = tmp_path / "records.db"
        shutil.copyfile(migrated_sqlite, path)
        yield f"sqlite:///{path}"
        return
    with fresh_postgres_schema(require_postgres(request, "postgres_admin")) as url:
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        yield url


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> AppSettings:
    return AppSettings(data_dir=tmp_path / "data", database_url=database_url, retry_seconds=0.1)


@pytest.fixture
def factory(settings: AppSettings) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(settings.database_url)
    yield session_factory(settings, engine)
    engine.dispose()
