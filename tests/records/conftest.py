"""Fixtures for the records tests. Every database test runs on SQLite and on PostgreSQL.

Each test is isolated: on SQLite it gets a copy of a database file migrated once per session; on
PostgreSQL it works inside a transaction rolled back afterwards, on a schema migrated once per
session, and tests that need their own database get a fresh schema. With
MEDIACHECK_REQUIRE_SERVICES=1 an unreachable PostgreSQL fails the run instead of skipping.
"""

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from mediacheck.check import PhotoChecker
from mediacheck.config import AppSettings
from models.database import make_engine, session_factory, upgrade

POSTGRES_URL = os.environ.get("MEDIACHECK_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
ENGINES = ["sqlite", "postgresql"]


@pytest.fixture(scope="session")
def postgres_admin() -> Iterator[Engine | None]:
    engine = create_engine(POSTGRES_URL)
    try:
        with engine.connect():
            pass
    except OperationalError as error:
        engine.dispose()
        if os.environ.get("MEDIACHECK_REQUIRE_SERVICES") == "1":
            pytest.fail(f"PostgreSQL at {POSTGRES_URL} is required but unreachable: {error}")
        yield None
        return
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("migrated") / "records.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def postgres_records(postgres_admin: Engine | None) -> Iterator[Engine | None]:
    """One migrated PostgreSQL schema for the session; tests share it inside rolled-back transactions."""
    if postgres_admin is None:
        yield None
        return
    with fresh_postgres_schema(postgres_admin) as url:
        engine = make_engine(url)
        upgrade(engine)
        yield engine
        engine.dispose()


@pytest.fixture(params=ENGINES)
def blank_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database of each engine, no schema at all, for tests that run migrations or other processes."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'records.db'}"
        return
    with fresh_postgres_schema(require_postgres(request, "postgres_admin")) as url:
        yield url


@pytest.fixture(params=ENGINES)
def engine(request: pytest.FixtureRequest, tmp_path: Path, migrated_sqlite: Path) -> Iterator[Engine]:
    """A database of each engine at the newest schema, with the default channels and texts."""
    if request.param == "postgresql":
        yield require_postgres(request, "postgres_records")
        return
    path = tmp_path / "records.db"
    shutil.copyfile(migrated_sqlite, path)
    engine = make_engine(f"sqlite:///{path}")
    yield engine
    engine.dispose()


@pytest.fixture
def settings(engine: Engine, tmp_path: Path) -> AppSettings:
    url = engine.url.render_as_string(hide_password=False)
    return AppSettings(data_dir=tmp_path / "data", database_url=url, template_key=None, link_key=None)


@pytest.fixture
def session(settings: AppSettings, engine: Engine) -> Iterator[Session]:
    """A session like a request's, made by the application's factory; the test commits what it wants stored.

    On PostgreSQL everything happens inside one outer transaction rolled back after the test, and
    the test's commits are savepoints: statements (and triggers) run for real, nothing remains.
    """
    factory = session_factory(settings, engine)
    if engine.dialect.name == "sqlite":
        with factory() as session:
            yield session
        return
    with engine.connect() as connection:
        outer = connection.begin()
        factory.configure(bind=connection, join_transaction_mode="create_savepoint")
        with factory() as session:
            yield session
        outer.rollback()


@contextmanager
def fresh_postgres_schema(admin: Engine) -> Iterator[str]:
    schema = f"records_test_{uuid.uuid4().hex[:12]}"
    with admin.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        yield f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))


def require_postgres(request: pytest.FixtureRequest, fixture: str) -> Engine:
    engine = request.getfixturevalue(fixture)
    if engine is None:
        pytest.skip("PostgreSQL unreachable (set MEDIACHECK_REQUIRE_SERVICES=1 to fail instead)")
    return engine


@pytest.fixture(scope="session")
def photo_checker() -> PhotoChecker:
    """The real detector and encoder, loaded once."""
    return PhotoChecker()
