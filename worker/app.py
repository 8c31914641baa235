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
from celery.app.task import Task
from kombu.exceptions import KombuError

from mediacheck.config import AppSettings

EMBEDDED_POLLING = 0.1
"""Seconds between looks into the embedded broker's folder: the delay a message may wait."""


class BrokerUnreachable(Exception):
    """The school's broker did not take a message. Whatever the message asked for is recorded already,
    so `reconcile` does it once the broker answers again; the caller tells the person so."""


class MediacheckCelery(Celery):
    """The one Celery app of a process. Every task is bound to it (not to Celery's "current app", which in
    a thread of FastAPI's pool is Celery's default app with its broker at amqp://localhost), so whatever
    thread or process enqueues, the message goes to the broker `configure` was given."""

    settings: AppSettings

    def configure(self, settings: AppSettings) -> "MediacheckCelery":
        """Send to and take from the broker of `settings` from now on (web, CLI, worker and beat call it)."""
        self.settings = settings
        self.conf.update(celery_config(settings))
        self._pool = None  # kombu keeps one pool per broker for the process: this drops only the reference
        self.__dict__.pop("amqp", None)  # its queues, routes and producers were made from the old settings
        return self


def queues(settings: AppSettings) -> tuple[str, str]:
    """(checks, publications) queue names."""
    return f"{settings.queue_name}.media", f"{settings.queue_name}.publication"


def celery_config(settings: AppSettings) -> dict[str, Any]:
    media, publication = queues(settings)
    config: dict[str, Any] = {
        "broker_url": settings.broker_url or "filesystem://",
        "broker_connection_retry_on_startup": True,
        "broker_transport": None,  # a configured app may have had the embedded broker before
        "broker_transport_options": {},
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


SEND_RETRIES = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5}
"""A broker that is down is reported within about a second, not after Celery's default retries."""


def enqueue(task: Task, *args: object, countdown: float | None = None) -> None:
    """Send `task` to the configured broker; raises `BrokerUnreachable` (in words) if it cannot be reached."""
    try:
        task.apply_async(args, countdown=countdown, retry_policy=SEND_RETRIES)
    except (KombuError, OSError) as error:
        raise BrokerUnreachable(f"the worker's message queue ({_where(task.app)}) does not answer: {error}") from None


def _where(app: Celery) -> str:
    return app.connection_for_write().as_uri()  # the password masked


celery_app = MediacheckCelery("mediacheck", include=["worker.tasks"], set_as_current=True).configure(AppSettings())
"""The app every task is bound to; configured from the environment, and again by `configure`."""
