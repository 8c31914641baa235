"""Downscaled, upright views of uploads for staff pages, cached on disk next to the media.

Face boxes are stored in upright pixel coordinates of the original, so these views are turned
upright from the EXIF orientation as the check did; their metadata is dropped like any output.
A large photo is decoded as small as its format allows and one at a time (`mediacheck.imaging.open_view`):
a page of many 64 MP thumbnails must not take the web process's memory.
A video is shown by its frame with the most faces on screen, as its check found them.
"""

import logging
from pathlib import Path

from PIL import Image, ImageOps

from mediacheck.imaging import clean_jpeg, open_view
from mediacheck.video import load_tracks, still
from models.media import Media, MediaKind
from models.processing_service import tracks_file

log = logging.getLogger(__name__)
THUMB = 480
VIEW = 1600


def staff_view(media: Media, cache_dir: Path, long_side: int, max_pixels: int) -> Path | None:
    """A JPEG of at most `long_side` pixels, or None for a file that cannot be read."""
    checked = media.kind is MediaKind.VIDEO and tracks_file(Path(media.storage_path)).exists()
    target = cache_dir / f"{media.sha256}-{long_side}{'-checked' if checked else ''}.jpg"  # a video's frame changes
    if target.exists():
        return target
    try:
        upright = _picture(media, long_side, max_pixels)
    except Exception:  # a file no decoder can read gets the placeholder, never an error page
        log.warning("no view of media %s", media.id, exc_info=True)
        return None
    upright.thumbnail((long_side, long_side))
    return cache_jpeg(upright, target)


def cache_jpeg(picture: Image.Image, target: Path) -> Path:
    """Write `picture` as a metadata-free JPEG at `target`, whole or not at all (a reader never sees half)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".part")
    partial.write_bytes(clean_jpeg(picture))
    partial.replace(target)
    return target


def upright_photo(path: Path) -> Image.Image:
    """The photo in RGB, turned upright as the check saw it (face boxes are in these pixels)."""
    with Image.open(path) as image:
        return ImageOps.exif_transpose(image).convert("RGB")


def _picture(media: Media, long_side: int, max_pixels: int) -> Image.Image:
    path = Path(media.storage_path)
    if media.kind is MediaKind.PHOTO:
        return open_view(path, long_side, max_pixels)
    tracks = load_tracks(tracks_file(path)) if tracks_file(path).exists() else []
    return Image.fromarray(still(path, tracks, [], "pixelate"))
