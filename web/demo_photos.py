"""The demo's own photos, for a machine without the shared sample faces.

`make install` takes them from the face_recognition source distribution on PyPI (its
tests/test_images, MIT licence) into `.cache/sample-faces`, laid out like the sample faces. The
demo only reads that folder: nothing is fetched while it runs.

    python -m web.demo_photos
"""

import shutil
import subprocess
import sys
import tarfile
import tempfile
from importlib.metadata import version
from pathlib import Path

from mediacheck.samples import ROOT

FOLDER = ROOT / ".cache" / "sample-faces"
DONE = "README.md"
"""Written last: the folder is complete when it holds this file (the Makefile's target)."""
LAYOUT = {
    "tests/test_images/obama.jpg": "people/obama/1.jpg",
    "tests/test_images/obama2.jpg": "people/obama/2.jpg",
    "tests/test_images/biden.jpg": "people/biden/1.jpg",
    "tests/test_images/obama3.jpg": "events/obama_standing.jpg",
    "tests/test_images/obama_partial_face.jpg": "events/obama_partial_face.jpg",
    "tests/test_images/obama_partial_face2.jpg": "events/obama_partial_face2.jpg",
    "LICENSE": "LICENSE-face_recognition",
}
"""Source distribution file → place. Only Obama has photos enough to be both enrolled and checked;
Biden's single photo enrols him. The partial faces are mostly cut off (R1: they need no consent).
32bit.png is obama2.jpg again with an alpha channel, so it is left out. The folder names match
sample_media/consents.csv, which the demo uses for this school too."""
README = """# The demo's sample photos

Built by `make install` (`python -m web.demo_photos`) from the face_recognition {version}
source distribution on PyPI (tests/test_images; MIT licence in LICENSE-face_recognition).
The demo uses them only when the shared sample faces are not there. Not committed.
"""


def build(folder: Path = FOLDER) -> None:
    """Download the source distribution of the installed face_recognition and lay its photos out in `folder`."""
    release = version("face_recognition")
    with tempfile.TemporaryDirectory() as download:
        pip = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--no-binary", ":all:"]
        subprocess.run([*pip, f"face_recognition=={release}", "--dest", download], check=True)
        unpack(next(Path(download).glob("face_recognition-*.tar.gz")), folder, release)


def unpack(sdist: Path, folder: Path, release: str) -> None:
    """Lay out the photos of `LAYOUT`; a half-built folder never replaces a whole one."""
    staging = folder.with_name(f"{folder.name}.partial")
    shutil.rmtree(staging, ignore_errors=True)
    with tarfile.open(sdist) as archive:
        for source, target in LAYOUT.items():
            (staging / target).parent.mkdir(parents=True, exist_ok=True)
            (staging / target).write_bytes(archive.extractfile(f"face_recognition-{release}/{source}").read())
    (staging / DONE).write_text(README.format(version=release))
    shutil.rmtree(folder, ignore_errors=True)
    staging.rename(folder)


if __name__ == "__main__":
    build()
