"""Adopt a channel policy version and read the one in force (R13, R14, R11a).

The document of a version:

    {"channels": [{"name": "public", "unconsented": "redact", "block_when_subject": false,
                   "redaction": "pixelate"}, ...],
     "thresholds": {"match_distance": 0.5, ...},     # any `mediacheck.settings.CheckSettings` field
     "consent_expires_at": "2026-08-01T00:00:00+02:00" | null,   # R14
     "face_matching": true}                          # false: every visible face is unknown (R11a)

Without any adopted version the built-in `mediacheck.policy.DEFAULT_POLICY` applies (version 0),
with no consent expiry and face matching on.
"""

import dataclasses
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mediacheck.policy import DEFAULT_POLICY, ChannelPolicy, Policy
from mediacheck.settings import CheckSettings
from models import audit_service
from models.audit import Actor
from models.channels import Channel
from models.errors import RecordsError
from models.policy import PolicyVersion

_CHOICES = {"unconsented": ("redact", "block"), "redaction": ("pixelate", "solid")}


class PolicyError(RecordsError):
    """A policy document that cannot be adopted; the message names the field."""


def adopt_policy(
    session: Session, document: dict[str, Any], approved_by: str, approved_on: date, actor: Actor
) -> PolicyVersion:
    """Add the next policy version; refused unless it is complete and says who approved it."""
    if not approved_by.strip():
        raise PolicyError("say who approved this policy (e.g. the participation council's minutes)")
    _validate(session, document)
    number = (session.scalar(select(func.max(PolicyVersion.version))) or 0) + 1
    version = PolicyVersion(
        version=number, document=document, approved_by=approved_by, approved_on=approved_on, recorded_by=str(actor)
    )
    session.add(version)
    session.flush()
    audit_service.record(session, actor, "policy.adopt", "policy_version", number)
    return version


def current_version(session: Session) -> PolicyVersion | None:
    return session.scalar(select(PolicyVersion).order_by(PolicyVersion.version.desc()).limit(1))


def check_policy(session: Session) -> Policy:
    version = current_version(session)
    if version is None:
        return DEFAULT_POLICY
    channels = tuple(ChannelPolicy(**channel) for channel in version.document["channels"])
    return Policy(channels, version.version)


def check_settings(session: Session) -> CheckSettings:
    version = current_version(session)
    return CheckSettings(**version.document.get("thresholds", {})) if version else CheckSettings()


def consent_expiry(session: Session) -> datetime | None:
    version = current_version(session)
    expires = version.document.get("consent_expires_at") if version else None
    return datetime.fromisoformat(expires) if expires else None


def face_matching_enabled(session: Session) -> bool:
    version = current_version(session)
    return bool(version.document.get("face_matching", True)) if version else True


def _validate(session: Session, document: dict[str, Any]) -> None:
    known = set(session.scalars(select(Channel.key)))
    channels = document.get("channels") or []
    if not channels:
        raise PolicyError("a policy needs at least one channel")
    fields = {f.name for f in dataclasses.fields(ChannelPolicy)}
    for channel in channels:
        if channel.get("name") not in known:
            raise PolicyError(f"unknown channel {channel.get('name')!r}; known: {', '.join(sorted(known))}")
        if unknown := set(channel) - fields:
            raise PolicyError(f"channel {channel['name']}: unknown field(s) {', '.join(sorted(unknown))}")
        for name, allowed in _CHOICES.items():
            if channel.get(name, allowed[0]) not in allowed:
                raise PolicyError(f"channel {channel['name']}: {name} must be one of {', '.join(allowed)}")
    try:
        CheckSettings(**document.get("thresholds", {}))
        expires = document.get("consent_expires_at")
        if expires and datetime.fromisoformat(expires).tzinfo is None:
            raise PolicyError("consent_expires_at needs a time zone, e.g. 2026-08-01T00:00:00+02:00")
    except (TypeError, ValueError) as error:
        raise PolicyError(f"invalid policy: {error}") from None
