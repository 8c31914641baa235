"""The record commands of `mediacheck`: database, students, consent, enrolment, rights, audit.

Each command is a thin caller of one service inside one transaction: what it changes, with its
audit entries, is stored together or not at all. `register(app)` mounts them on the main CLI.
"""

import csv
import getpass
import os
import secrets
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, time
from pathlib import Path
from typing import Annotated, NoReturn
from zoneinfo import ZoneInfo

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.orm import Session

from mediacheck.check import CheckInputs, PhotoChecker
from mediacheck.cli import extensions
from mediacheck.config import AppSettings, KeyFileError
from mediacheck.gallery import EnrolmentError
from models import audit_service, consent_service, enrolment_service, link_service, rights_service, staff_service
from models.audit import Actor, ActorRole
from models.base import utcnow
from models.consent import ConsentEvent, ConsentMeans
from models.consent_service import Decider
from models.database import (
    SchemaOutOfDate,
    check_schema,
    head_revision,
    make_engine,
    schema_revision,
    settings_of,
    upgrade,
)
from models.database import session_factory as make_session_factory
from models.errors import NotFound, RecordsError
from models.gallery_source import check_inputs
from models.plain_text import spreadsheet_cell
from models.roster_csv import read_roster
from models.school import Guardian, Student
from models.school_service import find_student, import_roster, school_year_of
from web import i18n

stderr = Console(stderr=True)
stdout = Console(width=None if sys.stdout.isatty() else 200)
"""Piped into a script, tables keep their rows on one line."""
db_app = typer.Typer(help="The records database.", no_args_is_help=True)
students_app = typer.Typer(help="Students and their guardians.", no_args_is_help=True)
staff_app = typer.Typer(help="Staff accounts, for an administrator who cannot log in.", no_args_is_help=True)
consent_app = typer.Typer(help="Consent per channel and for face matching (`face-matching`).", no_args_is_help=True)

StudentArg = Annotated[str, typer.Argument(help="Student number or pseudonym.")]
PurposesArg = Annotated[list[str], typer.Argument(help="Channel keys (protected, public, facebook) or face-matching.")]
ByOption = Annotated[str, typer.Option("--by", help="The guardian's email, or 'student' when the student decides.")]
MeansOption = Annotated[ConsentMeans, typer.Option(help="paper: a signed form; admin: told to staff otherwise.")]
OnOption = Annotated[
    datetime | None, typer.Option("--on", formats=["%Y-%m-%d"], help="Day the decision was made (default today).")
]
LanguageOption = Annotated[str, typer.Option(help="Language of the text the decider saw: nl or en.")]


def fail(message: str) -> NoReturn:
    stderr.print(f"[red]{message}[/]")
    raise typer.Exit(1)


def cli_actor() -> Actor:
    return Actor(ActorRole.STAFF, f"cli:{getpass.getuser()}")


@contextmanager
def transaction() -> Iterator[Session]:
    """One transaction on an up-to-date schema; a refusal rolls everything back and exits 1."""
    settings = AppSettings()
    engine = make_engine(settings.database_url)
    try:
        with make_session_factory(settings, engine).begin() as session:
            yield session
    except (SchemaOutOfDate, RecordsError, EnrolmentError, KeyFileError) as error:
        fail(str(error))
    finally:
        engine.dispose()


