"""The adapter behind each channel key, as the school configured it (`AppSettings.channel_adapters`).

A channel that is not configured publishes to the folder `data_dir/published/<key>`: the embedded
default, and what a portal that imports files reads. Adapters are made once per process and
reused, so their HTTP clients keep their connections. A configuration that cannot work is a
`ChannelError` that retrying does not fix; its message names fields, never their values (tokens).
"""

from pathlib import Path
from typing import Any

from mediacheck.channels.base import Channel, ChannelError
from mediacheck.channels.facebook import FacebookPageChannel
from mediacheck.channels.folder import FolderChannel
from mediacheck.channels.wordpress import WordPressChannel
from mediacheck.config import AppSettings

KINDS: dict[str, Any] = {"folder": FolderChannel, "wordpress": WordPressChannel, "facebook": FacebookPageChannel}
"""Adapter kind → class; the other options are the class's keyword arguments."""


def make_channel(key: str, settings: AppSettings) -> Channel:
    options = dict(settings.channel_adapters.get(key) or {})
    kind = options.pop("kind", "folder")
    if kind not in KINDS:
        raise ChannelError(f"channel {key}: unknown adapter kind {kind!r}; known: {', '.join(KINDS)}", retryable=False)
    if kind == "folder":
        options["directory"] = Path(options.get("directory") or settings.data_dir / "published" / key)
    try:
        return KINDS[kind](key, **options)
    except TypeError:
        given = ", ".join(sorted(options)) or "none"
        raise ChannelError(
            f"channel {key}: the {kind} adapter does not accept the configured options ({given})", retryable=False
        ) from None


class ConfiguredChannels:
    """Each channel's adapter, made on first use."""

    def __init__(self, settings: AppSettings) -> None:
        self.settings = settings
        self._made: dict[str, Channel] = {}

    def get(self, key: str) -> Channel:
        if key not in self._made:
            self._made[key] = make_channel(key, self.settings)
        return self._made[key]
