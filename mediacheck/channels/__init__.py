"""Publication channels: one small adapter per kind, all behind `Channel` (publish, unpublish, exists)."""

from mediacheck.channels.base import Channel, ChannelError, Upload
from mediacheck.channels.facebook import FacebookPageChannel
from mediacheck.channels.folder import FolderChannel
from mediacheck.channels.wordpress import WordPressChannel

__all__ = ["Channel", "ChannelError", "FacebookPageChannel", "FolderChannel", "Upload", "WordPressChannel"]
