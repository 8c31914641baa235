"""The publications page (R5): a takedown the worker cannot finish (the channel never confirmed the
copy, so there is no id to remove) is listed with the file to look for, and staff record that they
removed it by hand; the register says who did."""

from sqlalchemy import select

from models.audit import AuditEvent
from models.channels import Channel
from models.media import Publication, PublicationState
from tests.web.audiences import clients, csrf_token
from tests.web.database import records
from tests.web.school import School
from tests.web.servers import Server


def test_r5_staff_record_a_copy_they_removed_by_hand(seeded_app: tuple[Server, School]) -> None:
    server, school = seeded_app
    publication_id = _stuck_takedown(server, int(school.ids["media_id"]))
    with clients(server, school) as audience:
        comms = audience["communications"]
        page = comms.get("/publications").text
        assert "a1b2c3d4e5f60718.jpg" in page and f"/publications/{publication_id}/removed-by-hand" in page
        answer = comms.post(f"/publications/{publication_id}/removed-by-hand", data={"csrf_token": csrf_token(comms)})
        assert answer.status_code == 303 and "removed by hand" in comms.get(answer.headers["location"]).text
        assert "removed-by-hand" not in comms.get("/publications").text
        again = comms.post(f"/publications/{publication_id}/removed-by-hand", data={"csrf_token": csrf_token(comms)})
        assert again.status_code >= 400 and "not waiting to come down" in again.text
    with records(server) as session:
        assert session.get(Publication, publication_id).state is PublicationState.UNPUBLISHED
        event = session.scalar(
            select(AuditEvent).where(
                AuditEvent.action == "publication.unpublish", AuditEvent.object_id == str(publication_id)
            )
        )
        assert event.detail["by_hand"] and event.actor_id == "communications"


def _stuck_takedown(server: Server, media_id: int) -> int:
    """A copy withdrawn while the channel timed out on its upload: down only once a person says so."""
    with records(server) as session:
        channel = session.scalar(select(Channel).where(Channel.key == "facebook"))
        publication = Publication(
            media_id=media_id,
            channel=channel,
            rendered_sha256="0" * 64,
            redacted_positions=[],
            published_by="staff:comms",
            state=PublicationState.TAKEDOWN_PENDING,
            upload_name="a1b2c3d4e5f60718.jpg",
            unpublished_reason="consent withdrawn",
            attempts=1,
            last_error="the channel never confirmed this copy: remove a1b2c3d4e5f60718.jpg by hand",
        )
        session.add(publication)
        session.flush()
        return publication.id
