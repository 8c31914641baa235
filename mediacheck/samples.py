"""Where the sample media live, for the demo, the tests and the benchmarks.

The photos and the clip are read where they lie, in the folder shared beside the project: their
licences are not ours to redistribute, so nothing from it is ever committed. The project keeps only
what it derived from them, in `sample_media/`.
"""

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DERIVED = ROOT / "sample_media"
CONSENTS = DERIVED / "consents.csv"
"""The demo's consent table, by folder name in people/ (`person,channel`; no row = no consent)."""
GROUND_TRUTH = DERIVED / "ground_truth.json"
"""The faces in the sample faces' events/, checked by eye."""


def shared_dir() -> Path:
    """`../shared` beside the project; the environment variable MEDIACHECK_SHARED names another folder."""
    return Path(os.environ.get("MEDIACHECK_SHARED", ROOT.parent / "shared"))


def sample_faces_dir() -> Path:
    """Photos from face_recognition (MIT): people/<name>/ reference photos, events/ to check, video/."""
    return shared_dir() / "sample-faces"
