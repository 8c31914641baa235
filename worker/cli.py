"""The worker commands of `mediacheck`: run a worker, run the beat, list pending takedowns.

`register(app)` mounts them (entry point `mediacheck.cli`). Celery is imported only when a worker
command runs, so `mediacheck check` does not pay for it.
"""

from typing import Annotated

import typer

from mediacheck.config import AppSettings, private_folder


def worker_command(
    concurrency: Annotated[
        int, typer.Option(help="Files checked at once; each process loads the face models once. 0: one per CPU.")
    ] = 0,
    beat: Annotated[
        bool | None,
        typer.Option(
            help="Also run the beat that reconciles lost work every `reconcile_seconds`. Default: on with the "
            "embedded broker; with a shared broker run it on exactly one machine (`mediacheck beat`)."
        ),
    ] = None,
    queues: Annotated[
        str, typer.Option(help="Which queues to take work from: media (checks), publication (publish, take down).")
    ] = "media,publication",
    name: Annotated[
        str | None, typer.Option(help="This worker's name, unique per machine. Default: by its queues.")
    ] = None,
    loglevel: Annotated[str, typer.Option(help="debug, info, warning or error.")] = "info",
) -> None:
    """Run a worker: check uploaded files, publish, take down. Stop it with Ctrl-C (it finishes its files)."""
    from worker.app import celery_app
    from worker.app import queues as queue_names

    settings = _ready_settings()
    celery_app.configure(settings)
    media, publication = queue_names(settings)
    wanted = {"media": media, "publication": publication}
    chosen = [part.strip() for part in queues.split(",") if part.strip()]
    if not chosen or set(chosen) - wanted.keys():
        raise typer.BadParameter("choose media, publication or both", param_hint="--queues")
    name = name or f"mediacheck-{'-'.join(chosen)}@%h"
    argv = ["worker", f"--loglevel={loglevel}", f"--hostname={name}", "--without-mingle", "--without-gossip"]
    argv += ["--queues", ",".join(wanted[part] for part in chosen)]
    if concurrency:
        argv.append(f"--concurrency={concurrency}")
    if beat if beat is not None else not settings.broker_url:
        argv += ["--beat", f"--schedule={settings.data_dir / 'beat-schedule'}"]
    celery_app.worker_main(argv)


def beat_command(loglevel: Annotated[str, typer.Option(help="debug, info, warning or error.")] = "info") -> None:
    """Run only the beat (one per school, whatever the number of workers): it enqueues `reconcile`."""
    from worker.app import celery_app

    settings = _ready_settings()
    celery_app.configure(settings)
    celery_app.start(["beat", f"--loglevel={loglevel}", f"--schedule={settings.data_dir / 'beat-schedule'}"])


def takedowns_command() -> None:
    """List the copies that must come down and whose removal the channel has not confirmed yet (R5)."""
    from models.cli import transaction
    from models.publication_service import pending_takedowns

    with transaction() as session:
        pending = pending_takedowns(session)
        for publication in pending:
            asked = publication.takedown_requested_at
            typer.echo(
                f"publication {publication.id}\tmedia {publication.media_id}\t{publication.channel.key}\t"
                f"asked {asked:%Y-%m-%d %H:%M} UTC\t{publication.unpublished_reason or ''}\t"
                f"{publication.last_error or 'waiting for the worker'}"
            )
    typer.echo(f"{len(pending)} takedown(s) pending")


def _ready_settings() -> AppSettings:
    """The settings, after checking that the database has this version's schema (exit 1 if not)."""
    from models.database import SchemaOutOfDate, check_schema, make_engine

    settings = AppSettings()
    private_folder(settings.data_dir)
    engine = make_engine(settings.database_url)
    try:
        check_schema(engine)
    except SchemaOutOfDate as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(1) from None
    finally:
        engine.dispose()  # worker processes fork: each makes its own connections
    return settings


def register(app: typer.Typer) -> None:
    app.command("worker")(worker_command)
    app.command("beat")(beat_command)
    app.command("takedowns")(takedowns_command)
