"""The record commands, run as an administrator would, against each database."""

import csv
import json
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import func, select, update
from typer.testing import CliRunner

from mediacheck.cli import full_app
from mediacheck.config import AppSettings
from models import staff_service
from models.audit import Actor, ActorRole
from models.base import utcnow
from models.biometrics import FaceTemplate
from models.database import head_revision, make_engine, session_factory
from models.school import Student
from models.staff import StaffRole
from tests.records.builders import DAAN, NOOR, PHOTO_OF, SANNE, roster, write_school_csv
from tests.samples import EVENTS

SYSTEM = Actor(ActorRole.SYSTEM, "test")
Run = Callable[..., str]
"""`run(*args, code=0)`: the command's output, after checking its exit code."""


@pytest.fixture
def run(blank_database_url: str, tmp_path: Path) -> Run:
    """Run `mediacheck <args>` with the settings in the environment, as in production."""
    env = {
        "MEDIACHECK_DATABASE_URL": blank_database_url,
        "MEDIACHECK_DATA_DIR": str(tmp_path / "data"),
        "MEDIACHECK_TEMPLATE_KEY": None,
        "MEDIACHECK_LINK_KEY": None,
    }

    def invoke(*args: str, code: int = 0) -> str:
        result = CliRunner().invoke(full_app(), list(args), env=env)
        assert result.exit_code == code, result.output
        return result.output

    return invoke


def students_in(url: str) -> int:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return connection.scalar(select(func.count()).select_from(Student))
    finally:
        engine.dispose()


def test_commands_refuse_a_database_that_was_never_upgraded(run: Run) -> None:
    assert "run `mediacheck db upgrade`" in run("consent", "show", "1001", code=1)
    assert "no mediacheck schema yet" in run("db", "status", code=1)
    assert f"schema upgraded from empty to {head_revision()}" in run("db", "upgrade")
    assert "already up to date" in run("db", "upgrade")
    assert f"schema up to date ({head_revision()})" in run("db", "status")


def test_bad_birth_date_on_line_37_of_500_writes_nothing_and_names_line_37(
    run: Run, blank_database_url: str, tmp_path: Path
) -> None:
    run("db", "upgrade")
    output = run("students", "import", str(write_school_csv(tmp_path, lines=500, bad_line=37)), code=1)
    assert "nothing was imported; 1 problem(s)" in output and "line 37: birth_date '31-02-2012'" in output
    assert students_in(blank_database_url) == 0
    assert "499 new" in run("students", "import", str(write_school_csv(tmp_path, lines=500)))
    assert "0 new, 0 updated, 499 unchanged" in run("students", "import", str(write_school_csv(tmp_path, lines=500)))


def test_an_administrator_session_from_import_to_erasure(run: Run, tmp_path: Path) -> None:
    """Import, paper consent (R4), R6 refusal, enrolment (R11), links (R8), audit (R9), export and erase (R12)."""
    run("db", "upgrade")
    (tmp_path / "school.csv").write_text(roster(SANNE, DAAN, NOOR))
    run("students", "import", str(tmp_path / "school.csv"))
    assert "face-matching" in run("consent", "grant", "1001", "public", "face-matching", "--by", "petra@example.org")
    refused = run("consent", "grant", "1002", "public", "--by", "petra@example.org", code=1)
    assert "only the student decides (R6)" in refused
    run("consent", "grant", "1002", "public", "--by", "student", "--means", "admin", "--on", "2025-09-03")
    shown = run("consent", "show", "1001", "--history")
    assert "public" in shown and "yes" in shown and "guardian petra@example.org" in shown and "v1 nl" in shown
    assert "enrolled st-" in run("enroll", "1001", str(PHOTO_OF["1001"]))
    assert "no consent for face matching" in run("enroll", "1003", str(PHOTO_OF["1003"]), code=1)
    run("consent", "links", "--group", "7B", "--out", str(tmp_path / "links.csv"))
    with (tmp_path / "links.csv").open() as file:
        links = list(csv.DictReader(file))
    assert sorted(row["email"] for row in links) == ["jan@example.org", "petra@example.org"]
    assert (tmp_path / "links.csv").stat().st_mode & 0o077 == 0, "secret links: owner only"
    run("export", "1001", "--out", str(tmp_path / "sanne.zip"))
    assert "index.json" in zipfile.ZipFile(tmp_path / "sanne.zip").namelist()
    erased = run("erase", "1001", "--yes")
    assert "removed 1 reference photos with their templates" in erased and "kept 2 consent choices" in erased
    register = run("audit", "--since", "2025-01-01")
    for action in ("student.create", "consent.grant", "consent.view", "reference_photo.add", "student.erase"):
        assert action in register
    assert "Sanne" not in register


