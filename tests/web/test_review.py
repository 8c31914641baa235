"""The review queue (R11a, R15): every unknown clearly visible face waits for a person; naming the
student by hand, once an administrator approved it, counts exactly like a match, decides the photo's
channels again at once, and keeps counting when face matching is switched off. A review cannot
publish a child without consent: claims wait for a second person, one student is one face of a
photo, reviewers see only the candidates' reference photos. Video faces have pictures too."""

import io
import itertools
from datetime import date
from pathlib import Path

import av
import httpx
import numpy as np
from PIL import Image
from sqlalchemy import select

from mediacheck.check import PhotoChecker
from models.audit import AuditEvent
from models.channels import Channel
from models.decision_service import current_decisions
from models.media import ChannelDecision, ClaimState, DetectedFace, Media, ReviewClaim
from tests.video_clips import stage_clip
from tests.web.audiences import clients, csrf_token
from tests.web.database import records
from tests.web.review_faces import checked_file, checked_photo, set_match
from tests.web.school import School
from tests.web.servers import Server


def test_r11a_a_face_tagged_by_hand_counts_like_a_match_once_approved_and_with_matching_off(
    seeded_app: tuple[Server, School],
) -> None:
    server, school = seeded_app
    media_id = school.ids["media_id"]
    with records(server) as session:
        faces = session.scalars(
            select(DetectedFace.id).where(DetectedFace.media_id == int(media_id), DetectedFace.clearly_visible)
        ).all()
    with clients(server, school) as audience:
        reviewer, comms, admin = audience["reviewer"], audience["communications"], audience["admin"]
        assert set(faces) <= set(reviewer.get("/api/review/queue").json()["face_ids"]), "unknown faces wait (R15)"
        before = comms.get(f"/api/media/{media_id}/channels").json()
        tagged = faces[0]
        answer = reviewer.post(
            f"/review/faces/{tagged}",
            data={
                "resolution": "other_student",
                "student_id": school.ids["student_id"],
                "csrf_token": csrf_token(reviewer),
            },
        )
        assert answer.status_code == 303 and "administrator" in reviewer.get(answer.headers["location"]).text
        claimed = comms.get(f"/api/media/{media_id}/channels").json()
        assert claimed["public"]["faces_redacted"] == before["public"]["faces_redacted"], "a claim waits (R15)"
        approved = admin.post(f"/review/claims/{_pending_claim(server, tagged)}/approve", data=_csrf(admin))
        assert approved.status_code == 303 and "decided again" in admin.get(approved.headers["location"]).text
        after = comms.get(f"/api/media/{media_id}/channels").json()
        assert after["public"]["faces_redacted"] == before["public"]["faces_redacted"] - 1, "Sanne consented to public"
        assert after["protected"] == before["protected"], "but not to the protected site"
        assert tagged not in reviewer.get("/api/review/queue").json()["face_ids"]
        assert _stored_redactions(server, int(media_id), "public") == after["public"]["faces_redacted"]
        _switch_face_matching_off(admin)
        assert comms.get(f"/api/media/{media_id}/channels").json() == after, "a tag is not face matching (R11a)"


def _stored_redactions(server: Server, media_id: int, channel: str) -> int:
    with records(server) as session:
        decision = session.scalar(
            select(ChannelDecision).join(Channel).where(ChannelDecision.media_id == media_id, Channel.key == channel)
        )
        return len(decision.redact)


def _switch_face_matching_off(admin: httpx.Client) -> None:
    form = {
        "protected_unconsented": "redact",
        "public_unconsented": "redact",
        "facebook_unconsented": "redact",
        "facebook_block_when_subject": "on",
        "approved_by": "participation council, minutes 12 §3",
        "approved_on": date.today().isoformat(),
        "csrf_token": csrf_token(admin),
    }
    answer = admin.post("/admin/policy", data=form)
    assert answer.status_code == 303 and "adopted" in admin.get(answer.headers["location"]).text


# --- a review cannot publish a child without consent (R11a, R15) ------------------------------