def check_inputs_from_database() -> CheckInputs:
    """Gallery, consents and policy for `mediacheck check` without --gallery/--consents."""
    with transaction() as session:
        return check_inputs(session)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply the database migrations (create the schema on first use)."""
    engine = make_engine(AppSettings().database_url)
    try:
        before = schema_revision(engine)
        upgrade(engine)
        after = schema_revision(engine)
    finally:
        engine.dispose()
    typer.echo(
        "schema already up to date" if before == after else f"schema upgraded from {before or 'empty'} to {after}"
    )
    with transaction() as session:
        renewed = enrolment_service.renew_templates(session, PhotoChecker, cli_actor())
    for line in renewed.lines():
        typer.echo(line)


@db_app.command("status")
def db_status() -> None:
    """Say whether the schema is up to date; exit 1 when it is not."""
    engine = make_engine(AppSettings().database_url)
    try:
        check_schema(engine)
    except SchemaOutOfDate as error:
        fail(str(error))
    finally:
        engine.dispose()
    typer.echo(f"schema up to date ({head_revision()})")


@students_app.command("import")
def import_students(
    file: Annotated[Path, typer.Argument(help="CSV from the student information system.", exists=True, dir_okay=False)],
    complete: Annotated[
        bool, typer.Option(help="The file lists the whole school: mark active students missing from it as left.")
    ] = False,
) -> None:
    """Create or update students and guardians; a file with any invalid row changes nothing.

    Columns: student_number, first_name, last_name, birth_date (YYYY-MM-DD or DD-MM-YYYY), group,
    optional student_email, and per guardian guardianN_name, guardianN_email (optional guardianN_relation).
    """
    with transaction() as session:
        today = _today(session)
        summary = import_roster(session, read_roster(file, today), cli_actor(), today, complete)
    typer.echo(
        f"students: {summary.students_created} new, {summary.students_updated} updated, "
        f"{summary.students_unchanged} unchanged, {summary.students_left} left; "
        f"guardians: {summary.guardians_created} new, {summary.guardians_updated} updated"
    )


def enroll_student(student: StudentArg, photos: list[Path]) -> None:
    """Store reference photos for face matching; refused without face-matching consent (R11)."""
    checker = PhotoChecker()
    with transaction() as session:
        found = find_student(session, student)
        enrolled = enrolment_service.enrol(session, found, photos, checker, cli_actor())
    for note in enrolled.notes:
        typer.echo(f"note: {note}")
    typer.echo(f"enrolled {found.pseudonym}: {len(enrolled.references)} reference photo(s)")


@staff_app.command("unlock")
def staff_unlock(user: Annotated[str, typer.Argument(help="Username.")]) -> None:
    """Forget the failed logins that make logins for this account wait."""
    with transaction() as session:
        found = staff_service.find_user(session, user)
        staff_service.unlock(session, found, cli_actor())
    typer.echo(f"failed logins of {found.username} forgotten: the next login is checked at once")


@staff_app.command("reset-password")
def staff_reset_password(user: Annotated[str, typer.Argument(help="Username.")]) -> None:
    """Give the account a new random password, printed once; its open sessions end."""
    password = secrets.token_urlsafe(12)
    with transaction() as session:
        found = staff_service.find_user(session, user)
        staff_service.reset_password(session, found, password, cli_actor())
        staff_service.unlock(session, found, cli_actor())
    typer.echo(f"{found.username}: new password: {password}  (shown only now; change it after logging in)")


@consent_app.command("show")
def consent_show(
    student: StudentArg,
    history: Annotated[bool, typer.Option(help="Also list every event, oldest first.")] = False,
) -> None:
    """The consent per purpose now, with who decided, how, and under which text version (R4)."""
    with transaction() as session:
        found = find_student(session, student)
        record = consent_service.view_consents(session, found, cli_actor())
        table = Table("purpose", "consent", "since", "decided by", "means", "text", "expires", box=None)
        for state in record.states:
            event = state.event
            answer = "yes" if state.granted else "expired" if state.expired else "no" if event else "no (never asked)"
            table.add_row(state.purpose, answer, *(_event_cells(session, event) if event else ["-"] * 5))
        stdout.print(f"{found.name} ({found.pseudonym})", table)
        if history:
            log = Table("at", "purpose", "granted", "decided by", "means", "text", "expires", box=None)
            for event in record.history:
                cells = _event_cells(session, event)[1:]
                log.add_row(_local(session, event.at), event.purpose, "yes" if event.granted else "no", *cells)
            stdout.print(log)


@consent_app.command("grant")
def consent_grant(
    student: StudentArg,
    purposes: PurposesArg,
    by: ByOption,
    means: MeansOption = ConsentMeans.PAPER,
    on: OnOption = None,
    language: LanguageOption = "nl",
    expires: Annotated[
        datetime | None, typer.Option(formats=["%Y-%m-%d"], help="Last day valid (default: the policy's expiry).")
    ] = None,
) -> None:
    """Record consent given on paper or otherwise to staff; the decider must be allowed to decide (R6)."""
    with transaction() as session:
        found, decider, at = _act(session, student, by, means, on)
        until = _end_of_day(session, expires.date()) if expires else None
        for purpose in purposes:
            consent_service.grant(
                session, found, purpose, decider, means, cli_actor(), at=at, language=language, expires_at=until
            )
    typer.echo(f"consent granted for {', '.join(purposes)}")


@consent_app.command("withdraw")
def consent_withdraw(
    student: StudentArg,
    purposes: PurposesArg,
    by: ByOption,
    means: MeansOption = ConsentMeans.PAPER,
    on: OnOption = None,
    language: LanguageOption = "nl",
) -> None:
    """Record a withdrawal; withdrawing face-matching deletes the reference photos and templates (R11)."""
    with transaction() as session:
        found, decider, at = _act(session, student, by, means, on)
        for purpose in purposes:
            consent_service.withdraw(session, found, purpose, decider, means, cli_actor(), at=at, language=language)
    typer.echo(f"consent withdrawn for {', '.join(purposes)}")


@consent_app.command("links")
def consent_links(
    out: Annotated[Path, typer.Option(help="CSV for the mail merge (holds secret links: delete it after use).")],
    group: Annotated[str | None, typer.Option(help="Only students of this group.")] = None,
    valid_until: Annotated[
        datetime | None, typer.Option(formats=["%Y-%m-%d"], help="Last valid day (default: end of the school year).")
    ] = None,
) -> None:
    """One personal link per guardian of a student under 16, or per student aged 16+ (R6, R8).

    A holder whose link is still valid gets the same link again, so a reminder repeats it (R14).
    """
    with transaction() as session:
        last_day = valid_until.date() if valid_until else school_year_of(_today(session))[2]
        issued = link_service.issue_links(session, cli_actor(), _end_of_day(session, last_day), group)
        _write_private_csv(
            out,
            ["student_number", "first_name", "last_name", "group", "holder", "name", "email", "link", "valid_until"],
            [
                [
                    i.student.student_number,
                    i.student.first_name,
                    i.student.last_name,
                    i.student.group.name if i.student.group else "",
                    i.link.holder_role.value,
                    i.holder_name,
                    i.holder_email or "",
                    i.url,
                    f"{i.link.expires_at.astimezone(_zone(session)):%Y-%m-%d}",
                ]
                for i in issued
            ],
        )
    typer.echo(f"wrote {len(issued)} personal link(s) to {out}; it holds secret links: delete it after the mail merge")


@consent_app.command("revoke-links")
def consent_revoke_links(student: StudentArg) -> None:
    """Close every consent link of one student at once."""
    with transaction() as session:
        revoked = link_service.revoke_links(session, find_student(session, student), cli_actor())
    typer.echo(f"revoked {revoked} link(s)")


def export_command(
    student: StudentArg,
    out: Annotated[Path | None, typer.Option(help="Zip file to write (default: export-<pseudonym>.zip).")] = None,
) -> None:
    """Everything stored about one student, as a zip with index.json and the reference photos (R12)."""
    with transaction() as session:
        found = find_student(session, student)
        path = rights_service.export_student(session, found, cli_actor(), out or Path(f"export-{found.pseudonym}.zip"))
    typer.echo(f"wrote {path}")


def erase_command(
    student: StudentArg,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
) -> None:
    """Erase one student's personal data and biometrics (R12); says what is kept and why."""
    with transaction() as session:
        found = find_student(session, student)
        if not yes:
            typer.confirm(f"Erase {found.name} ({found.pseudonym})? This cannot be undone", abort=True)
        report = rights_service.erase_student(session, found, cli_actor())
    rights_service.remove_files(report, AppSettings().data_dir / "cache")
    summary = i18n.erasure_summary(report, "en")
    typer.echo(f"erased {report.pseudonym}")
    typer.echo(
        "\n".join(
            [*(f"  removed {line}" for line in summary["removed"]), *(f"  kept {line}" for line in summary["kept"])]
        )
    )


