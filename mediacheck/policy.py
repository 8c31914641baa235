"""Decide, per channel, what may go out: SPEC.md's decision semantics as one pure function.

Input is what the check found (faces: visible or not, who) and who consented to which channel;
output per channel is publishable / redacted (with the faces to hide) / blocked / review, with
a reason for every face. No I/O, no clock: the same facts always give the same decision.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from mediacheck.matching import Match, MatchStatus

Consents = frozenset[tuple[str, str]]
"""Granted consents as (person, channel) pairs. A pair that is absent is no consent (R3)."""


class ChannelStatus(StrEnum):
    PUBLISHABLE = "publishable"
    REDACTED = "redacted"
    BLOCKED = "blocked"
    REVIEW = "review"


class FaceVerdict(StrEnum):
    NOT_CLEARLY_VISIBLE = "not clearly visible"
    CONSENTED = "consent given"
    NO_CONSENT = "no consent"
    NEEDS_REVIEW = "needs review"


@dataclass(frozen=True)
class ChannelPolicy:
    """How one channel treats a clearly visible face without consent (R13)."""

    name: str
    unconsented: Literal["redact", "block"] = "redact"
    """"redact" hides such faces; "block" keeps the whole image off the channel."""
    block_when_subject: bool = False
    """Block instead of redacting when the unconsented face is the image's subject: the largest
    clearly visible face, or more than half of them. A photo of a hidden face says nothing."""
    redaction: Literal["pixelate", "solid"] = "pixelate"
    """Pixelate then blur the head region, or fill it with one flat colour. Both irreversible."""


@dataclass(frozen=True)
class Policy:
    channels: tuple[ChannelPolicy, ...]
    version: int = 1

    def channel(self, name: str) -> ChannelPolicy:
        for channel in self.channels:
            if channel.name == name:
                return channel
        raise KeyError(f"no channel {name!r} in policy version {self.version}")


DEFAULT_POLICY = Policy(
    (
        ChannelPolicy("protected"),
        ChannelPolicy("public"),
        ChannelPolicy("facebook", block_when_subject=True),
    )
)


@dataclass(frozen=True)
class FaceFacts:
    """What the policy needs to know of one detected face."""

    clearly_visible: bool
    match: Match
    area: int


@dataclass(frozen=True)
class ChannelDecision:
    status: ChannelStatus
    redact: tuple[int, ...]
    """Indices of the faces to hide before the image may go out."""
    verdicts: tuple[FaceVerdict, ...]
    """One per face, in the order given."""

    @property
    def may_go_out(self) -> bool:
        return self.status in (ChannelStatus.PUBLISHABLE, ChannelStatus.REDACTED)


def decide(faces: Sequence[FaceFacts], consents: Consents, policy: Policy) -> dict[str, ChannelDecision]:
    return {channel.name: decide_channel(faces, consents, channel) for channel in policy.channels}


def decide_unreadable(policy: Policy) -> dict[str, ChannelDecision]:
    """An image that could not be checked goes nowhere (fail closed)."""
    return {channel.name: ChannelDecision(ChannelStatus.BLOCKED, (), ()) for channel in policy.channels}


def decide_channel(faces: Sequence[FaceFacts], consents: Consents, channel: ChannelPolicy) -> ChannelDecision:
    verdicts = tuple(face_verdict(face, consents, channel.name) for face in faces)
    unconsented = [i for i, v in enumerate(verdicts) if v is FaceVerdict.NO_CONSENT]
    unresolved = [i for i, v in enumerate(verdicts) if v is FaceVerdict.NEEDS_REVIEW]
    hide = tuple(sorted(unconsented + unresolved))
    if not hide:
        status = ChannelStatus.PUBLISHABLE
    elif unconsented and (
        channel.unconsented == "block" or (channel.block_when_subject and _is_subject(faces, unconsented))
    ):
        status = ChannelStatus.BLOCKED
    elif unresolved:
        status = ChannelStatus.REVIEW
    else:
        status = ChannelStatus.REDACTED
    return ChannelDecision(status, hide, verdicts)


def face_verdict(face: FaceFacts, consents: Consents, channel: str) -> FaceVerdict:
    """One face on one channel. Unknown and not-checked faces have nobody to consent (R11)."""
    if not face.clearly_visible:
        return FaceVerdict.NOT_CLEARLY_VISIBLE
    if face.match.status is MatchStatus.UNSURE:
        return FaceVerdict.NEEDS_REVIEW
    if face.match.status is MatchStatus.MATCHED and (face.match.person, channel) in consents:
        return FaceVerdict.CONSENTED
    return FaceVerdict.NO_CONSENT


def _is_subject(faces: Sequence[FaceFacts], indices: Sequence[int]) -> bool:
    visible = [i for i, face in enumerate(faces) if face.clearly_visible]
    largest = max(visible, key=lambda i: faces[i].area)
    return largest in indices or len(indices) * 2 > len(visible)