def test_r15_overruling_a_confident_match_is_a_claim_that_counts_only_once_an_administrator_approves(
    seeded_app: tuple[Server, School], web_checker: PhotoChecker, tmp_path: Path
) -> None:
    """A face matched with distance 0.05 to Noor (no consent) tagged as Sanne (public consent) stays
    hidden until an administrator, not the reviewer, approves; both names go into the register."""
    server, school = seeded_app
    media_id, faces = checked_photo(server, web_checker, tmp_path, "obama_and_biden.jpg")
    set_match(server, faces[0], "1003", matched=True)
    with clients(server, school) as audience:
        reviewer, admin = audience["reviewer"], audience["admin"]
        answer = _answer(reviewer, faces[0], "other_student", school.ids["student_id"])
        assert answer.status_code == 303 and "administrator" in reviewer.get(answer.headers["location"]).text
        assert faces[0] in _hidden(server, media_id, "public"), "a claim alone publishes nobody (R15)"
        claim_id = _pending_claim(server, faces[0])
        assert reviewer.post(f"/review/claims/{claim_id}/approve", data=_csrf(reviewer)).status_code == 403
        claimed_reference = f"/review/faces/{faces[0]}/references/{school.ids['reference_id']}"
        assert claimed_reference in admin.get("/review", headers=HTML).text, "the administrator compares"
        assert admin.get(claimed_reference).status_code == 200
        assert reviewer.get(claimed_reference).status_code == 404, "Sanne is no candidate of the matcher's"
        approved = admin.post(f"/review/claims/{claim_id}/approve", data=_csrf(admin))
        assert approved.status_code == 303, approved.text
    assert faces[0] not in _hidden(server, media_id, "public"), "approved, the claim counts like a match (R11a)"
    assert _register(server, "review_claim", claim_id) == {
        ("face.claim", "reviewer"),
        ("face.claim_approved", "admin"),
    }


def test_r15_an_administrator_cannot_approve_their_own_claim(
    seeded_app: tuple[Server, School], web_checker: PhotoChecker, tmp_path: Path
) -> None:
    server, school = seeded_app
    media_id, faces = checked_photo(server, web_checker, tmp_path, "obama_and_biden.jpg")
    with clients(server, school) as audience:
        admin = audience["admin"]
        assert _answer(admin, faces[1], "other_student", school.ids["student_id"]).status_code == 303
        claim_id = _pending_claim(server, faces[1])
        refused = admin.post(f"/review/claims/{claim_id}/approve", data=_csrf(admin), headers=HTML)
        assert refused.status_code == 400 and "another administrator" in refused.text
    assert faces[1] in _hidden(server, media_id, "public")


def test_r15_one_student_cannot_be_two_faces_of_the_same_photo(
    seeded_app: tuple[Server, School], web_checker: PhotoChecker, tmp_path: Path
) -> None:
    """Face 1 is Sanne, confirmed; face 2, unsure with Sanne as candidate, cannot be confirmed as her too."""
    server, school = seeded_app
    media_id, faces = checked_photo(server, web_checker, tmp_path, "obama_and_biden.jpg")
    set_match(server, faces[0], "1001", matched=False)
    set_match(server, faces[1], "1001", matched=False)
    with clients(server, school) as audience:
        reviewer = audience["reviewer"]
        assert _answer(reviewer, faces[0], "confirm").status_code == 303
        for resolution in ("confirm", "other_student"):
            refused = _answer(reviewer, faces[1], resolution, school.ids["student_id"], headers=HTML)
            assert refused.status_code == 400, refused.text
            assert "cannot be two faces of the same photo" in refused.text
    hidden = _hidden(server, media_id, "public")
    assert faces[1] in hidden and faces[0] not in hidden, "Sanne shows once; the other face stays hidden"


def test_r15_not_a_face_is_said_in_words_and_still_hidden(
    seeded_app: tuple[Server, School], web_checker: PhotoChecker, tmp_path: Path
) -> None:
    """One person saying "not a face" cannot publish a face: it leaves the queue but stays hidden."""
    server, school = seeded_app
    media_id, faces = checked_photo(server, web_checker, tmp_path, "obama_and_biden.jpg")
    with clients(server, school) as audience:
        reviewer = audience["reviewer"]
        assert _answer(reviewer, faces[0], "not_a_face").status_code == 303
        assert faces[0] not in reviewer.get("/api/review/queue").json()["face_ids"]
        page = audience["communications"].get(f"/media/{media_id}", headers=HTML).text
    assert "not a face" in page and "rejected" not in page
    assert faces[0] in _hidden(server, media_id, "public")


