"""Records benchmark: a school of 1,000 students and 1,500 guardians, on SQLite and PostgreSQL.

    python benchmarks/import_school.py [--students 1000] [--repeat 3]

Times, per database, the first import of the CSV, importing the same file again (nothing
changes), issuing every consent link, and deriving the whole school's current consents from the
events. The baseline, measured in the same run, is reading and validating the CSV without any
database; each step is shown as a multiple of it. PostgreSQL runs in a fresh schema on
MEDIACHECK_BENCH_POSTGRES_URL (default: the test server) and is skipped when unreachable.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # `models` is importable before the package is reinstalled

from mediacheck.config import AppSettings
from models import consent_service, link_service
from models.audit import Actor, ActorRole
from models.consent import ConsentMeans
from models.consent_service import Decider
from models.database import make_engine, session_factory, upgrade
from models.roster_csv import read_roster
from models.school import Student
from models.school_service import import_roster

POSTGRES_URL = os.environ.get("MEDIACHECK_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
TODAY = date(2025, 9, 1)
ADMIN = Actor(ActorRole.STAFF, "benchmark")
HEADER = (
    "student_number,first_name,last_name,birth_date,group,guardian1_name,guardian1_email,guardian2_name,guardian2_email"
)


def school_csv(path: Path, students: int) -> tuple[int, int]:
    """Families of two guardians with one child, or two children (every third family): 1,000 students
    come with 1,500 guardians. Returns (students, guardians)."""
    rows, family, guardians = [], 0, 0
    while len(rows) < students:
        children = 2 if family % 3 == 0 else 1
        parents = [
            (f"Parent{family}a Family{family}", f"p{family}a@example.org"),
            (f"Parent{family}b", f"p{family}b@example.org"),
        ]
        guardians += 2
        for child in range(min(children, students - len(rows))):
            number = len(rows) + 1
            born = date(2008, 1, 1) + timedelta(days=(number * 37) % 3650)
            group = f"{1 + number % 8}{'ABC'[number % 3]}"
            guardian_cells = ",".join(f"{name},{email}" for name, email in parents)
            rows.append(f"{100000 + number},Child{child},Family{family},{born},{group},{guardian_cells}")
        family += 1
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return len(rows), guardians


def timed(function: Callable[[], object]) -> float:
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


@contextmanager
def sqlite_database(workdir: Path) -> Iterator[str]:
    path = workdir / f"{uuid.uuid4().hex}.db"
    yield f"sqlite:///{path}"
    path.unlink(missing_ok=True)


@contextmanager
def postgres_database() -> Iterator[str]:
    admin = create_engine(POSTGRES_URL)
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    with admin.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        yield f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def postgres_reachable() -> bool:
    engine = create_engine(POSTGRES_URL)
    try:
        with engine.connect():
            return True
    except OperationalError:
        return False
    finally:
        engine.dispose()


def run_steps(url: str, workdir: Path, csv_path: Path, students: int) -> dict[str, float]:
    """One pass over a fresh database: every step in its own transaction, as the CLI runs them."""
    engine = make_engine(url)
    upgrade(engine)
    factory = session_factory(AppSettings(data_dir=workdir, database_url=url), engine)
    now = datetime.now(UTC)

    def import_file() -> None:
        with factory.begin() as session:
            import_roster(session, read_roster(csv_path, TODAY), ADMIN, TODAY)

    def grant_everyone() -> None:
        with factory.begin() as session:
            for student in session.query(Student).all():
                for purpose in ("protected", "public"):
                    decider = Decider.of_guardian(student.guardianships[0].guardian)
                    if student.age_on(now.date()) >= 16:
                        decider = Decider.student()
                    consent_service.grant(session, student, purpose, decider, ConsentMeans.PAPER, ADMIN)

    def issue_links() -> None:
        with factory.begin() as session:
            link_service.issue_links(session, ADMIN, now + timedelta(days=300))

    def consents() -> None:
        with factory() as session:
            granted = consent_service.current_consents(session, datetime.now(UTC))
        if len(granted) != 2 * students:
            raise SystemExit(f"expected every student's two consents, got {len(granted)}")

    times = {
        "first import": timed(import_file),
        "same file again": timed(import_file),
        "issue every consent link": timed(issue_links),
    }
    times["grant 2 consents per student"] = timed(grant_everyone)
    times["current consents, whole school"] = timed(consents)
    engine.dispose()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3, help="fresh databases per engine; the median is shown")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        students, guardians = school_csv(workdir / "school.csv", args.students)
        baseline = statistics.median(
            timed(lambda: read_roster(workdir / "school.csv", TODAY)) for _ in range(args.repeat)
        )
        engines = {"sqlite": lambda: sqlite_database(workdir)}
        if postgres_reachable():
            engines["postgresql"] = postgres_database
        results = {}
        for name, database in engines.items():
            runs = []
            for _ in range(args.repeat):
                with database() as url:
                    runs.append(run_steps(url, workdir, workdir / "school.csv", students))
            results[name] = {step: statistics.median(run[step] for run in runs) for step in runs[0]}
    print(f"school: {students} students, {guardians} guardians; median of {args.repeat} fresh databases")
    print(f"baseline: read and validate the CSV, no database: {baseline:.3f} s\n")
    header = f"{'step':<32}" + "".join(f"{name + ' s':>14}{'× baseline':>12}" for name in results)
    print(header)
    print("-" * len(header))
    for step in next(iter(results.values())):
        cells = "".join(f"{results[n][step]:>14.3f}{results[n][step] / baseline:>12.1f}" for n in results)
        print(f"{step:<32}{cells}")
    if "postgresql" not in results:
        print(f"\nPostgreSQL at {POSTGRES_URL} unreachable: not measured")


if __name__ == "__main__":
    main()
