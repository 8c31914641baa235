"""Photos carrying what phones and cameras write (GPS, camera make and serial, orientation, a comment),
and the check that an image carries none of it."""

import io
from pathlib import Path

from PIL import Image

COMMENT = b"Sanne de Vries at home"
CAMERA = "Canon"
SERIAL = "SERIAL-4711"


def with_metadata(source: Path, target: Path, orientation: int = 1) -> Path:
    """`source` as a JPEG with GPS, camera make, model and serial, an EXIF orientation and a comment."""
    exif = Image.Exif()
    exif[0x010F], exif[0x0110], exif[0x0112] = CAMERA, "EOS 5D", orientation
    exif[0x8825] = {1: "N", 2: (52.0, 22.0, 1.0), 3: "E", 4: (4.0, 53.0, 2.0)}
    exif.get_ifd(0x8769)[0xA431] = SERIAL
    with Image.open(source) as image:
        image.convert("RGB").save(target, "JPEG", exif=exif, comment=COMMENT, quality=95)
    return target


def metadata_left(data: bytes) -> list[str]:
    """What of the metadata above the image still carries; empty when it is only pixels."""
    with Image.open(io.BytesIO(data)) as image:
        found = [key for key in ("exif", "comment", "xmp", "XML:com.adobe.xmp") if key in image.info]
        found += [f"exif tag {tag}" for tag in image.getexif()]
    found += [marker.decode() for marker in (COMMENT, CAMERA.encode(), SERIAL.encode()) if marker in data]
    return found