def audit_command(
    student: Annotated[str | None, typer.Option(help="Only entries about this student (number or pseudonym).")] = None,
    since: Annotated[datetime | None, typer.Option(formats=["%Y-%m-%d"], help="Only entries from this day.")] = None,
) -> None:
    """The audit register: who viewed or changed what, when (R9)."""
    with transaction() as session:
        subject = find_student(session, student).pseudonym if student else None
        start = _start_of_day(session, since.date()) if since else None
        table = Table("at", "actor", "action", "object", "student", box=None)
        for entry in audit_service.entries(session, subject, start):
            table.add_row(
                _local(session, entry.at),
                f"{entry.actor_role.value}:{entry.actor_id}",
                entry.action,
                f"{entry.object_type}:{entry.object_id}",
                entry.subject or "",
            )
        stdout.print(table)


def register(app: typer.Typer) -> None:
    """Mount the record commands on the main `mediacheck` app (entry point `mediacheck.cli`), and
    let `check` and `enroll` use the database when no --gallery/--consents is given."""
    extensions.check_inputs = check_inputs_from_database
    extensions.enroll = enroll_student
    app.add_typer(db_app, name="db")
    app.add_typer(students_app, name="students")
    app.add_typer(consent_app, name="consent")
    app.add_typer(staff_app, name="staff")
    app.command("export")(export_command)
    app.command("erase")(erase_command)
    app.command("audit")(audit_command)


