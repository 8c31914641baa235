"""What every request needs from the running app: settings, database sessions, templates, the renderer."""

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from fastapi import Request
from sqlalchemy.orm import Session, sessionmaker

from mediacheck.check import PhotoChecker
from mediacheck.config import AppSettings


@dataclass
class WebState:
    settings: AppSettings
    factory: sessionmaker[Session]
    _checker: PhotoChecker | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def media_dir(self) -> Path:
        return self.settings.data_dir / "media"

    @property
    def cache_dir(self) -> Path:
        """Downscaled views of uploads for staff pages; derived data, safe to delete."""
        return self.settings.data_dir / "cache"

    def today(self) -> date:
        """The calendar day at the school (ages, forms and defaults follow it, not the server's zone)."""
        return datetime.now(ZoneInfo(self.settings.school_timezone)).date()

    def checker(self) -> PhotoChecker:
        """One renderer per process: the models load once, on the first preview."""
        with self._lock:
            if self._checker is None:
                self._checker = PhotoChecker()
            return self._checker


def web_state(request: Request) -> WebState:
    return request.app.state.web


@contextmanager
def transaction(request: Request) -> Iterator[Session]:
    """One committed-or-rolled-back unit of work; worker tasks are queued only after it."""
    with web_state(request).factory.begin() as session:
        yield session
