"""Open photos the way phones write them, and write copies that carry nothing but pixels."""

import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pillow_heif
from PIL import Image, ImageOps, UnidentifiedImageError

pillow_heif.register_heif_opener()

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
    """Decode `source` upright, refusing anything that is not a sound, reasonably sized image."""
    data = source if isinstance(source, bytes) else _read(source)
    if not data:
        raise ImageError("empty file (0 bytes)")
    try:
        with Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS) as image:
            _refuse_oversized(image.size, max_pixels)
            image.load()
            upright = ImageOps.exif_transpose(image)
            return Photo(np.asarray(upright.convert("RGB")), image.format or "JPEG")
    except UnidentifiedImageError:
        raise ImageError("not a supported image: expected JPEG, PNG, WebP or HEIC") from None
    except Image.DecompressionBombError as error:
        raise ImageError(f"image too large: {error}") from None
    except (OSError, SyntaxError, ValueError) as error:
        raise ImageError(f"damaged or truncated image: {error}") from None


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise ImageError(f"cannot read file: {error.strerror or error}") from None


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
