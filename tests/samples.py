"""Where the sample media live (see sample_media/README.md)."""

from pathlib import Path

SAMPLES = Path(__file__).resolve().parent.parent / "sample_media"
EVENTS = SAMPLES / "events"
PEOPLE = SAMPLES / "people"
