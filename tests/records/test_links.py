"""Personal consent links: secret, revocable, one student per link, the right holder, repeatable (R6, R8, R14)."""

from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from models import link_service
from models.base import utcnow
from models.consent import ConsentEvent, ConsentMeans, DeciderRole
from models.consent_service import ConsentRefused
from models.consent_state import consent_states
from models.database import settings_of
from models.errors import NotFound
from models.links import ConsentLink
from tests.records.builders import STAFF, count, import_school, moment, stored_values

NEXT_YEAR = utcnow() + timedelta(days=365)


def token(url: str) -> str:
    return url.rsplit("/", 1)[1]


def test_r6_links_go_to_each_guardian_under_16_and_to_the_student_from_16(session: Session) -> None:
    students = import_school(session)
    issued = link_service.issue_links(session, STAFF, NEXT_YEAR)
    holders = sorted((i.student.student_number, i.link.holder_role.value, i.holder_email) for i in issued)
    assert holders == [
        ("1001", "guardian", "jan@example.org"),
        ("1001", "guardian", "petra@example.org"),
        ("1002", "student", "daan@example.org"),
        ("1003", "guardian", "ali@example.org"),
    ]
    assert all(i.url.startswith("http://localhost:8000/consent/") for i in issued)
    assert {i.student.pseudonym for i in issued} == {s.pseudonym for s in students.values()}


def test_r8_only_a_hash_of_the_token_is_stored_and_the_token_opens_one_student(session: Session) -> None:
    students = import_school(session)
    issued = link_service.issue_links(session, STAFF, NEXT_YEAR, group="7B")
    session.commit()
    assert len(issued) == 2
    secrets = [token(i.url) for i in issued]
    stored = " ".join(str(value) for _, _, value in stored_values(session))
    assert not any(secret in stored for secret in secrets)
    assert link_service.resolve(session, secrets[0]).student.pseudonym == students["1001"].pseudonym
    with pytest.raises(NotFound):
        link_service.resolve(session, secrets[0][:-1] + ("A" if secrets[0][-1] != "A" else "B"))


def test_r8_a_database_copy_without_the_link_key_opens_no_link(session: Session) -> None:
    import_school(session)
    issued = link_service.issue_links(session, STAFF, NEXT_YEAR, group="6A")[0]
    guessed = link_service.link_token(b"another key", issued.link.nonce)
    with pytest.raises(NotFound):
        link_service.resolve(session, guessed)
    assert link_service.link_token(settings_of(session).link_key_bytes(), issued.link.nonce) == token(issued.url)


def test_r14_a_reminder_repeats_the_same_personal_link(session: Session) -> None:
    import_school(session)
    first = {i.link.id: i.url for i in link_service.issue_links(session, STAFF, NEXT_YEAR)}
    links = count(session, ConsentLink)
    again = {i.link.id: i.url for i in link_service.issue_links(session, STAFF, NEXT_YEAR)}
    assert again == first and count(session, ConsentLink) == links


def test_r8_revoked_and_expired_links_open_nothing_and_are_replaced(session: Session) -> None:
    students = import_school(session)
    issued = link_service.issue_links(session, STAFF, NEXT_YEAR, group="6A")[0]
    with pytest.raises(NotFound):
        link_service.resolve(session, token(issued.url), at=NEXT_YEAR)
    assert link_service.revoke_links(session, students["1003"], STAFF) == 1
    with pytest.raises(NotFound):
        link_service.resolve(session, token(issued.url))
    renewed = link_service.issue_links(session, STAFF, NEXT_YEAR, group="6A")[0]
    assert renewed.url != issued.url and link_service.resolve(session, token(renewed.url)).id == renewed.link.id


def test_r4_consent_through_a_link_records_the_holder_and_the_link(session: Session) -> None:
    sanne = import_school(session)["1001"]
    issued = next(i for i in link_service.issue_links(session, STAFF, NEXT_YEAR) if i.holder_email == "jan@example.org")
    event = link_service.decide_via_link(session, token(issued.url), "protected", granted=True, language="en")
    session.commit()
    assert (event.means, event.consent_link_id, event.recorded_by) == (ConsentMeans.LINK, issued.link.id, None)
    assert (event.decided_by_role, event.decided_by_guardian.email) == (DeciderRole.GUARDIAN, "jan@example.org")
    link_service.decide_via_link(session, token(issued.url), "protected", granted=False)
    states = {s.purpose: s.granted for s in consent_states(session, sanne, utcnow())}
    assert states["protected"] is False and count(session, ConsentEvent) == 2


def test_r6_a_guardian_link_stops_deciding_on_the_16th_birthday(session: Session) -> None:
    """Daan turns 16 on 2025-03-04: his mother's link worked the day before, not on the day."""
    import_school(session)
    issued = link_service.issue_links(session, STAFF, NEXT_YEAR, at=moment("2025-01-10"))
    mother = next(i for i in issued if i.student.student_number == "1002")
    assert mother.link.holder_role is DeciderRole.GUARDIAN
    link_service.decide_via_link(session, token(mother.url), "public", True, at=moment("2025-03-03T12:00"))
    with pytest.raises(ConsentRefused, match="only the student decides"):
        link_service.decide_via_link(session, token(mother.url), "public", False, at=moment("2025-03-04T12:00"))
