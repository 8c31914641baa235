"""Read and change the records of a running app directly, as the app's own services would."""

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.orm import Session

from models.database import make_engine, session_factory
from tests.web.servers import Server


@contextmanager
def records(server: Server) -> Iterator[Session]:
    """One committed transaction on the app's database."""
    engine = make_engine(server.settings.database_url)
    try:
        with session_factory(server.settings, engine).begin() as session:
            yield session
    finally:
        engine.dispose()