def test_r2_r11_check_without_gallery_or_consents_uses_the_school_database(run: Run, tmp_path: Path) -> None:
    """`mediacheck check` alone reads the enrolled gallery and the consents from the records."""
    run("db", "upgrade")
    (tmp_path / "school.csv").write_text(roster(SANNE))
    run("students", "import", str(tmp_path / "school.csv"))
    run("consent", "grant", "1001", "public", "face-matching", "--by", "petra@example.org")
    run("enroll", "1001", str(PHOTO_OF["1001"]))
    report = json.loads(run("check", "--json", str(EVENTS / "kit_harington_alone.jpg")))
    (face,) = report["images"][0]["faces"]
    assert face["match"] == "matched" and face["person"].startswith("st-"), "a pseudonym, never a name (R10)"
    channels = report["images"][0]["channels"]
    assert channels["public"]["status"] == "publishable"
    assert channels["protected"] == {"status": "redacted", "redact": [0]}


def test_r8_staff_unlock_and_reset_password_from_the_command_line(
    run: Run, blank_database_url: str, tmp_path: Path
) -> None:
    """An administrator locked out of the web app gets back in from the server's command line."""
    run("db", "upgrade")
    settings = AppSettings(data_dir=tmp_path / "data", database_url=blank_database_url)
    engine = make_engine(blank_database_url)
    try:
        with session_factory(settings, engine).begin() as session:
            staff_service.create_user(session, "head", "Head", StaffRole.ADMIN, "the-old-password", SYSTEM)
            for _ in range(settings.login_attempts + 3):
                staff_service.login(session, "head", "a-wrong-password", "203.0.113.1")
        assert "no account" in run("staff", "unlock", "nobody", code=1)
        assert "head" in run("staff", "unlock", "head")
        output = run("staff", "reset-password", "head")
        password = output.split("new password: ", 1)[1].split()[0]
        with session_factory(settings, engine).begin() as session:
            assert staff_service.wait_before_login(session, "head", "192.0.2.1", utcnow()) == 0
            assert staff_service.login(session, "head", "the-old-password", "192.0.2.1").token is None
            assert staff_service.login(session, "head", password, "192.0.2.1").token is not None
    finally:
        engine.dispose()


def test_r11_db_upgrade_makes_templates_of_an_older_encoder_again(
    run: Run, blank_database_url: str, tmp_path: Path
) -> None:
    """A school enrolled before SFace: `mediacheck db upgrade` makes the templates again from the stored
    photo and says so, and the student is recognised again without being enrolled anew."""
    run("db", "upgrade")
    (tmp_path / "school.csv").write_text(roster(SANNE))
    run("students", "import", str(tmp_path / "school.csv"))
    run("consent", "grant", "1001", "public", "face-matching", "--by", "petra@example.org")
    run("enroll", "1001", str(PHOTO_OF["1001"]))
    engine = make_engine(blank_database_url)
    try:
        with engine.begin() as connection:
            connection.execute(update(FaceTemplate).values(model="dlib-resnet-v1-upright"))
    finally:
        engine.dispose()
    (before,) = json.loads(run("check", "--json", str(EVENTS / "kit_harington_alone.jpg")))["images"][0]["faces"]
    assert before["match"] != "matched", "another encoder's templates are never compared"
    assert "face templates renewed for 1 reference photo(s)" in run("db", "upgrade")
    (face,) = json.loads(run("check", "--json", str(EVENTS / "kit_harington_alone.jpg")))["images"][0]["faces"]
    assert face["match"] == "matched"
    assert "renewed" not in run("db", "upgrade")
