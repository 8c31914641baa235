"""How the worker is set up: channel adapters from the settings, the embedded broker, the commands."""

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from kombu import Connection
from sqlalchemy.orm import Session, sessionmaker

from mediacheck.channels import ChannelError, FacebookPageChannel, FolderChannel, WordPressChannel
from mediacheck.channels.configured import ConfiguredChannels
from mediacheck.check import PhotoChecker
from mediacheck.config import AppSettings
from models import publication_service as service
from tests.worker.builders import SANNE_BOX, checked_media, school, withdraw
from tests.worker.workers import ROOT, environment
from worker import tasks
from worker.app import EMBEDDED_POLLING, BrokerUnreachable, celery_app, celery_config
from worker.broker import transport_options


def test_channels_are_made_from_the_settings_and_default_to_a_folder(tmp_path: Path) -> None:
    settings = AppSettings(
        data_dir=tmp_path,
        channel_adapters={
            "public": {
                "kind": "wordpress",
                "site_url": "https://school.example",
                "user": "mc",
                "application_password": "s",
            },
            "facebook": {"kind": "facebook", "page_id": "42", "page_access_token": "token-secret"},
            "protected": {"kind": "folder", "directory": str(tmp_path / "portal")},
        },
    )
    channels = ConfiguredChannels(settings)
    assert isinstance(channels.get("public"), WordPressChannel)
    assert isinstance(channels.get("facebook"), FacebookPageChannel)
    assert channels.get("protected").directory == tmp_path / "portal"
    default = ConfiguredChannels(AppSettings(data_dir=tmp_path)).get("public")
    assert isinstance(default, FolderChannel) and default.directory == tmp_path / "published" / "public"
    assert "token-secret" not in repr(settings), "channel credentials never reach logs"


def test_a_channel_configuration_that_cannot_work_is_a_permanent_channel_error(tmp_path: Path) -> None:
    settings = AppSettings(
        data_dir=tmp_path,
        channel_adapters={
            "public": {"kind": "ftp"},
            "facebook": {"kind": "facebook", "page_id": "42", "token": "token-secret"},
        },
    )
    for key, expected in (("public", "unknown adapter kind 'ftp'"), ("facebook", "page_id, token")):
        with pytest.raises(ChannelError, match=expected) as raised:
            ConfiguredChannels(settings).get(key)
        assert not raised.value.retryable and "token-secret" not in str(raised.value)


def test_the_embedded_broker_hands_each_message_to_one_consumer_whole(tmp_path: Path) -> None:
    """Several consumers (worker processes) on one folder: every message arrives exactly once, and a
    message being written is never read half-way."""
    options = {"transport": "worker.broker:FolderTransport", "transport_options": transport_options(tmp_path, 0.01)}
    with Connection("filesystem://", **options) as producer:
        queue = producer.SimpleQueue("q")
        for n in range(300):
            queue.put({"n": n, "padding": "x" * 2000})
        (tmp_path / "queue" / ".0_partial.q.msg.part").write_bytes(b'{"n": ')  # a write in progress
    received: list[int] = []

    def consume() -> None:
        with Connection("filesystem://", **options) as connection:
            queue = connection.SimpleQueue("q")
            while True:
                try:
                    message = queue.get(timeout=0.5)
                except queue.Empty:
                    return
                received.append(message.payload["n"])
                message.ack()

    consumers = [threading.Thread(target=consume) for _ in range(3)]
    for consumer in consumers:
        consumer.start()
    for consumer in consumers:
        consumer.join(30)
    assert sorted(received) == list(range(300))


def test_the_embedded_broker_lives_in_the_data_folder_and_shared_brokers_are_named(tmp_path: Path) -> None:
    embedded = celery_config(AppSettings(data_dir=tmp_path))
    assert embedded["broker_transport"] == "worker.broker:FolderTransport"
    assert embedded["broker_transport_options"]["data_folder_in"] == str(tmp_path / "broker" / "queue")
    assert embedded["broker_transport_options"]["polling_interval"] == EMBEDDED_POLLING
    shared = celery_config(AppSettings(data_dir=tmp_path, broker_url="redis://broker:6379/0", queue_name="lyceum"))
    assert shared["broker_transport"] is None and shared["broker_url"] == "redis://broker:6379/0"
    assert shared["task_routes"]["worker.tasks.process_media"]["queue"] == "lyceum.media"
    assert shared["task_default_queue"] == "lyceum.publication", "takedowns never wait behind checks"


def test_r5_after_consent_change_says_so_when_the_broker_is_down(tmp_path: Path) -> None:
    """The withdrawal is committed already; without a broker the caller hears it at once, in words
    (reconcile takes over once the broker answers), instead of a message silently lost."""
    celery_app.configure(AppSettings(data_dir=tmp_path, broker_url="redis://127.0.0.1:1/0"))
    with pytest.raises(BrokerUnreachable, match="does not answer"):
        tasks.after_consent_change(1, "public")


def mediacheck(settings: AppSettings, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "mediacheck", *args],
        cwd=ROOT,
        env={**os.environ, **environment(settings)},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_worker_refuses_a_database_without_this_versions_schema(tmp_path: Path) -> None:
    settings = AppSettings(data_dir=tmp_path, database_url=f"sqlite:///{tmp_path / 'empty.db'}")
    done = mediacheck(settings, "worker")
    assert done.returncode == 1 and "run `mediacheck db upgrade`" in done.stderr


def test_r5_takedowns_command_lists_what_is_not_down_yet(
    factory: sessionmaker[Session],
    settings: AppSettings,
    photo_checker: PhotoChecker,
    tmp_path: Path,
) -> None:
    kids = school(factory)
    media_id = checked_media(factory, tmp_path, {kids.sanne: SANNE_BOX})
    service.publish(factory, ConfiguredChannels(settings), photo_checker, media_id, "public", service.WORKER)
    withdraw(factory, kids.sanne, "public")
    with factory.begin() as session:
        [publication_id] = service.apply_consent_change(session, kids.sanne, "public")
    done = mediacheck(settings, "takedowns")
    assert done.returncode == 0, done.stderr
    assert f"publication {publication_id}\tmedia {media_id}\tpublic" in done.stdout
    assert "consent withdrawn on paper by the parent" in done.stdout and "1 takedown(s) pending" in done.stdout
