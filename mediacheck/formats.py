"""Photo, video or neither, told from a file's first bytes: its name may say anything.

A BMP, GIF or TIFF named `.mp4` is none of ours, whatever FFmpeg would make of it; a JPEG named
`.mov` is a photo. The first `HEAD_BYTES` of a file are enough to tell.
"""

from enum import StrEnum
from pathlib import Path

HEAD_BYTES = 32
SUPPORTED = "expected a JPEG, PNG, WebP or HEIC photo, or an MP4, MOV or WebM video"

_VIDEO_BRANDS = (b"isom", b"iso2", b"iso4", b"iso5", b"iso6", b"mp41", b"mp42", b"avc1", b"qt  ", b"M4V ", b"dash")
_IMAGE_BRANDS = (b"heic", b"heix", b"hevc", b"hevx", b"mif1", b"msf1", b"heim", b"heis")
_OTHER_FORMATS = (
    (b"BM", "a BMP image"),
    (b"GIF8", "a GIF image"),
    (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
    (b"%PDF", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive (or an Office document)"),
    (b"RIFF", "a RIFF file that is not WebP (an AVI video or a WAV sound)"),
    (b"\x00\x00\x01\x00", "an icon"),
    (b"<", "a web page or other text"),
)


class FileKind(StrEnum):
    PHOTO = "photo"
    VIDEO = "video"


def kind_of(head: bytes) -> FileKind | None:
    """Photo or video from the first bytes of a file, or None for anything else."""
    if head.startswith((b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n")) or (head[:4] == b"RIFF" and head[8:12] == b"WEBP"):
        return FileKind.PHOTO
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in _IMAGE_BRANDS:
            return FileKind.PHOTO
        if brand in _VIDEO_BRANDS or brand.startswith(b"3g"):
            return FileKind.VIDEO
    if head.startswith(b"\x1a\x45\xdf\xa3"):  # Matroska / WebM
        return FileKind.VIDEO
    return None


def file_kind(path: Path) -> FileKind | None:
    """`kind_of` the file's first bytes; None also when it cannot be read."""
    try:
        with path.open("rb") as file:
            return kind_of(file.read(HEAD_BYTES))
    except OSError:
        return None


def what_it_is(head: bytes) -> str:
    """Words for a file that is neither photo nor video: what it seems to be, and what is expected."""
    if not head:
        return "empty file (0 bytes)"
    seems = next((words for magic, words in _OTHER_FORMATS if head.startswith(magic)), None)
    if head[4:8] == b"ftyp":
        seems = "an ISO media file of a kind not supported (such as AVIF)"
    return f"not a supported image or video: {f'it is {seems}; ' if seems else ''}{SUPPORTED}"