def _act(
    session: Session, student: str, by: str, means: ConsentMeans, on: datetime | None
) -> tuple[Student, Decider, datetime]:
    """The student, who decided and when, for a decision staff enter by hand."""
    if means is ConsentMeans.LINK:
        raise RecordsError("a link is used by its holder on the consent page, not entered by staff")
    found = find_student(session, student)
    if by == "student":
        decider = Decider.student()
    else:
        guardian = session.scalar(select(Guardian).where(Guardian.email == by.strip().lower()))
        if guardian is None:
            raise NotFound(f"no guardian with email {by!r}")
        decider = Decider.of_guardian(guardian)
    at = min(utcnow(), _at_noon(session, on.date())) if on else utcnow()
    return found, decider, at


def _zone(session: Session) -> ZoneInfo:
    return ZoneInfo(settings_of(session).school_timezone)


def _today(session: Session) -> date:
    return utcnow().astimezone(_zone(session)).date()


def _at_noon(session: Session, day: date) -> datetime:
    """A paper form says the day, not the hour: noon of that day in the school's time zone."""
    return datetime.combine(day, time(12), _zone(session))


def _start_of_day(session: Session, day: date) -> datetime:
    return datetime.combine(day, time(0), _zone(session))


def _end_of_day(session: Session, day: date) -> datetime:
    return datetime.combine(day, time(23, 59, 59), _zone(session))


def _local(session: Session, moment: datetime) -> str:
    return f"{moment.astimezone(_zone(session)):%Y-%m-%d %H:%M}"


def _event_cells(session: Session, event: ConsentEvent) -> list[str]:
    by = event.decided_by_role.value
    if event.decided_by_guardian:
        by = f"guardian {event.decided_by_guardian.email or event.decided_by_guardian.id}"
    expires = _local(session, event.expires_at) if event.expires_at else "-"
    text = f"v{event.consent_text.version} {event.consent_text.language}"
    return [_local(session, event.at), by, event.means.value, text, expires]


def _write_private_csv(path: Path, header: list[str], rows: list[list[str | None]]) -> None:
    """Readable by its owner only: every row is a key to a child's consent page."""
    path.unlink(missing_ok=True)
    with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows([[spreadsheet_cell(cell) for cell in row] for row in rows])
