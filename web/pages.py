"""Render a page: the template, the logged-in staff member (if any), the local time format, and the
message saying what the last change did.

That message travels from the change to the next page in a short-lived cookie signed for the staff
session, never in the URL: a link anyone can send would otherwise put its own words on our page.
"""

import base64
import hashlib
import hmac
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

from web.auth import set_cookie
from web.state import web_state

FLASH_COOKIE = "mc_flash"
FLASH_SECONDS = 60

templates = Jinja2Templates(directory=Path(__file__).with_name("templates"))


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    staff = getattr(request.state, "staff", None)
    context.setdefault("staff", staff)
    context.setdefault("flash", _flash(request, staff.csrf) if staff else None)
    response = templates.TemplateResponse(request, template, context, status_code=status_code)
    if FLASH_COOKIE in request.cookies:
        response.delete_cookie(FLASH_COOKIE, path="/")
    return response


def redirect_saying(request: Request, url: str, message: str) -> RedirectResponse:
    """303 to `url`, whose page then shows `message` once (the staff member of this request only)."""
    response = RedirectResponse(url, status_code=303)
    encoded = base64.urlsafe_b64encode(message.encode()).decode()
    value = f"{encoded}.{_signature(request.state.staff.csrf, encoded)}"
    set_cookie(request, response, FLASH_COOKIE, value, max_age=FLASH_SECONDS)
    return response


def _flash(request: Request, key: str) -> str | None:
    encoded, _, signature = request.cookies.get(FLASH_COOKIE, "").partition(".")
    if not encoded or not hmac.compare_digest(signature, _signature(key, encoded)):
        return None
    try:
        return base64.urlsafe_b64decode(encoded).decode()
    except ValueError:
        return None


def _signature(key: str, encoded: str) -> str:
    return hmac.new(key.encode(), encoded.encode(), hashlib.sha256).hexdigest()


def local_time(request: Request, moment: datetime | None) -> str:
    """A moment in the school's time zone, as people read it."""
    if moment is None:
        return ""
    zone = ZoneInfo(web_state(request).settings.school_timezone)
    return f"{moment.astimezone(zone):%Y-%m-%d %H:%M}"


templates.env.globals["local_time"] = local_time
