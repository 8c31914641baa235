"""Channel policy: redact or block per channel, redaction style, thresholds, consent expiry and the
face-matching switch; every change is a new version with who approved it (R11a, R13, R14)."""

import dataclasses
from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from mediacheck.policy import DEFAULT_POLICY
from models import policy_service
from models.channels import Channel
from models.policy import PolicyVersion
from models.policy_service import PolicyError
from web import tasks
from web.pages import redirect_saying, render
from web.routers.admin.common import Admin, start_of, today
from web.state import transaction

router = APIRouter(prefix="/admin")
THRESHOLDS = (
    "match_distance",
    "unknown_distance",
    "match_margin",
    "sibling_margin",
    "min_face_height",
    "min_sharpness",
)
"""The thresholds offered on the page; the others keep their values from the current version."""


@router.get("/policy")
def policy_page(request: Request, staff: Admin) -> Response:
    with transaction(request) as session:
        return _page(request, session)


@router.post("/policy")
async def adopt(request: Request, staff: Admin) -> Response:
    form = {key: str(value) for key, value in (await request.form()).items()}
    number = await run_in_threadpool(_adopt, request, staff, form)
    tasks.policy_changed()
    return redirect_saying(request, "/admin/policy", f"policy version {number} adopted")


def _adopt(request: Request, staff: Admin, form: dict[str, str]) -> int:
    with transaction(request) as session:
        document = _document(request, session, form)
        approved_on = date.fromisoformat(form.get("approved_on") or today(request).isoformat())
        return policy_service.adopt_policy(
            session, document, form.get("approved_by", ""), approved_on, staff.actor
        ).version


def _page(request: Request, session: Session) -> Response:
    current = policy_service.current_version(session)
    policy = policy_service.check_policy(session)
    settings = policy_service.check_settings(session)
    versions = session.scalars(select(PolicyVersion).order_by(PolicyVersion.version.desc())).all()
    return render(
        request,
        "admin/policy.html",
        channels=_channels(session),
        policy={c.name: c for c in policy.channels},
        thresholds={name: getattr(settings, name) for name in THRESHOLDS},
        expires=(current.document.get("consent_expires_at") or "")[:10] if current else "",
        face_matching=policy_service.face_matching_enabled(session),
        versions=versions,
        current=current,
    )


def _document(request: Request, session: Session, form: dict[str, str]) -> dict[str, Any]:
    """The policy document from the form: every channel, the thresholds, expiry and the switch."""
    defaults = {c.name: c for c in DEFAULT_POLICY.channels}
    channels = []
    for channel in _channels(session):
        base = defaults.get(channel.key)
        channels.append(
            {
                "name": channel.key,
                "unconsented": form.get(f"{channel.key}_unconsented", base.unconsented if base else "redact"),
                "block_when_subject": form.get(f"{channel.key}_block_when_subject") == "on",
                "redaction": form.get(f"{channel.key}_redaction", "pixelate"),
            }
        )
    thresholds = dataclasses.asdict(policy_service.check_settings(session))
    for name in THRESHOLDS:
        if form.get(name):
            try:
                thresholds[name] = type(thresholds[name])(form[name])
            except ValueError:
                raise PolicyError(f"{name} must be a number like {thresholds[name]}") from None
    expires = form.get("consent_expires_at")
    return {
        "channels": channels,
        "thresholds": thresholds,
        "consent_expires_at": start_of(request, date.fromisoformat(expires)).isoformat() if expires else None,
        "face_matching": form.get("face_matching") == "on",
    }


def _channels(session: Session) -> list[Channel]:
    return list(session.scalars(select(Channel).where(Channel.active.is_(True)).order_by(Channel.id)))
