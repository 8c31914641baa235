"""Login timing: does the answer's time tell an attacker whether a staff name exists? (R8)

    python benchmarks/login_timing.py [--tries 40]

Times `staff_service.login` (the whole login: throttle lookup, argon2 check, failure count and
register row, in one committed transaction) on a fresh SQLite database, for a wrong password with
a known name and with an unknown name, and for both while their wait is due (refused unchecked).
Each checked try comes an hour after the previous one so no wait builds up; the kinds alternate so
machine load hits both alike. The table shows median and p90 per kind and their ratio known/unknown:
1.00 means the time says nothing.
"""

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # `models` is importable before the package is reinstalled

from sqlalchemy.orm import Session, sessionmaker

from mediacheck.config import AppSettings
from models import staff_service
from models.audit import Actor, ActorRole
from models.base import utcnow
from models.database import make_engine, session_factory, upgrade
from models.staff import StaffRole

KNOWN = "headteacher"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tries", type=int, default=40, help="timed logins per kind")
    tries = parser.parse_args().tries
    with tempfile.TemporaryDirectory() as folder:
        settings = AppSettings(data_dir=Path(folder), link_key="benchmark-link-key")
        engine = make_engine(settings.database_url)
        upgrade(engine)
        factory = session_factory(settings, engine)
        with factory.begin() as session:
            actor = Actor(ActorRole.SYSTEM, "benchmark")
            staff_service.create_user(session, KNOWN, "Head", StaffRole.ADMIN, "the-right-password", actor)
        start = utcnow()

        def login(name: str, address: str, hour: int) -> Callable[[], object]:
            def attempt() -> object:
                with factory.begin() as session:
                    return staff_service.login(session, name, "wrong", address, at=start + timedelta(hours=hour))

            return attempt

        times: dict[str, list[float]] = {kind: [] for kind in ("known", "unknown", "known_wait", "unknown_wait")}
        for n in range(tries):
            checked = {"known": login(KNOWN, "192.0.2.1", 3 * n), "unknown": login(f"ghost{n}", "192.0.2.2", 3 * n)}
            for kind in sorted(checked, reverse=n % 2 == 1):
                times[kind].append(_timed(checked[kind]))
            waiting = start + timedelta(hours=3 * n + 1)
            _wait_for(factory, KNOWN, "198.51.100.1", waiting)
            _wait_for(factory, "ghost-waiting", "203.0.113.1", waiting)
            refused = {
                "known_wait": login(KNOWN, "198.51.100.1", 3 * n + 1),
                "unknown_wait": login("ghost-waiting", "203.0.113.1", 3 * n + 1),
            }
            for kind in sorted(refused, reverse=n % 2 == 1):
                times[kind].append(_timed(refused[kind]))
        engine.dispose()
    _table(times, tries)


def _wait_for(factory: sessionmaker[Session], name: str, address: str, at: datetime) -> None:
    """Enough wrong passwords, untimed, that the next try for `name` at `at` must wait."""
    with factory.begin() as session:
        while staff_service.wait_before_login(session, name, address, at) == 0:
            staff_service.login(session, name, "wrong", address, at=at)


def _timed(attempt: Callable[[], object]) -> float:
    began = time.perf_counter()
    attempt()
    return (time.perf_counter() - began) * 1000


def _table(times: dict[str, list[float]], tries: int) -> None:
    print(f"login of a wrong password, {tries} tries per kind, milliseconds")
    print(f"{'':<28}{'known name':>12}{'unknown name':>14}{'ratio':>8}")
    for label, known, unknown in (
        ("checked: median", "known", "unknown"),
        ("waiting: median", "known_wait", "unknown_wait"),
    ):
        for measure, name in ((statistics.median, label), (_p90, label.replace("median", "p90"))):
            k, u = measure(times[known]), measure(times[unknown])
            print(f"{name:<28}{k:>12.1f}{u:>14.1f}{k / u:>8.2f}")


def _p90(values: list[float]) -> float:
    return statistics.quantiles(values, n=10)[-1]


if __name__ == "__main__":
    main()
