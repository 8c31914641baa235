"""Downscaled, upright views of uploads for staff pages, cached on disk next to the media.

Face boxes are stored in upright pixel coordinates of the original, so these views are turned
upright from the EXIF orientation as the check did; their metadata is dropped like any output.
"""

from pathlib import Path

from PIL import Image, ImageOps

from models.media import Media, MediaKind

THUMB = 480
VIEW = 1600


def staff_view(media: Media, cache_dir: Path, long_side: int) -> Path | None:
    """A JPEG of at most `long_side` pixels, or None for a video or a file that cannot be read."""
    if media.kind is not MediaKind.PHOTO:
        return None
    target = cache_dir / f"{media.sha256}-{long_side}.jpg"
    if target.exists():
        return target
    try:
        with Image.open(media.storage_path) as image:
            upright = ImageOps.exif_transpose(image).convert("RGB")
            upright.thumbnail((long_side, long_side))
            cache_dir.mkdir(parents=True, exist_ok=True)
            partial = target.with_suffix(".part")
            upright.save(partial, "JPEG", quality=85)
            partial.replace(target)
    except (OSError, ValueError, Image.DecompressionBombError):
        return None
    return target