def test_r9_reviewers_see_reference_photos_of_the_faces_candidates_only(
    seeded_app: tuple[Server, School], web_checker: PhotoChecker, tmp_path: Path
) -> None:
    server, school = seeded_app
    _, faces = checked_photo(server, web_checker, tmp_path, "obama_and_biden.jpg")
    set_match(server, faces[0], "1001", matched=False)
    reference, student = school.ids["reference_id"], school.ids["student_id"]
    with clients(server, school) as audience:
        reviewer = audience["reviewer"]
        shown = reviewer.get(f"/review/faces/{faces[0]}/references/{reference}")
        assert shown.status_code == 200 and shown.headers["content-type"].startswith("image/")
        assert reviewer.get(f"/review/faces/{faces[1]}/references/{reference}").status_code == 404
        assert reviewer.get(f"/review/students/{student}/references/{reference}").status_code == 404


# --- face pictures of video faces ----------------------------------------------------------------


def test_a_video_faces_picture_is_cut_from_the_frame_it_was_seen_at(
    seeded_app: tuple[Server, School], web_checker: PhotoChecker, tmp_path: Path
) -> None:
    server, school = seeded_app
    clip = stage_clip(tmp_path / "clip.mp4", sound=None)
    _, faces = checked_file(server, web_checker, tmp_path, clip.path)
    assert faces, "the staged clip has faces"
    with clients(server, school) as audience:
        pictures = [audience["reviewer"].get(f"/review/faces/{face}/crop") for face in faces]
    for face_id, picture in zip(faces, pictures, strict=True):
        assert picture.status_code == 200 and picture.headers["content-type"] == "image/jpeg"
        expected = _frame_region(server, face_id)
        shown = np.asarray(Image.open(io.BytesIO(picture.content)).convert("RGB").resize(expected.size), float)
        assert np.abs(shown - np.asarray(expected, float)).mean() < 12, "the face as it was in its frame"


HTML = {"Accept": "text/html"}


def _answer(
    client: httpx.Client, face_id: int, resolution: str, student_id: str | None = None, headers: dict | None = None
) -> httpx.Response:
    form = {"resolution": resolution, **_csrf(client)} | ({"student_id": student_id} if student_id else {})
    return client.post(f"/review/faces/{face_id}", data=form, headers=headers)


def _csrf(client: httpx.Client) -> dict[str, str]:
    return {"csrf_token": csrf_token(client)}


def _hidden(server: Server, media_id: int, channel: str) -> set[int]:
    """Ids of the faces the channel's decision made now hides."""
    with records(server) as session:
        media = session.get(Media, media_id)
        positions = current_decisions(session, media)[channel].redact
        return {face.id for face in media.faces if face.position in positions}


def _pending_claim(server: Server, face_id: int) -> int:
    with records(server) as session:
        return session.scalar(
            select(ReviewClaim.id).where(ReviewClaim.face_id == face_id, ReviewClaim.state == ClaimState.PENDING)
        )


def _register(server: Server, object_type: str, object_id: int) -> set[tuple[str, str]]:
    with records(server) as session:
        rows = session.execute(
            select(AuditEvent.action, AuditEvent.actor_id).where(
                AuditEvent.object_type == object_type, AuditEvent.object_id == str(object_id)
            )
        )
        return {(action, actor) for action, actor in rows}


def _frame_region(server: Server, face_id: int) -> Image.Image:
    """The face's box with the review screen's margin, from the stored clip's frame at the face's time."""
    with records(server) as session:
        face = session.get(DetectedFace, face_id)
        box, at, video = (face.left, face.top, face.right, face.bottom), face.frame_ms, face.media.storage_path
    with av.open(video) as container:
        wanted = round(at * float(container.streams.video[0].average_rate) / 1000)
        frame = next(itertools.islice(container.decode(video=0), wanted, None)).to_image()
    left, top, right, bottom = box
    margin = int(max(right - left, bottom - top) * 0.35)
    region = frame.crop((left - margin, top - margin, right + margin, bottom + margin))
    region.thumbnail((240, 240))
    return region
