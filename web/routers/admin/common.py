"""What the administration pages share: the admin-only dependency and the school's calendar."""

from datetime import date, datetime, time
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import Depends, Request

from web.auth import ADMIN, Staff, allow
from web.state import web_state

Admin = Annotated[Staff, Depends(allow(*ADMIN))]


def zone(request: Request) -> ZoneInfo:
    return ZoneInfo(web_state(request).settings.school_timezone)


def today(request: Request) -> date:
    return web_state(request).today()


def start_of(request: Request, day: date) -> datetime:
    return datetime.combine(day, time(0), zone(request))


def end_of(request: Request, day: date) -> datetime:
    return datetime.combine(day, time(23, 59, 59), zone(request))


def noon_of(request: Request, day: date) -> datetime:
    """A paper form says the day, not the hour: noon of that day in the school's time zone."""
    return datetime.combine(day, time(12), zone(request))
