"""The web app in this process (Starlette's test client) on a fresh database of each engine, with a
small school built through the real services: for tests that count what one request writes, so
nothing another test did can be in the count."""

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker
from starlette.testclient import TestClient

from mediacheck.check import PhotoChecker
from mediacheck.config import AppSettings
from models import album_service, media_service, staff_service
from models.audit import Actor, ActorRole, AuditEvent
from models.database import make_engine, session_factory, upgrade
from models.media import Media
from models.staff import StaffRole
from tests.records.conftest import POSTGRES_URL, fresh_postgres_schema
from tests.services.require import require
from tests.web.audiences import log_in
from web.app import create_app

SEED = Actor(ActorRole.SYSTEM, "test-seed")
PASSWORD = "a-long-test-password"
ROLES = {"admin": StaffRole.ADMIN, "reviewer": StaffRole.REVIEWER, "communications": StaffRole.COMMUNICATIONS}


@dataclass
class LocalApp:
    settings: AppSettings
    factory: sessionmaker[Session]

    @contextmanager
    def client(self, username: str, base_url: str = "http://localhost") -> Iterator[TestClient]:
        """A client logged in as `username` through the login form."""
        with TestClient(create_app(self.settings, self.factory), base_url=base_url) as client:
            client.headers["Accept-Language"] = "en"
            assert log_in(client, username, PASSWORD).status_code in (200, 303)
            yield client

    def add_photo(self, checker: PhotoChecker, source: Path, name: str) -> int:
        """A photo uploaded into a new album and checked, as the worker would."""
        incoming = self.settings.data_dir / "incoming.tmp"
        incoming.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, incoming)
        with self.factory.begin() as session:
            album = album_service.create_album(session, f"Album for {name}", None, None, SEED)
            media = album_service.add_upload(session, album, name, incoming, self.settings.data_dir / "media", SEED)
            checked, _ = checker.check(Path(media.storage_path))
            media_service.record_check(session, media, checked, 0, SEED)
            return media.id

    def last_entry_id(self) -> int:
        with self.factory.begin() as session:
            return session.scalar(select(func.max(AuditEvent.id))) or 0

    def entries_since(self, marker: int, actor: str) -> list[AuditEvent]:
        """The entries `actor` caused after `marker`, detached, oldest first."""
        with self.factory() as session:
            rows = list(
                session.scalars(
                    select(AuditEvent)
                    .where(AuditEvent.id > marker, AuditEvent.actor_id == actor)
                    .order_by(AuditEvent.id)
                )
            )
            session.expunge_all()
            return rows

    def media(self, media_id: int) -> Media:
        with self.factory() as session:
            media = session.get(Media, media_id)
            _ = media.faces
            session.expunge_all()
            return media


@contextmanager
def local_app(engine_name: str, folder: Path) -> Iterator[LocalApp]:
    """The app on a fresh database of the engine, with an admin, a reviewer and communications staff."""
    with fresh_database(engine_name, folder) as url:
        engine = make_engine(url)
        try:
            upgrade(engine)
            settings = AppSettings(data_dir=folder / "data", database_url=url)
            factory = session_factory(settings, engine)
            with factory.begin() as session:
                for username, role in ROLES.items():
                    staff_service.create_user(session, username, username, role, PASSWORD, SEED)
            yield LocalApp(settings, factory)
        finally:
            engine.dispose()


@contextmanager
def fresh_database(engine_name: str, folder: Path) -> Iterator[str]:
    """An empty database of the engine, for this test alone."""
    if engine_name == "sqlite":
        yield f"sqlite:///{folder / 'records.db'}"
        return
    admin = create_engine(POSTGRES_URL)
    try:
        with admin.connect():
            pass
    except OperationalError:
        require(False, f"PostgreSQL at {POSTGRES_URL}")
    try:
        with fresh_postgres_schema(admin) as url:
            yield url
    finally:
        admin.dispose()
