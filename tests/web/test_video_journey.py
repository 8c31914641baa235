"""A teacher uploads a 30-second 1080p phone video of the musical; the page shows how far the check
is; communications publishes it on every channel that may show it; each copy hides the face
tracks the rules say, in every frame, keeps the sound, and carries no name (R1, R2, R10).

Runs in Debian's chromium against `mediacheck serve --demo` with its worker, like the journeys."""

import re
from pathlib import Path

import av
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from mediacheck.video import load_tracks
from models.decision_service import current_decisions
from models.media import DetectedFace, Media, PublicationState, ReviewState
from models.processing_service import tracks_file
from tests.video_clips import expect_same_frames_and_sound, phone_video, slips
from tests.web.journeys import (
    PROCESSING_SECONDS,
    logged_in,
    published_files,
    records_session,
    wait_for_publication,
    wait_until_checked,
)
from tests.web.servers import Server
from tests.worker.workers import wait_for

NAME = "musical-night.mp4"
EVERY = 15
"""Frames between two that are searched for faces that should not show (tests/test_video.py searches
every frame of shorter clips)."""


def test_r1_r2_r10_a_30_second_1080p_phone_video_goes_out_redacted_per_channel_with_its_sound(
    browser: Browser, demo_app: Server, artifacts: Path, tmp_path: Path
) -> None:
    video = phone_video(tmp_path / NAME)
    teacher = logged_in(browser, demo_app, "teacher")
    _upload(teacher, demo_app, video, artifacts)
    media = wait_until_checked(demo_app, NAME)
    _review_every_unsure_face(logged_in(browser, demo_app, "reviewer"), demo_app, media.id, artifacts)
    comms = logged_in(browser, demo_app, "comms")
    comms.goto(f"{demo_app.url}/media/{media.id}")
    comms.screenshot(path=artifacts / "e3-communications-video-previews.png", full_page=True)
    decisions = _decisions(demo_app, media.id)
    allowed = [key for key, decision in decisions.items() if decision.may_go_out]
    assert allowed, f"the sample clip may go out somewhere: {decisions}"
    queued = {key: _publish(comms, demo_app, media.id, key) for key in allowed}  # the worker writes them side by side
    tracks = load_tracks(tracks_file(Path(media.storage_path)))
    for key, before in queued.items():
        publication = wait_for_publication(demo_app, media.id, PublicationState.PUBLISHED, channel=key)
        [copy] = _new_copy(demo_app, key, before)
        assert NAME not in copy.name and copy.suffix == ".mp4", "a pseudonymous name (R10)"
        expect_same_frames_and_sound(video, copy)
        assert publication.redacted_positions == sorted(decisions[key].redact)
        shown = [t for i, t in enumerate(tracks) if i not in decisions[key].redact]
        may_show = {frame: [b for b in (t.box_at(frame) for t in shown) if b] for frame in range(media_frames(video))}
        assert slips(video, copy, may_show, every=EVERY) == [], f"a face without consent shows on {key}"


def _publish(page: Page, server: Server, media_id: int, channel: str) -> set[Path]:
    """Press "Publish" on the video's page; returns the channel's files before."""
    before = published_files(server, channel, before=set())
    page.goto(f"{server.url}/media/{media_id}")
    expect(page.locator(f'.preview[data-channel="{channel}"] img')).to_be_visible()
    page.locator(f'.preview[data-channel="{channel}"] button').click()
    expect(page.locator(".flash")).to_contain_text(f"1 queued for publication on {channel}")
    return before


def _upload(page: Page, server: Server, video: Path, artifacts: Path) -> None:
    """The per-file progress shows the share of frames checked while the worker is on the video."""
    page.goto(f"{server.url}/albums")
    page.fill("input[name=name]", "Musical night (video)")
    page.click("text=Create album")
    page.wait_for_url(re.compile(r"/albums/\d+$"))
    page.set_input_files("#picker", [video])
    state = page.locator("#album-files td.state-processing")
    expect(state).to_contain_text(re.compile(r"\d+%"), timeout=PROCESSING_SECONDS * 1000)
    page.screenshot(path=artifacts / "e1-teacher-video-progress.png", full_page=True)
    expect(page.locator("#album-files td.state-checked")).to_have_count(1, timeout=PROCESSING_SECONDS * 1000)


def _review_every_unsure_face(page: Page, server: Server, media_id: int, artifacts: Path) -> None:
    """The matcher was unsure about some tracks (R15): until a person says who it is, the video
    needs review everywhere. The reviewer answers "unknown person" (no consent, so hidden)."""
    page.goto(f"{server.url}/review")
    page.screenshot(path=artifacts / "e2-reviewer-video-faces.png", full_page=True)
    token = page.locator("input[name=csrf_token]").first.get_attribute("value")
    with records_session(server) as session:
        waiting = session.scalars(
            select(DetectedFace.id).where(
                DetectedFace.media_id == media_id, DetectedFace.review_state == ReviewState.PENDING
            )
        ).all()
    for face_id in waiting:
        answer = page.request.post(
            f"{server.url}/review/faces/{face_id}",
            form={"resolution": "unknown_person", "csrf_token": token},
            max_redirects=0,
        )
        assert answer.status == 303, answer.text()


def _new_copy(server: Server, channel: str, before: set[Path]) -> set[Path]:
    return wait_for(lambda: published_files(server, channel, before), PROCESSING_SECONDS, f"the {channel} copy")


def _decisions(server: Server, media_id: int) -> dict:
    with records_session(server) as session:
        return current_decisions(session, session.get(Media, media_id))


def media_frames(video: Path) -> int:
    with av.open(str(video)) as container:
        return container.streams.video[0].frames
