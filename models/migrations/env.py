"""Alembic environment: migrate the connection handed over by `models.database.upgrade`, or the
database the settings name when run from the `alembic` command."""

from alembic import context
from sqlalchemy import Connection

from mediacheck.config import AppSettings
from models import Base
from models.database import make_engine


def run_migrations(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        run_migrations(connection)
        return
    url = context.config.get_main_option("sqlalchemy.url") or AppSettings().database_url
    with make_engine(url).begin() as connection:
        run_migrations(connection)


if context.is_offline_mode():
    raise SystemExit("mediacheck migrations run online only: `mediacheck db upgrade`")
run_online()
