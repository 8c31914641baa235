"""The consent page for a parent or a student aged 16+ at /c/<token>: no account, one student (R8).

It shows the student's first name and, per channel and for face matching, a plain explanation, the
exact consent text (R4) and a yes/no choice; withdrawing is the same click as granting (R5). The
texts shown are sent back with the form, so what is recorded is what was read. An unknown, expired
or revoked token gets a page that reveals nothing, and an address trying many gets its further
unknown tokens refused a while; a valid link is never refused.
"""

import hashlib
import hmac
import logging
from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import consent_service, link_service, link_throttle
from models.channels import FACE_MATCHING, Channel, ConsentText
from models.consent import DeciderRole
from models.consent_service import ConsentRefused
from models.consent_state import ConsentState
from models.errors import NotFound
from models.links import ConsentLink
from web import i18n, tasks
from web.auth import CSRF_FIELD, client_address, set_cookie
from web.pages import local_time, render
from web.state import transaction, web_state
from worker.app import BrokerUnreachable

log = logging.getLogger(__name__)

router = APIRouter(tags=["consent"])


@dataclass(frozen=True)
class Choice:
    """One line of the page: a purpose, its explanation, the text shown and the state now."""

    purpose: str
    label: str
    explanation: str
    text: ConsentText
    state: ConsentState


@router.get("/c/{token}")
def consent_page(request: Request, token: str) -> Response:
    lang = i18n.language(request)
    with transaction(request) as session:
        opened = _open(request, session, token, lang)
        return opened if isinstance(opened, Response) else _page(request, session, opened, token, lang)


@router.post("/c/{token}")
async def save_consent(request: Request, token: str) -> Response:
    form = await request.form()
    return await run_in_threadpool(_save, request, token, {k: str(v) for k, v in form.items()})


@router.get("/consent/{token}")
def printed_link(token: str) -> Response:
    """The address printed on letters (`models.link_service.link_url`) opens the same page."""
    return RedirectResponse(f"/c/{token}", status_code=308)


def _save(request: Request, token: str, form: dict[str, str]) -> Response:
    lang = form["lang"] if form.get("lang") in i18n.LANGUAGES else i18n.DEFAULT
    words = i18n.WORDS[lang]
    try:
        with transaction(request) as session:
            opened = _open(request, session, token, lang)
            if isinstance(opened, Response):
                return opened
            if not hmac.compare_digest(form.get(CSRF_FIELD, "").encode(), _form_token(request, token).encode()):
                return _dead_end(request, lang, 403, words["form_expired"])
            choices = _choices(session, opened, lang)
            if any(form.get(f"text_{c.purpose}") != str(c.text.id) for c in choices):
                return _page(request, session, opened, token, lang, 409, words["text_changed"])
            changes = {c.purpose: form[c.purpose] == "yes" for c in choices if _changed(c.state, form.get(c.purpose))}
            events = [link_service.decide_via_link(session, token, p, granted, lang) for p, granted in changes.items()]
            student_id, name = opened.student_id, opened.student.first_name or ""
            channels = list(session.scalars(select(Channel.key).where(Channel.active.is_(True))))
    except ConsentRefused:
        with transaction(request) as session:
            return _page(request, session, link_service.resolve(session, token), token, lang, 403, words["refused"])
    if changes:
        _takedowns_follow(student_id, list(changes), channels)
    withdrawn = [words.get(purpose, purpose) for purpose, granted in changes.items() if not granted]
    saved_at = local_time(request, events[-1].recorded_at) if events else None
    return render(
        request,
        "consent_saved.html",
        lang=lang,
        words=words,
        name=name,
        token=token,
        saved_at=saved_at,
        withdrawn=withdrawn,
    )


def _open(request: Request, session: Session, token: str, lang: str) -> ConsentLink | Response:
    """The link the token opens, or the page for a token that opens nothing.

    A valid link always opens, whatever others behind the same address (a school, a phone
    carrier) tried: only tokens that open nothing are refused while their address waits.
    """
    try:
        return link_service.resolve(session, token)
    except NotFound:
        pass
    address = link_throttle.address_key(web_state(request).settings.link_key_bytes(), client_address(request))
    words = i18n.WORDS[lang]
    wait = link_throttle.wait_seconds(session, address)
    if wait:
        response = _dead_end(request, lang, 429, words["slow_down"].format(minutes=max(1, wait // 60)))
        response.headers["Retry-After"] = str(wait)
        return response
    link_throttle.record_bad_attempt(session, address)
    return _dead_end(request, lang, 404, words["invalid"])


def _dead_end(request: Request, lang: str, status: int, message: str) -> Response:
    """A page that says what to do and shows nothing of any student."""
    return render(request, "consent_invalid.html", status, lang=lang, words=i18n.WORDS[lang], message=message)


def _page(
    request: Request,
    session: Session,
    link: ConsentLink,
    token: str,
    lang: str,
    status: int = 200,
    notice: str | None = None,
) -> Response:
    words = i18n.WORDS[lang]
    response = render(
        request,
        "consent.html",
        status,
        lang=lang,
        other=i18n.other(lang),
        words=words,
        name=link.student.first_name or "",
        is_student=link.holder_role is DeciderRole.STUDENT,
        choices=_choices(session, link, lang),
        token=token,
        form_token=_form_token(request, token),
        notice=notice,
    )
    if request.query_params.get("lang") == lang:  # the visitor chose: remember it
        set_cookie(request, response, i18n.COOKIE, lang, max_age=365 * 24 * 3600)
    return response


def _choices(session: Session, link: ConsentLink, lang: str) -> list[Choice]:
    """The channels then face matching, with the state now (viewing it is audited, R9)."""
    words = i18n.WORDS[lang]
    name = link.student.first_name or ""
    record = consent_service.view_consents(session, link.student, link_service.link_actor(link))
    channels = {c.key: c for c in session.scalars(select(Channel).where(Channel.active.is_(True)))}
    choices = []
    for state in record.states:
        if state.purpose == FACE_MATCHING:
            label, explanation = words[FACE_MATCHING], words["face-matching_explained"].format(name=name)
        elif state.purpose in channels:
            channel = channels[state.purpose]
            label = words.get(channel.key, channel.name)
            explanation = channel.description_nl if lang == "nl" else channel.description_en
        else:
            continue
        text = consent_service.current_text(session, state.purpose, lang)
        choices.append(Choice(state.purpose, label, explanation, text, state))
    return choices


def _changed(state: ConsentState, answer: str | None) -> bool:
    """Only an explicit answer that differs from the state now becomes a new event (R3: silence is no)."""
    if answer not in ("yes", "no"):
        return False
    return state.event is None or (answer == "yes") != state.granted


def _form_token(request: Request, token: str) -> str:
    """The page's CSRF token: bound to this link, unforgeable without the server's key."""
    key = web_state(request).settings.link_key_bytes()
    return hmac.new(key, b"consent-form:" + link_service.token_hash(token).encode(), hashlib.sha256).hexdigest()


def _takedowns_follow(student_id: int, purposes: list[str], channels: list[str]) -> None:
    """Start the takedowns. The parent's choice is saved either way: if the worker cannot be reached,
    staff see it in the log and `reconcile` takes the copies down once it can; the parent is not asked to
    try again."""
    try:
        tasks.consent_changed(student_id, purposes, channels)
    except BrokerUnreachable as error:
        log.error("%s (%s)", error, error.__cause__)
