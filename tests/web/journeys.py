"""Steps the browser journeys share: logging in to the demo app as one of its accounts, and
waiting for the worker to check a file or finish a publication."""

import re
from pathlib import Path

from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from models.channels import Channel
from models.database import make_engine, session_factory
from models.media import Media, Publication, PublicationState
from tests.web.servers import ADMIN_PASSWORD, Server
from tests.worker.workers import wait_for

LAPTOP = {"width": 1366, "height": 860}
PROCESSING_SECONDS = 300
"""Generous: the worker checks the demo album and these uploads one file at a time on a busy machine."""


def logged_in(browser: Browser, server: Server, username: str) -> Page:
    page = browser.new_context(viewport=LAPTOP).new_page()
    page.set_default_timeout(30_000)
    page.goto(f"{server.url}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password(server, username))
    page.click("button[type=submit]")
    expect(page.locator(".who")).to_contain_text(username if username != "comms" else "communications")
    return page


def password(server: Server, username: str) -> str:
    if username == "admin":
        return ADMIN_PASSWORD
    return re.search(rf"demo account '{username}', password: (\S+)", server.output())[1]


def demo_link(server: Server) -> str:
    return re.search(r"a parent's consent link: (\S+)", server.output())[1]


def records_session(server: Server) -> Session:
    engine = make_engine(server.settings.database_url)
    return session_factory(server.settings, engine)()


def wait_until_checked(server: Server, filename: str) -> Media:
    def checked() -> Media | None:
        with records_session(server) as session:
            media = session.scalar(select(Media).where(Media.filename == filename).order_by(Media.id).limit(1))
            return media if media is not None and media.checked_at is not None else None

    return wait_for(checked, PROCESSING_SECONDS, f"{filename} to be checked", interval=0.5)


def wait_for_publication(
    server: Server, media_id: int, state: PublicationState, replaces: int | None = None, channel: str | None = None
) -> Publication:
    def found() -> Publication | None:
        with records_session(server) as session:
            query = select(Publication).where(Publication.media_id == media_id, Publication.state == state)
            if replaces is not None:
                query = query.where(Publication.replaces_id == replaces)
            if channel is not None:
                query = query.join(Channel).where(Channel.key == channel)
            return session.scalar(query.order_by(Publication.id.desc()).limit(1))

    return wait_for(found, PROCESSING_SECONDS, f"a {state.value} publication of media {media_id}", interval=0.5)


def published_files(server: Server, channel: str, before: set[Path]) -> set[Path]:
    folder = server.settings.data_dir / "published" / channel
    return {p for p in folder.glob("*") if not p.name.startswith(".")} - before if folder.exists() else set()
