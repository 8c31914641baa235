"""Hand slow work to the worker, always after the commit that records what is asked.

Thin calls into `worker.tasks`, sent to the school's broker (`worker.app.enqueue`): checking an
upload, publishing, taking down, and applying a consent or policy change to what is already
published (R5, R13). Each raises `BrokerUnreachable` when the broker cannot be reached, with the
words a person needs: what is recorded and will still happen, or what did not.
"""

from collections.abc import Callable

from models.channels import FACE_MATCHING
from worker import tasks
from worker.app import BrokerUnreachable, enqueue

LATER = "It is recorded and will be done as soon as the worker can be reached again."
SAVED_CONSENT = "The consent is saved; copies it no longer allows come down as soon as the worker can be reached again."


def process_media(media_id: int) -> None:
    _send(LATER, enqueue, tasks.process_media, media_id)


def publish(media_id: int, channel: str, actor_id: str) -> None:
    _send("Nothing was published: try again later.", enqueue, tasks.publish, media_id, channel, actor_id)


def take_down(publication_id: int) -> None:
    """Take down a copy whose takedown is recorded already (`publication_service.unpublish_by_staff`)."""
    _send(
        "The copy is marked to come down and will be taken down as soon as the worker can be reached again.",
        enqueue,
        tasks.take_down,
        publication_id,
    )


def policy_changed() -> None:
    """A new policy version may forbid copies already out (R13): they come down."""
    _send(LATER, tasks.after_policy_change)


def consent_changed(student_id: int, purposes: list[str], channels: list[str]) -> None:
    """Face matching decides whether the student is recognised at all, so its change touches every channel (R11)."""
    touched = channels if FACE_MATCHING in purposes else [p for p in purposes if p in channels]
    for channel in touched:
        _send(SAVED_CONSENT, tasks.after_consent_change, student_id, channel)


def _send(consequence: str, send: Callable[..., None], *args: object) -> None:
    """`send(*args)`; if the broker does not answer, say in words what that means for the person."""
    try:
        send(*args)
    except BrokerUnreachable as error:
        raise BrokerUnreachable(f"The worker cannot be reached right now. {consequence}") from error
