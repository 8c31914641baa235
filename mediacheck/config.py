"""Where the school's records live and the keys that protect them.

Every field is read from an environment variable `MEDIACHECK_<FIELD>` (e.g. `MEDIACHECK_DATABASE_URL`).
The keys are never stored in the database: whoever copies the database alone gets ciphertext and
hashes, nothing that identifies a child's face or opens a consent link (R8, R11).
"""

import base64
import os
import secrets
import stat
from pathlib import Path
from typing import Any

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

TEMPLATE_KEY_FILE = "template.key"
LINK_KEY_FILE = "link.key"


class KeyFileError(Exception):
    """A key file that must not be trusted: the message says what to fix."""


class AppSettings(BaseSettings):
    """The application's settings; the photo check's thresholds are in `mediacheck.settings`."""

    model_config = SettingsConfigDict(env_prefix="MEDIACHECK_")

    data_dir: Path = Path("data")
    """Folder for the SQLite database and the key files. Created on first use."""

    database_url: str = ""
    """SQLAlchemy URL, e.g. `postgresql+psycopg://user@host/db`. Empty: SQLite file `mediacheck.db` in `data_dir`."""

    template_key: SecretStr | None = None
    """Fernet key encrypting face templates and reference photos (R11). Unset: the file
    `data_dir/template.key`, created with mode 0600 on first use."""

    link_key: SecretStr | None = None
    """Secret from which personal consent-link tokens are derived, so reminders can repeat a link
    while the database holds only its hash (R8, R14). Unset: the file `data_dir/link.key`."""

    public_url: str = "http://localhost:8000"
    """Address parents reach the web app at; consent links start with it."""

    school_timezone: str = "Europe/Amsterdam"
    """Time zone whose calendar day decides a student's age on the day of a consent act (R6)."""

    admin_password: SecretStr | None = None
    """Password of the `admin` account the web app creates on first start. Unset: a random one,
    printed once on that start."""

    session_hours: float = 8.0
    """How long a staff login lasts (hours) before the web app asks for the password again."""

    login_attempts: int = 5
    """Wrong passwords, per client address and per account name, after which each further try must
    wait: 1 second, then doubling up to `login_max_delay_seconds`. Never a lock: the right password
    passes once the wait is over. Failures are forgotten after an hour without one."""

    login_max_delay_seconds: int = 300
    """Longest wait (seconds) before the next login try, however many wrong passwords came before."""

    trusted_proxies: str = ""
    """Addresses of the reverse proxies in front of the web app, comma-separated (e.g. `10.0.0.2`).
    Only their `X-Forwarded-For` names the client address that logins and consent links are
    throttled by. Empty: no forwarded header is believed, not even from this machine."""

    max_upload_mb: int = 500
    """Largest file a teacher may upload (megabytes); larger files are refused and named, the rest go on."""

    broker_url: str = ""
    """Celery broker that the web app and every worker share, e.g. `redis://host:6379/0`. Empty: the
    embedded broker, a folder in `data_dir/broker`, for a web app and workers on one machine only."""

    queue_name: str = "mediacheck"
    """Prefix of the worker queues `<name>.media` (checks) and `<name>.publication` (publish, take down);
    schools sharing one broker use different names."""

    reconcile_seconds: float = 30.0
    """How often (seconds) the worker looks for lost work: consent changes not acted on yet, takedowns
    whose retry is overdue, files stuck in processing. A lost message delays a takedown by at most
    this plus 5 seconds."""

    retry_seconds: float = 5.0
    """First wait (seconds) before a failed channel call is tried again; it doubles per attempt up to
    10 minutes. A publication gives up after 5 attempts; a takedown never gives up (R5)."""

    check_lease_seconds: float = Field(900.0, gt=0)
    """How long (seconds) a file may wait for its check, or be checked by one worker, before `reconcile`
    hands it out again because its message or its worker was lost (a worker killed, a machine restarted).
    Keep it well above the slowest check (a long video): a file still being checked would start again."""

    channel_lease_seconds: float = Field(300.0, gt=0)
    """How long (seconds) a worker may talk to a channel about one publication (sending it or taking it
    down) before another worker may take over because the first was lost. Keep it well above the channel
    adapters' timeouts: a copy still on its way would be sent twice."""

    channel_adapters: dict[str, dict[str, Any]] = Field(default_factory=dict, repr=False)
    """Where each channel publishes, by channel key, as JSON in `MEDIACHECK_CHANNEL_ADAPTERS`:
    `{"public": {"kind": "wordpress", "site_url": "…", "user": "…", "application_password": "…"},
    "facebook": {"kind": "facebook", "page_id": "…", "page_access_token": "…"}}`; kind `folder` takes a
    `directory`. A channel not named publishes to the folder `data_dir/published/<key>`. Never printed."""

    @model_validator(mode="after")
    def _default_database(self) -> "AppSettings":
        if not self.database_url:
            self.database_url = f"sqlite:///{(self.data_dir / 'mediacheck.db').resolve()}"
        return self

    def template_key_bytes(self) -> bytes:
        return _secret(self.template_key, self.data_dir / TEMPLATE_KEY_FILE)

    def link_key_bytes(self) -> bytes:
        return _secret(self.link_key, self.data_dir / LINK_KEY_FILE)


def private_folder(path: Path) -> Path:
    """Create the folder (if it is not there) readable by its owner only: it holds children's photos."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def _secret(configured: SecretStr | None, path: Path) -> bytes:
    """The configured key, else the key file, created readable by its owner only."""
    if configured is not None:
        return configured.get_secret_value().encode()
    private_folder(path.parent)
    key = base64.urlsafe_b64encode(secrets.token_bytes(32))
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read_key_file(path)
    with os.fdopen(descriptor, "wb") as file:
        file.write(key)
    return key


def _read_key_file(path: Path) -> bytes:
    if stat.S_IMODE(path.stat().st_mode) & 0o077:
        raise KeyFileError(f"{path} is readable by others than its owner: run `chmod 600 {path}`")
    key = path.read_bytes().strip()
    if not key:
        raise KeyFileError(f"{path} is empty; restore the key from backup (templates cannot be read without it)")
    return key
