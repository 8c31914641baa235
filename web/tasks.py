"""Hand slow work to the worker, always after the commit that the work reads.

Thin calls into `worker.tasks` (Celery): checking an upload, publishing, taking down, and applying
a consent or policy change to what is already published (R5, R13).
"""

from models.channels import FACE_MATCHING
from worker import tasks
from worker.app import celery_app  # noqa: F401 - the school's broker becomes the app the tasks are sent with


def process_media(media_id: int) -> None:
    tasks.process_media.delay(media_id)


def publish(media_id: int, channel: str, actor_id: str) -> None:
    tasks.publish.delay(media_id, channel, actor_id)


def unpublish(publication_id: int, reason: str, actor_id: str) -> None:
    tasks.unpublish.delay(publication_id, reason, actor_id)


def policy_changed() -> None:
    """A new policy version may forbid copies already out (R13): they come down."""
    tasks.after_policy_change()


def consent_changed(student_id: int, purposes: list[str], channels: list[str]) -> None:
    """Face matching decides whether the student is recognised at all, so its change touches every channel (R11)."""
    touched = channels if FACE_MATCHING in purposes else [p for p in purposes if p in channels]
    for channel in touched:
        tasks.after_consent_change(student_id, channel)
