"""Every knob of the photo check in one place, each with its unit and default.

The CLI, the README and (later) the web app show these same names and sentences.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class CheckSettings:
    """Thresholds of the detect → judge → match stages. Defaults lean towards privacy."""

    max_pixels: int = 64_000_000
    """Largest image accepted, in pixels (width × height). Larger files are refused before
    decoding, so no decompression bomb can exhaust memory."""

    published_long_side: int = 2048
    """Long side, in px, of the image as published. Visibility (R1) is judged at this size."""

    min_face_height: int = 32
    """A face is clearly visible (R1) only when its height is at least this many px with the
    image's long side scaled to `published_long_side`."""

    min_sharpness: float = 10.0
    """Variance of the Laplacian of the face scaled to 64 px high. Below it, the face is
    too blurred to recognise (R1). Sharp faces score in the hundreds."""

    min_inside_fraction: float = 0.4
    """Share of the face's area that must lie inside the frame. A face mostly cut off by the
    edge is not clearly visible (R1)."""

    detection_threshold: float = 0.35
    """Lowest detector score accepted as a face (0–1). Low on purpose: a missed face is a leak,
    a false face only costs a redaction."""

    detector_min_face_px: int = 20
    """Height, in px of the detector's input, that the smallest clearly visible face is scaled
    to. Sets the fine detection resolution: smaller is faster but misses small faces."""

    detector_coarse_long_side: int = 640
    """Long side, in px, of the coarse detection pass that finds faces filling the frame."""

    match_distance: float = 0.5
    """Largest template distance for "matched" (face_recognition's own default is 0.6, set for
    adults; children need a stricter one, R15)."""

    unknown_distance: float = 0.6
    """Distance above which a face is "unknown"; between `match_distance` and this it is
    "unsure" and goes to review (R15)."""

    match_margin: float = 0.06
    """Required lead of the nearest person over the second nearest; less is "unsure" (R15)."""

    sibling_margin: float = 0.12
    """Required lead over any sibling of the nearest person; stricter than `match_margin`
    because siblings look alike (R15)."""
