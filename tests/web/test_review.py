"""The review queue (R11a, R15): every unknown clearly visible face waits for a person; naming the
student by hand counts exactly like a match, decides the photo's channels again at once, and keeps
counting when face matching is switched off."""

from datetime import date

import httpx
from sqlalchemy import select

from models.channels import Channel
from models.media import ChannelDecision, DetectedFace
from tests.web.audiences import clients, csrf_token
from tests.web.database import records
from tests.web.school import School
from tests.web.servers import Server


def test_r11a_a_face_tagged_by_hand_counts_like_a_match_at_once_and_with_matching_off(
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
        assert answer.status_code == 303 and "decided again" in reviewer.get(answer.headers["location"]).text
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
