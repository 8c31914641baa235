"""`mediacheck serve`: the web app and a worker beside it, on the embedded default or configured services."""

import ctypes
import signal
import subprocess
import sys
from pathlib import Path
from typing import Annotated

import typer
import uvicorn
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from mediacheck.check import PhotoChecker
from mediacheck.config import AppSettings, private_folder
from models import enrolment_service, staff_service
from models.audit import Actor, ActorRole
from models.database import make_engine, schema_revision, session_factory, upgrade
from web import demo as demo_school
from web import tasks
from web.app import create_app
from worker.app import BrokerUnreachable

WORKER_STOP_SECONDS = 20
PR_SET_PDEATHSIG = 1


def serve(
    demo: Annotated[
        bool, typer.Option(help="Load a demo school from sample photos (students, consents, photos).")
    ] = False,
    samples: Annotated[
        Path | None,
        typer.Option(
            envvar="MEDIACHECK_SAMPLES",
            help="With --demo: a folder of photos laid out like the shared sample faces (people/<name>/, events/).",
        ),
    ] = None,
    host: Annotated[str, typer.Option(help="Address to listen on; 0.0.0.0 for other machines (use https then).")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    worker: Annotated[bool, typer.Option(help="Start a worker beside the web app (`mediacheck worker`).")] = True,
    concurrency: Annotated[int, typer.Option(help="Files that worker checks at once; 0: one per CPU.")] = 0,
) -> None:
    """Start the web app (and a worker); the first start creates the `admin` account and prints its password."""
    settings = AppSettings()
    if "public_url" not in settings.model_fields_set:  # links printed now must open this server
        settings.public_url = f"http://localhost:{port}"
    factory = _prepare_database(settings)
    with factory.begin() as session:
        password = staff_service.ensure_first_admin(session, _admin_password(settings))
    if password:
        typer.secho(f"Created the account 'admin' with password: {password}  (shown only now)", fg="yellow")
    helper = _start_worker(concurrency) if worker else None  # before any thread exists: it forks
    try:
        _renew_templates(factory)  # loads the models (threads) only when a photo needs it
        if demo:
            _load_demo(factory, samples)
        url = f"http://{'localhost' if host in ('127.0.0.1', '0.0.0.0') else host}:{port}/"
        typer.secho(f"mediacheck is running: open {url}", fg="green")
        app = create_app(settings, factory)
        uvicorn.run(app, host=host, port=port, log_level="warning", **proxy_options(settings))
    finally:
        if helper is not None:
            _stop(helper)


def proxy_options(settings: AppSettings) -> dict[str, bool | str]:
    """Believe `X-Forwarded-For` only from the proxies named: uvicorn's default believes any on this
    machine, which let one client pose as many addresses and escape the throttles."""
    proxies = ",".join(p.strip() for p in settings.trusted_proxies.split(",") if p.strip())
    return {"proxy_headers": True, "forwarded_allow_ips": proxies} if proxies else {"proxy_headers": False}


def register(app: typer.Typer) -> None:
    """Entry point `mediacheck.cli`: add `serve` to the `mediacheck` command."""
    app.command("serve")(serve)


def _prepare_database(settings: AppSettings) -> sessionmaker[Session]:
    """Bring the schema up to date on start: the app refuses any other, and a newcomer should not have to."""
    private_folder(settings.data_dir)
    engine = make_engine(settings.database_url)
    before = schema_revision(engine)
    upgrade(engine)
    if before != schema_revision(engine):
        typer.echo(f"database schema upgraded from {before or 'empty'} to {schema_revision(engine)}")
    return session_factory(settings, engine)


def _renew_templates(factory: sessionmaker[Session]) -> None:
    """Reference photos enrolled with an older encoder get today's templates. A database failure only
    delays it to the next start; until then those students count as unknown (fail closed)."""
    try:
        with factory.begin() as session:
            renewed = enrolment_service.renew_templates(session, PhotoChecker, Actor(ActorRole.SYSTEM, "upgrade"))
    except SQLAlchemyError as error:
        typer.secho(f"face templates not renewed this time: {error}", fg="yellow")
        return
    for line in renewed.lines():
        typer.echo(line)


def _admin_password(settings: AppSettings) -> str | None:
    return settings.admin_password.get_secret_value() if settings.admin_password else None


def _load_demo(factory: sessionmaker[Session], named: Path | None) -> None:
    folders = demo_school.sample_folders(named)
    samples = demo_school.find_samples(folders)
    if samples is None:
        looked = "; ".join(f"{what}: {folder}" for folder, what in folders.items())
        typer.secho(f"No sample photos, so the demo school has staff accounts only. Looked in {looked}.", fg="yellow")
    else:
        if named and samples != named:
            typer.secho(f"{named} holds no people/ folder of photos: using {samples}", fg="yellow")
        typer.echo(f"loading the demo school from {samples} (enrolling reference photos takes a moment)…")
    school = demo_school.load(factory, samples)
    try:
        for media_id in school.album_media:
            tasks.process_media(media_id)
    except BrokerUnreachable as error:
        typer.secho(f"the demo photos are not checked yet: {error}", fg="red", err=True)
    for refusal in school.not_enrolled:
        typer.echo(f"reference photo not enrolled: {refusal}")
    for username, password in school.passwords.items():
        typer.secho(f"demo account {username!r}, password: {password}  (shown only now)", fg="yellow")
    if school.consent_link:
        typer.echo(f"a parent's consent link: {school.consent_link}")


def _start_worker(concurrency: int) -> subprocess.Popen:
    """`mediacheck worker` as a child that the kernel stops when this process ends, however it ends
    (uvicorn ends the process with the signal it received, past any `finally`)."""
    command = [sys.executable, "-m", "mediacheck", "worker", f"--concurrency={concurrency}", "--loglevel=warning"]
    return subprocess.Popen(command, preexec_fn=_stop_with_parent)


def _stop_with_parent() -> None:
    if sys.platform == "linux":
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(WORKER_STOP_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
