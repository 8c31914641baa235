"""A directory as a channel: for portals that import files, and the embedded default."""

import glob
import os
import secrets
from pathlib import Path

from mediacheck.channels.base import ChannelError, Upload


class FolderChannel:
    def __init__(self, key: str, directory: Path) -> None:
        self.key = key
        self.directory = directory

    def publish(self, upload: Upload) -> str:
        external_id = f"{secrets.token_hex(8)}-{Path(upload.filename).name}"
        target = self.directory / external_id
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            temporary = target.with_name(f".{external_id}.part")
            temporary.write_bytes(upload.content)
            os.replace(temporary, target)  # a portal never sees half a file
        except OSError as error:
            raise ChannelError(f"cannot write to {self.directory}: {error.strerror or error}", retryable=True) from None
        return external_id

    def unpublish(self, external_id: str) -> None:
        try:
            self._path(external_id).unlink(missing_ok=True)
        except OSError as error:
            raise ChannelError(f"cannot remove {external_id}: {error.strerror or error}", retryable=True) from None

    def exists(self, external_id: str) -> bool:
        return self._path(external_id).is_file()

    def find(self, filename: str) -> str | None:
        found = sorted(self.directory.glob(f"*-{glob.escape(Path(filename).name)}"))
        return found[0].name if found else None

    def _path(self, external_id: str) -> Path:
        if Path(external_id).name != external_id or external_id.startswith("."):
            raise ChannelError(f"not an id this channel issued: {external_id!r}", retryable=False)
        return self.directory / external_id
