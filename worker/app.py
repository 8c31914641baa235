"""The Celery app, configured from `AppSettings` (environment variables `MEDIACHECK_*`).

Two queues: `<queue_name>.media` for the photo checks, which take seconds each, and
`<queue_name>.publication` for publishing, takedowns and consent changes, so a takedown never
waits behind a teacher's 200 photos. Every worker listens to both unless told otherwise.
Results are not kept: every task records its outcome in the school's records.

Broker: `broker_url` (Redis or RabbitMQ) for workers on several machines; empty means the
embedded broker, a folder in `data_dir/broker` (`worker.broker`), for one machine.
"""

from typing import Any

from celery import Celery

from mediacheck.config import AppSettings

EMBEDDED_POLLING = 0.1
"""Seconds between looks into the embedded broker's folder: the delay a message may wait."""


class MediacheckCelery(Celery):
    settings: AppSettings


def queues(settings: AppSettings) -> tuple[str, str]:
    """(checks, publications) queue names."""
    return f"{settings.queue_name}.media", f"{settings.queue_name}.publication"


def celery_config(settings: AppSettings) -> dict[str, Any]:
    media, publication = queues(settings)
    config: dict[str, Any] = {
        "broker_url": settings.broker_url or "filesystem://",
        "broker_connection_retry_on_startup": True,
        "task_default_queue": publication,
        "task_routes": {"worker.tasks.process_media": {"queue": media}},
        "task_acks_late": True,
        "worker_prefetch_multiplier": 1,
        "task_ignore_result": True,
        "task_serializer": "json",
        "accept_content": ["json"],
        "control_exchange": settings.queue_name,
        "event_exchange": f"{settings.queue_name}.events",
        "timezone": "UTC",
        "beat_schedule": {
            "reconcile": {"task": "worker.tasks.reconcile", "schedule": settings.reconcile_seconds},
        },
    }
    if not settings.broker_url:
        from worker.broker import transport_options

        config["broker_transport"] = "worker.broker:FolderTransport"
        config["broker_transport_options"] = transport_options(settings.data_dir / "broker", EMBEDDED_POLLING)
    return config


def make_celery(settings: AppSettings | None = None) -> MediacheckCelery:
    """A Celery app for `settings`; it becomes the current app, which the tasks (`worker.tasks`) use."""
    settings = settings or AppSettings()
    app = MediacheckCelery("mediacheck", include=["worker.tasks"], set_as_current=True)
    app.settings = settings
    app.conf.update(celery_config(settings))
    return app


celery_app = make_celery()
"""The app `mediacheck worker` runs, and that the web app and the CLI enqueue with."""
