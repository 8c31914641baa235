"""Read what waits in a broker, from the broker itself: the embedded broker's folder or a Redis list.
Sorted, since neither keeps an order a test may rely on."""

import base64
import json

import redis

from mediacheck.config import AppSettings
from worker.app import queues


def queued(settings: AppSettings) -> list[tuple[str, tuple]]:
    """(task name, arguments) of every message waiting in the school's broker, sorted."""
    return sorted(_task(raw) for raw in _raw_messages(settings))


def _raw_messages(settings: AppSettings) -> list[bytes]:
    if settings.broker_url:
        client = redis.Redis.from_url(settings.broker_url)
        return [raw for queue in queues(settings) for raw in client.lrange(queue, 0, -1)]
    folder = settings.data_dir / "broker" / "queue"
    names = [p for p in folder.iterdir() if not p.name.startswith(".")] if folder.exists() else []
    return [path.read_bytes() for path in names]


def _task(raw: bytes) -> tuple[str, tuple]:
    message = json.loads(raw)
    body = message["body"]
    if message["properties"].get("body_encoding") == "base64":
        body = base64.b64decode(body)
    args, _kwargs, _embed = json.loads(body)
    return message["headers"]["task"], tuple(args)
