"""Staff's Unpublish reaches the school's broker from the web app's thread pool, and a browser journey in
which communications takes a copy down and it is gone from the channel's folder (R5)."""

import re
from collections import Counter
from pathlib import Path

from playwright.sync_api import Browser, expect
from sqlalchemy import select

from models.channels import Channel
from models.media import Publication, PublicationState
from tests.web.audiences import clients, csrf_token
from tests.web.database import records
from tests.web.journeys import (
    PROCESSING_SECONDS,
    logged_in,
    published_files,
    wait_for_publication,
    wait_until_checked,
)
from tests.web.school import School
from tests.web.servers import Server
from tests.worker.queued import queued
from tests.worker.workers import wait_for


def test_r5_unpublish_served_in_the_thread_pool_reaches_the_configured_broker(
    seeded_app: tuple[Server, School],
) -> None:
    """The route runs in FastAPI's thread pool; its message was sent to RabbitMQ at amqp://localhost,
    which nobody reads. It arrives in the school's broker (the embedded folder), and the takedown is
    recorded before it, with its reason, so it is never replaced on its own."""
    server, school = seeded_app
    publication_id = _live_copy(server, int(school.ids["media_id"]))
    before = queued(server.settings)
    with clients(server, school) as audience:
        comms = audience["communications"]
        answer = comms.post(f"/publications/{publication_id}/unpublish", data={"csrf_token": csrf_token(comms)})
        assert answer.status_code == 303
        page = comms.get(answer.headers["location"]).text
        assert "takedown queued" in page
    after = queued(server.settings)
    assert Counter(after) - Counter(before) == Counter([("worker.tasks.take_down", (publication_id,))])
    with records(server) as session:
        publication = session.get(Publication, publication_id)
        assert publication.state is PublicationState.TAKEDOWN_PENDING and not publication.replace_when_down
        assert publication.unpublished_reason == "unpublished by staff"
    assert "because: unpublished by staff" in page


def test_r5_communications_unpublishes_a_copy_and_it_is_gone_from_the_channel(
    browser: Browser, demo_app: Server, artifacts: Path
) -> None:
    """Journey: a copy on the protected site; communications clicks Unpublish on the publications page; the
    file leaves the channel's folder, and the page says it was taken down by staff and stays down."""
    media = wait_until_checked(demo_app, "obama_and_biden.jpg")
    page = logged_in(browser, demo_app, "comms")
    page.goto(f"{demo_app.url}/media/{media.id}")
    before = published_files(demo_app, "protected", before=set())
    page.click("text=Publish to Protected parent site")
    copy = wait_for_publication(demo_app, media.id, PublicationState.PUBLISHED, channel="protected")
    [file] = wait_for(lambda: published_files(demo_app, "protected", before), PROCESSING_SECONDS, "the copy")
    page.goto(f"{demo_app.url}/publications")
    page.locator(f'tr[data-publication="{copy.id}"] button:has-text("Unpublish")').click()
    expect(page.locator(".flash")).to_contain_text("takedown queued")
    wait_for(lambda: not file.exists(), PROCESSING_SECONDS, "the copy to leave the channel's folder", interval=0.1)
    wait_for_publication(demo_app, media.id, PublicationState.UNPUBLISHED, channel="protected")
    page.goto(f"{demo_app.url}/publications")
    taken_down = page.locator(f'ul.ended li[data-publication="{copy.id}"]')
    expect(taken_down).to_contain_text(re.compile(r"taken down .*because: unpublished by staff"))
    expect(taken_down).to_contain_text("stays down until someone publishes it again")
    page.screenshot(path=artifacts / "r5-communications-unpublished.png", full_page=True)


def _live_copy(server: Server, media_id: int) -> int:
    """A copy on the public website, as the worker would have recorded it."""
    with records(server) as session:
        publication = Publication(
            media_id=media_id,
            channel=session.scalar(select(Channel).where(Channel.key == "public")),
            rendered_sha256="0" * 64,
            redacted_positions=[],
            published_by="staff:comms",
            state=PublicationState.PUBLISHED,
            external_id="0123456789abcdef.jpg",
            upload_name="0123456789abcdef.jpg",
        )
        session.add(publication)
        session.flush()
        return publication.id
