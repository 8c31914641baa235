"""Compare event-face templates with the gallery of enrolled people (R11, R15).

"matched" needs a close distance AND a clear lead over the next person, and a stricter lead
over a sibling; anything less is "unsure" (to review) or "unknown" (no consent).
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np

from mediacheck.settings import CheckSettings


class MatchStatus(StrEnum):
    MATCHED = "matched"
    UNSURE = "unsure"
    UNKNOWN = "unknown"
    NOT_CHECKED = "not_checked"


@dataclass(frozen=True)
class Match:
    status: MatchStatus
    person: str | None = None
    """The nearest person: the match, or the candidate a reviewer is asked about."""
    distance: float | None = None
    margin: float | None = None
    """Lead of the nearest person over the second nearest (inf with one person enrolled)."""


NOT_CHECKED = Match(MatchStatus.NOT_CHECKED)


@dataclass(frozen=True, eq=False)
class Gallery:
    """Enrolled people's templates, grouped by person, as one matrix for vectorised search."""

    people: tuple[str, ...]
    templates: np.ndarray
    """(N, 128) float32, rows of one person contiguous, in the order of `people`."""
    starts: np.ndarray
    """Index of each person's first row in `templates`."""
    siblings: np.ndarray = field(repr=False)
    """(P, P) bool: True where two people are marked as siblings."""
    distant: np.ndarray = field(repr=False)
    """(N,) bool: True where a row is a reference face shrunk as if seen from afar."""
    metric: str = "cosine"
    """"cosine": distance is 1 − cosine similarity of unit-length templates (SFace); "euclidean" (dlib)."""

    @classmethod
    def build(
        cls,
        templates: dict[str, Sequence[np.ndarray]],
        siblings: Iterable[tuple[str, str]] = (),
        distant: dict[str, Sequence[np.ndarray]] | None = None,
        metric: str = "cosine",
    ) -> "Gallery":
        """`templates` per person as photographed; `distant` the same faces as if seen from afar."""
        distant = distant or {}
        people = tuple(sorted(name for name, rows in templates.items() if len(rows)))
        per_person = [([*templates[name]], [*distant.get(name, ())]) for name in people]
        rows = [np.asarray(t, dtype=np.float32) for close, far in per_person for t in [*close, *far]]
        flags = [flag for close, far in per_person for flag in [False] * len(close) + [True] * len(far)]
        counts = [len(close) + len(far) for close, far in per_person]
        index = {name: i for i, name in enumerate(people)}
        sibling_matrix = np.zeros((len(people), len(people)), dtype=bool)
        for a, b in siblings:
            if a in index and b in index:
                sibling_matrix[index[a], index[b]] = sibling_matrix[index[b], index[a]] = True
        return cls(
            people,
            np.vstack(rows) if rows else np.empty((0, 128), dtype=np.float32),
            np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.intp) if counts else np.empty(0, np.intp),
            sibling_matrix,
            np.array(flags, dtype=bool),
            metric,
        )

    def __len__(self) -> int:
        return len(self.people)

    def person_distances(self, encodings: np.ndarray, distant_offset: float = 0.0) -> np.ndarray:
        """(F, P) distance from each face to each person's closest template, `distant_offset` added to
        the distance to a face seen from afar."""
        faces = np.asarray(encodings, dtype=np.float32)
        products = faces @ self.templates.T
        if self.metric == "cosine":
            distances = 1.0 - products
        else:
            squared = (faces**2).sum(axis=1)[:, None] + (self.templates**2).sum(axis=1)[None, :] - 2.0 * products
            distances = np.sqrt(np.maximum(squared, 0.0))
        return np.minimum.reduceat(distances + distant_offset * self.distant[None, :], self.starts, axis=1)

    def match(self, encodings: np.ndarray, settings: CheckSettings) -> list[Match]:
        if len(encodings) == 0:
            return []
        if not self.people:
            return [Match(MatchStatus.UNKNOWN) for _ in encodings]
        distances = self.person_distances(encodings, settings.distant_template_offset)
        return [self._judge(row, settings) for row in distances]

    def _judge(self, distances: np.ndarray, settings: CheckSettings) -> Match:
        nearest = int(np.argmin(distances))
        best = float(distances[nearest])
        others = np.delete(distances, nearest)
        margin = float(others.min() - best) if len(others) else float("inf")
        sibling_rows = distances[self.siblings[nearest]]
        sibling_margin = float(sibling_rows.min() - best) if len(sibling_rows) else float("inf")
        person = self.people[nearest]
        if best > settings.unknown_distance:
            return Match(MatchStatus.UNKNOWN, None, best, margin)
        confident = (
            best <= settings.match_distance
            and margin >= settings.match_margin
            and sibling_margin >= settings.sibling_margin
        )
        return Match(MatchStatus.MATCHED if confident else MatchStatus.UNSURE, person, best, margin)
