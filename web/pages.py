"""Render a page: the template, the logged-in staff member (if any) and the local time format."""

from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from web.state import web_state

templates = Jinja2Templates(directory=Path(__file__).with_name("templates"))


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    context.setdefault("staff", getattr(request.state, "staff", None))
    context.setdefault("flash", request.query_params.get("done"))
    return templates.TemplateResponse(request, template, context, status_code=status_code)


def local_time(request: Request, moment: datetime | None) -> str:
    """A moment in the school's time zone, as people read it."""
    if moment is None:
        return ""
    zone = ZoneInfo(web_state(request).settings.school_timezone)
    return f"{moment.astimezone(zone):%Y-%m-%d %H:%M}"


templates.env.globals["local_time"] = local_time
