"""Which uploaded files are taken in: photos and videos, recognised by their bytes, within the size limit.

A refused file is named with a reason a teacher understands; the other files of the same upload
go on. A photo is decoded here once, so a damaged or oversized one is named at once (within the
process's decoding budget, `mediacheck.imaging.DECODING`: the web process decodes large photos one
at a time); a damaged video is found by the worker's check, which blocks it (fail closed).
"""

from pathlib import Path

from mediacheck.formats import HEAD_BYTES, kind_of, what_it_is
from mediacheck.imaging import ImageError, verify_photo
from models.errors import RecordsError
from models.media import MediaKind


class UploadRefused(RecordsError):
    """The file is not taken in; the message is shown next to its name."""


def media_kind(head: bytes) -> MediaKind:
    """Photo or video from the first bytes of the file (its name may say anything)."""
    kind = kind_of(head)
    if kind is None:
        raise UploadRefused(what_it_is(head))
    return MediaKind(kind.value)


def refuse_too_large(size: int, limit_mb: int) -> None:
    if size > limit_mb * 1024 * 1024:
        raise UploadRefused(f"too large: {size / 1024 / 1024:.0f} MB, the limit is {limit_mb} MB")


def verify(path: Path, max_pixels: int) -> MediaKind:
    """The file's kind; a photo is also decoded once, as the check will, so a damaged one is named now."""
    with path.open("rb") as file:
        kind = media_kind(file.read(HEAD_BYTES))
    if kind is MediaKind.PHOTO:
        try:
            verify_photo(path, max_pixels)
        except ImageError as error:
            raise UploadRefused(str(error)) from None
    return kind
