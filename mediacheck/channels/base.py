"""What every publication channel offers, and how it reports trouble.

Adapters are small: they move bytes to a channel and back, nothing else. Deciding what may go
out, retrying and recording publications belong to the callers (worker and services).
"""

from dataclasses import dataclass
from typing import Protocol


class ChannelError(Exception):
    """The channel did not confirm. `retryable` says whether trying again later may help
    (network trouble, timeouts, 5xx, rate limits) or not (bad credentials, refused upload)."""

    def __init__(self, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.retryable = retryable


@dataclass(frozen=True)
class Upload:
    """A rendered, metadata-free file under a pseudonymous name (R10)."""

    content: bytes
    filename: str
    media_type: str


class Channel(Protocol):
    key: str

    def publish(self, upload: Upload) -> str:
        """Send the file; return the channel's id for it once the channel confirmed it."""

    def unpublish(self, external_id: str) -> None:
        """Remove the file. Removing what is already gone succeeds (takedowns are retried)."""

    def exists(self, external_id: str) -> bool:
        """Whether the channel still serves the file (for reconciliation)."""

    def find(self, filename: str) -> str | None:
        """The id of a file sent under `filename` that the channel serves, or None. A send whose answer
        was lost (a timeout) may still have arrived: the retry looks before sending a second copy,
        which a withdrawal would not know to take down. Names are unique pseudonyms (R10)."""
