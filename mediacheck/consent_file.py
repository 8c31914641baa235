"""Read the offline consent table of `mediacheck check --consents FILE` (CSV: person,channel).

Each row is one granted consent; a person or channel without a row has none (R3).
"""

import csv
from pathlib import Path

from mediacheck.policy import Consents


class ConsentFileError(Exception):
    """The file cannot be read as a consent table: the message names the line."""


def read_consents(path: Path) -> Consents:
    try:
        with path.open(newline="", encoding="utf-8-sig") as file:
            reader = csv.DictReader(file)
            if not reader.fieldnames or not {"person", "channel"} <= set(reader.fieldnames):
                raise ConsentFileError(f"{path}: the header must be 'person,channel'")
            pairs = set()
            for row in reader:
                person, channel = (row["person"] or "").strip(), (row["channel"] or "").strip()
                if not person or not channel:
                    raise ConsentFileError(f"{path}, line {reader.line_num}: person and channel are both needed")
                pairs.add((person, channel))
    except OSError as error:
        raise ConsentFileError(f"{path}: {error.strerror or error}") from None
    return frozenset(pairs)
