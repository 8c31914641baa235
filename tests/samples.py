"""The sample media the tests use: photos in the shared sample faces, what we derived from them in
sample_media/ (see mediacheck.samples)."""

from mediacheck.samples import CONSENTS, GROUND_TRUTH, sample_faces_dir

SAMPLES = sample_faces_dir()
EVENTS = SAMPLES / "events"
PEOPLE = SAMPLES / "people"

__all__ = ["CONSENTS", "EVENTS", "GROUND_TRUTH", "PEOPLE", "SAMPLES"]
