"""Which uploaded files are taken in: photos and videos, recognised by their bytes, within the size limit.

A refused file is named with a reason a teacher understands; the other files of the same upload
go on. A photo is decoded here once, so a damaged or oversized one is named at once; a damaged
video is found by the worker's check, which blocks it (fail closed).
"""

from pathlib import Path

from mediacheck.imaging import ImageError, open_photo
from models.errors import RecordsError
from models.media import MediaKind

_VIDEO_BRANDS = (b"isom", b"iso2", b"mp41", b"mp42", b"avc1", b"qt  ", b"M4V ", b"3gp4", b"3gp5", b"dash")
_IMAGE_BRANDS = (b"heic", b"heix", b"hevc", b"mif1", b"msf1", b"heim", b"heis")


class UploadRefused(RecordsError):
    """The file is not taken in; the message is shown next to its name."""


def media_kind(head: bytes) -> MediaKind:
    """Photo or video from the first bytes of the file (its name may say anything)."""
    if head.startswith((b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n")) or (head[:4] == b"RIFF" and head[8:12] == b"WEBP"):
        return MediaKind.PHOTO
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in _IMAGE_BRANDS:
            return MediaKind.PHOTO
        if brand in _VIDEO_BRANDS or brand.startswith(b"3g"):
            return MediaKind.VIDEO
    if head.startswith(b"\x1a\x45\xdf\xa3"):  # Matroska / WebM
        return MediaKind.VIDEO
    raise UploadRefused("not a photo or video: expected JPEG, PNG, WebP, HEIC, MP4, MOV or WebM")


def refuse_too_large(size: int, limit_mb: int) -> None:
    if size > limit_mb * 1024 * 1024:
        raise UploadRefused(f"too large: {size / 1024 / 1024:.0f} MB, the limit is {limit_mb} MB")


def verify(path: Path, max_pixels: int) -> MediaKind:
    """The file's kind; a photo is also decoded once, as the check will, so a damaged one is named now."""
    with path.open("rb") as file:
        head = file.read(32)
    if not head:
        raise UploadRefused("empty file (0 bytes)")
    kind = media_kind(head)
    if kind is MediaKind.PHOTO:
        try:
            open_photo(path, max_pixels)
        except ImageError as error:
            raise UploadRefused(str(error)) from None
    return kind
