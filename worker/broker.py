"""The embedded broker: kombu's folder transport, made safe for several processes on one machine.

kombu's `filesystem://` transport creates a message file and then writes it, so a consumer that
lists the folder in between reads an empty message; and it claims a message by moving it to the
system's temporary folder, which is a copy (not an atomic claim) when that is another file system.
Here a message is written under a hidden name and renamed into place, and claimed by renaming it
into a `claimed` folder beside the queue: both atomic on one file system.
"""

import os
import uuid
from pathlib import Path
from queue import Empty
from time import monotonic
from typing import Any

from kombu.exceptions import ChannelError
from kombu.transport import filesystem
from kombu.utils.encoding import bytes_to_str, str_to_bytes
from kombu.utils.json import dumps, loads


def transport_options(folder: Path, polling_interval: float) -> dict[str, Any]:
    """The folder transport's options for a broker in `folder` (created on first connection)."""
    return {
        "data_folder_in": str(folder / "queue"),
        "data_folder_out": str(folder / "queue"),
        "processed_folder": str(folder / "claimed"),
        "control_folder": str(folder / "control"),
        "polling_interval": polling_interval,
    }


class FolderChannel(filesystem.Channel):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for folder in (self.data_folder_in, self.processed_folder, self.control_folder):
            Path(folder).mkdir(parents=True, exist_ok=True)

    def _put(self, queue: str, payload: Any, **kwargs: Any) -> None:
        name = f"{round(monotonic() * 1000):015d}_{uuid.uuid4()}.{queue}.msg"
        target = os.path.join(self.data_folder_out, name)
        temporary = os.path.join(self.data_folder_out, f".{name}.part")
        try:
            with open(temporary, "wb") as file:
                file.write(str_to_bytes(dumps(payload)))
            os.replace(temporary, target)
        except OSError as error:
            raise ChannelError(f"cannot add a message to {self.data_folder_out}: {error}") from error

    def _get(self, queue: str) -> Any:
        wanted = f"{queue}.msg"
        for name in sorted(os.listdir(self.data_folder_in)):
            if name.startswith(".") or name.partition(".")[2] != wanted:
                continue
            claimed = os.path.join(self.processed_folder, name)
            try:
                os.rename(os.path.join(self.data_folder_in, name), claimed)
            except OSError:
                continue  # another consumer took it
            try:
                with open(claimed, "rb") as file:
                    payload = file.read()
            finally:
                os.unlink(claimed)
            return loads(bytes_to_str(payload))
        raise Empty()


class FolderTransport(filesystem.Transport):
    Channel = FolderChannel
