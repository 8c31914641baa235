"""The picture of one recorded face for the review screen: upright, with some margin, without
metadata, cached on disk. A video face is cut from the frame its track was recorded at, since the
video file itself is no picture."""

from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from mediacheck.video import VideoError, frame_at
from models.media import DetectedFace, MediaKind
from web.thumbnails import cache_jpeg, upright_photo

MARGIN = 0.35
"""Share of the face's larger side added around it, so a reviewer sees hair and ears too."""
SIZE = 240


@dataclass(frozen=True)
class FaceSpot:
    """Where a recorded face is, read inside a transaction so the picture is cut outside it."""

    path: Path
    kind: MediaKind
    sha256: str
    box: tuple[int, int, int, int]
    """Left, top, right, bottom in upright pixels."""
    frame_ms: int | None

    @classmethod
    def of(cls, face: DetectedFace) -> "FaceSpot":
        media = face.media
        box = (face.left, face.top, face.right, face.bottom)
        return cls(Path(media.storage_path), media.kind, media.sha256, box, face.frame_ms)


def face_picture(spot: FaceSpot, cache_dir: Path) -> Path | None:
    """A JPEG of the face, or None for a file that cannot be read."""
    left, top, right, bottom = spot.box
    target = cache_dir / f"{spot.sha256}-{left}-{top}-{right}-{bottom}-{spot.frame_ms}.jpg"
    if target.exists():
        return target
    try:
        picture = _source_picture(spot)
    except (OSError, ValueError, Image.DecompressionBombError, VideoError):
        return None
    margin = int(max(right - left, bottom - top) * MARGIN)
    cut = picture.crop((left - margin, top - margin, right + margin, bottom + margin))
    cut.thumbnail((SIZE, SIZE))
    return cache_jpeg(cut, target)


def _source_picture(spot: FaceSpot) -> Image.Image:
    if spot.kind is MediaKind.PHOTO:
        return upright_photo(spot.path)
    return Image.fromarray(frame_at(spot.path, spot.frame_ms or 0))
