"""Connect to the records: engine, session factory, and the migrations that shape the schema.

The application refuses to work on a schema that is not exactly the one this code expects
(`SchemaOutOfDate`): a half-migrated database could lose consent events or misread them.
"""

import contextlib
import os
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from mediacheck.config import AppSettings, private_folder

MIGRATIONS = Path(__file__).with_name("migrations")


class SchemaOutOfDate(Exception):
    """The database's schema is not the one this version of mediacheck needs; the message says what to do."""


def make_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        _private_database_file(Path(parsed.database))
    engine = create_engine(parsed)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _private_database_file(path: Path) -> None:
    """An SQLite file readable by its owner only, in a folder likewise; SQLite gives its journal and
    write-ahead log the database file's permissions."""
    private_folder(path.parent)
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """SQLite ignores foreign keys unless asked, per connection. Write-ahead logging lets readers go on
    while one process writes and makes each commit one append instead of a journal rewrite: the
    hundreds of commits of a withdrawal's takedowns were waiting on fsync (fully synchronous still)."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys = ON")
    if dbapi_connection.execute("PRAGMA database_list").fetchone()[2]:  # a file, not memory
        cursor.execute("PRAGMA journal_mode = WAL")
    cursor.close()


def migrations_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply the migrations up to `revision` (what `mediacheck db upgrade` runs)."""
    config = migrations_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def schema_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str | None:
    return ScriptDirectory.from_config(migrations_config()).get_current_head()


def check_schema(engine: Engine) -> None:
    """Raise `SchemaOutOfDate` unless the database is at this code's newest migration."""
    current, head = schema_revision(engine), head_revision()
    if current == head:
        return
    where = engine.url.render_as_string(hide_password=True)
    if current is None:
        raise SchemaOutOfDate(f"the database {where} has no mediacheck schema yet: run `mediacheck db upgrade`")
    known = {script.revision for script in ScriptDirectory.from_config(migrations_config()).walk_revisions()}
    if current not in known:
        raise SchemaOutOfDate(
            f"the database {where} is at schema {current}, newer than this version of mediacheck knows: "
            "upgrade mediacheck"
        )
    raise SchemaOutOfDate(f"the database {where} is at schema {current}, not {head}: run `mediacheck db upgrade`")


def session_factory(settings: AppSettings, engine: Engine | None = None) -> sessionmaker[Session]:
    """Sessions on an up-to-date schema, carrying the settings that services read keys from."""
    engine = engine or make_engine(settings.database_url)
    check_schema(engine)
    return sessionmaker(engine, expire_on_commit=False, info={"settings": settings})


def settings_of(session: Session) -> AppSettings:
    settings = session.info.get("settings")
    if not isinstance(settings, AppSettings):
        raise RuntimeError("this session was not made by models.database.session_factory: it carries no settings")
    return settings
