"""Open photos the way phones write them, and write copies that carry nothing but pixels."""

import io
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pillow_heif
from PIL import Image, ImageOps

from mediacheck.formats import HEAD_BYTES, FileKind, kind_of, what_it_is

pillow_heif.register_heif_opener()
warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # sizes are refused by `max_pixels`, in words

ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP", "HEIF")
"""Formats recognised from the file's bytes; the file name's extension is never trusted."""

_OUTPUT_FORMAT = {"JPEG": "JPEG", "PNG": "PNG", "WEBP": "WEBP", "HEIF": "JPEG"}
OUTPUT_SUFFIX = {"JPEG": ".jpg", "PNG": ".png", "WEBP": ".webp"}


class ImageError(Exception):
    """A file that cannot be checked. The message says why, in words a teacher understands."""


@dataclass(frozen=True)
class Photo:
    """An upright RGB image: the EXIF orientation is already applied."""

    pixels: np.ndarray
    format: str

    @property
    def width(self) -> int:
        return int(self.pixels.shape[1])

    @property
    def height(self) -> int:
        return int(self.pixels.shape[0])


def open_photo(source: Path | bytes, max_pixels: int) -> Photo:
    """Decode `source` upright, refusing anything that is not a sound, reasonably sized image.

    Every failure of the decoders, whatever they raise, becomes an `ImageError` in plain words."""
    with _opened(source, max_pixels) as image, DECODING.hold(image.width * image.height):
        image.load()
        ImageOps.exif_transpose(image, in_place=True)
        rgb = image if image.mode == "RGB" else image.convert("RGB")
        return Photo(np.asarray(rgb), image.format or "JPEG")


def open_view(source: Path, long_side: int, max_pixels: int) -> Image.Image:
    """An upright RGB view of at most `long_side` px, decoded as small as the format allows (a JPEG
    at 1/2, 1/4 or 1/8 of its size) and within the process's `DECODING` budget, so that pages
    showing many large photos at once stay within bounded memory."""
    with _opened(source, max_pixels) as image:
        image.draft("RGB", (long_side, long_side))
        with DECODING.hold(image.width * image.height):
            image.load()
            image.thumbnail((long_side, long_side))
        ImageOps.exif_transpose(image, in_place=True)
        return image.convert("RGB")


def verify_photo(source: Path, max_pixels: int) -> None:
    """Decode the photo once and keep nothing, as `open_photo` will: raises `ImageError` if it cannot be."""
    with _opened(source, max_pixels) as image, DECODING.hold(image.width * image.height):
        image.load()


class PixelBudget:
    """At most `limit` pixels being decoded at once in this process, across its threads: a web
    process taking in four 64 MP photos at once decodes them one after the other, not together."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._free = limit
        self._changed = threading.Condition()

    @contextmanager
    def hold(self, pixels: int) -> Iterator[None]:
        wanted = min(pixels, self.limit)
        with self._changed:
            self._changed.wait_for(lambda: self._free >= wanted)
            self._free -= wanted
        try:
            yield
        finally:
            with self._changed:
                self._free += wanted
                self._changed.notify_all()


DECODING = PixelBudget(64_000_000)
"""One photo of the largest accepted size (`CheckSettings.max_pixels`) decodes at a time per process."""


@contextmanager
def _opened(source: Path | bytes, max_pixels: int) -> Iterator[Image.Image]:
    """The image with only its header read, within `max_pixels`; every failure an `ImageError`."""
    data = source if isinstance(source, bytes) else _read(source)
    kind = kind_of(data[:HEAD_BYTES])
    if kind is FileKind.VIDEO:
        raise ImageError("a video, not a photo: only photos are taken here")
    if kind is None:
        raise ImageError(what_it_is(data[:HEAD_BYTES]))
    try:
        with Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS) as image:
            _refuse_oversized(image.size, max_pixels)
            yield image
    except ImageError:
        raise
    except Image.DecompressionBombError:
        raise ImageError(f"image too large: far over the limit of {max_pixels / 1e6:.1f} megapixels") from None
    except Exception as error:  # noqa: BLE001 - a decoder may raise anything on hostile bytes: the file is refused
        raise ImageError(_damaged(error)) from None


def _damaged(error: Exception) -> str:
    """Plain words for a decoder's failure: no decoder names, exception classes or bytes."""
    text = str(error).lower()
    if isinstance(error, MemoryError) or "security limit" in text or "memory allocation" in text:
        return "image too large: it declares a size too large to open"
    if any(words in text for words in ("truncat", "end of file", "unexpected end", "premature end")):
        return "damaged or truncated image: the file ends before the picture does"
    return "damaged or truncated image: its picture data cannot be read"


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise ImageError(f"cannot read file: {(error.strerror or 'unreadable').lower()}") from None


def _refuse_oversized(size: tuple[int, int], max_pixels: int) -> None:
    width, height = size
    if width * height > max_pixels:
        raise ImageError(
            f"image too large: {width}x{height} is {width * height / 1e6:.1f} megapixels, "
            f"the limit is {max_pixels / 1e6:.1f}"
        )


def encode_clean(pixels: np.ndarray, source_format: str) -> tuple[bytes, str]:
    """Encode pixels afresh with no metadata at all (R10): no EXIF, GPS, XMP, ICC or comment.

    Returns the bytes and the file suffix that matches them (HEIC goes out as JPEG).
    """
    output_format = _OUTPUT_FORMAT.get(source_format, "JPEG")
    buffer = io.BytesIO()
    image = Image.fromarray(pixels, mode="RGB")
    if output_format == "PNG":
        image.save(buffer, "PNG", optimize=False)
    else:
        image.save(buffer, output_format, quality=92)
    return buffer.getvalue(), OUTPUT_SUFFIX[output_format]


def clean_jpeg(image: Image.Image, quality: int = 85) -> bytes:
    """A staff view (thumbnail, face picture) as JPEG with nothing but its pixels: Pillow would carry
    a JPEG comment of the original over into it."""
    buffer = io.BytesIO()
    Image.fromarray(np.asarray(image.convert("RGB")), mode="RGB").save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def write_clean_original(source: Path, target: Path, max_pixels: int) -> Path:
    """Store the uploaded photo upright and without EXIF, GPS, XMP or comments (R10): at `target` with
    the suffix of what was written (HEIC is stored as JPEG). The colour profile stays with the pixels."""
    with Image.open(source, formats=ACCEPTED_FORMATS) as image:
        _refuse_oversized(image.size, max_pixels)
        output_format = _OUTPUT_FORMAT.get(image.format or "JPEG", "JPEG")
        profile = image.info.get("icc_profile")
        clean = ImageOps.exif_transpose(image)  # a new image, whose metadata is dropped next
        clean = clean if clean.mode in ("RGB", "RGBA", "L") else clean.convert("RGB")
        clean.info = {}
    written = target.with_suffix(OUTPUT_SUFFIX[output_format])
    partial = written.with_suffix(".part")
    if output_format == "JPEG":
        clean.convert("RGB").save(partial, "JPEG", quality=95, icc_profile=profile)
    else:
        clean.save(partial, output_format, quality=95, icc_profile=profile)
    partial.replace(written)
    return written
