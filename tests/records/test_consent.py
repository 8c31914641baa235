"""Consent per purpose: default no, provable, withdrawable, decided by the right person, expiring."""

from datetime import date, timedelta

import pytest
from sqlalchemy.orm import Session

from models import consent_service, policy_service
from models.audit import AuditEvent
from models.base import utcnow
from models.consent import ConsentEvent, ConsentMeans, DeciderRole
from models.consent_service import ConsentRefused, Decider, current_consents
from models.consent_state import consent_states
from models.school import Student
from tests.records.builders import STAFF, count, import_school, moment


def guardian(student: Student, email: str) -> Decider:
    return Decider.of_guardian(next(g.guardian for g in student.guardianships if g.guardian.email == email))


def answers(session: Session, student: Student, at=None) -> dict[str, bool]:
    return {state.purpose: state.granted for state in consent_states(session, student, at or utcnow())}


def test_r3_no_answer_is_no(session: Session) -> None:
    students = import_school(session)
    states = consent_states(session, students["1001"], utcnow())
    assert [(s.purpose, s.granted, s.event) for s in states] == [
        ("protected", False, None),
        ("public", False, None),
        ("facebook", False, None),
        ("face-matching", False, None),
    ]
    assert current_consents(session, utcnow()) == frozenset()


def test_r2_consent_for_one_channel_never_counts_for_another(session: Session) -> None:
    sanne = import_school(session)["1001"]
    consent_service.grant(session, sanne, "protected", guardian(sanne, "petra@example.org"), ConsentMeans.PAPER, STAFF)
    session.commit()
    assert answers(session, sanne) == {"protected": True, "public": False, "facebook": False, "face-matching": False}
    assert current_consents(session, utcnow()) == {(sanne.pseudonym, "protected")}


def test_r4_every_event_names_who_in_what_role_when_how_and_the_text_shown(session: Session) -> None:
    sanne = import_school(session)["1001"]
    signed = moment("2025-09-10T12:00:00+02:00")
    event = consent_service.grant(
        session,
        sanne,
        "public",
        guardian(sanne, "jan@example.org"),
        ConsentMeans.PAPER,
        STAFF,
        at=signed,
        language="en",
    )
    session.commit()
    session.expire_all()
    stored = session.get(ConsentEvent, event.id)
    assert stored.decided_by_role is DeciderRole.GUARDIAN
    assert stored.decided_by_guardian.email == "jan@example.org"
    assert (stored.means, stored.recorded_by) == (ConsentMeans.PAPER, "staff:test-admin")
    assert stored.at == signed and stored.recorded_at >= signed
    assert (stored.consent_text.purpose, stored.consent_text.language, stored.consent_text.version) == (
        "public",
        "en",
        1,
    )
    assert stored.consent_text.body.startswith("I consent to photos and videos")


def test_r4_r5_withdrawal_adds_an_event_and_leaves_the_grant_untouched(session: Session) -> None:
    sanne = import_school(session)["1001"]
    petra = guardian(sanne, "petra@example.org")
    given = consent_service.grant(session, sanne, "facebook", petra, ConsentMeans.ADMIN, STAFF, at=moment("2025-09-02"))
    session.commit()
    snapshot = {c.key: getattr(given, c.key) for c in ConsentEvent.__table__.columns}
    consent_service.withdraw(session, sanne, "facebook", petra, ConsentMeans.ADMIN, STAFF)
    session.commit()
    session.expire_all()
    events = session.query(ConsentEvent).order_by(ConsentEvent.id).all()
    assert [e.granted for e in events] == [True, False]
    assert {c.key: getattr(events[0], c.key) for c in ConsentEvent.__table__.columns} == snapshot
    assert answers(session, sanne)["facebook"] is False
    assert answers(session, sanne, moment("2025-09-03"))["facebook"] is True, "the past stays provable"


def test_r6_parent_cannot_change_consent_on_16th_birthday_the_student_can(session: Session) -> None:
    daan = import_school(session)["1002"]  # born 2009-03-04
    birthday_morning = moment("2025-03-04T08:00:00+01:00")
    with pytest.raises(ConsentRefused, match=r"since the 16th birthday on 2025-03-04 only the student decides \(R6\)"):
        consent_service.grant(
            session, daan, "public", guardian(daan, "petra@example.org"), ConsentMeans.PAPER, STAFF, at=birthday_morning
        )
    consent_service.grant(session, daan, "public", Decider.student(), ConsentMeans.PAPER, STAFF, at=birthday_morning)
    session.commit()
    assert answers(session, daan)["public"] is True


def test_r6_before_the_16th_birthday_the_parent_decides_not_the_student(session: Session) -> None:
    daan = import_school(session)["1002"]
    evening_before = moment("2025-03-03T23:30:00+01:00")
    with pytest.raises(ConsentRefused, match="until the 16th birthday on 2025-03-04 the guardians decide"):
        consent_service.grant(session, daan, "public", Decider.student(), ConsentMeans.PAPER, STAFF, at=evening_before)
    petra = guardian(daan, "petra@example.org")
    consent_service.grant(session, daan, "public", petra, ConsentMeans.PAPER, STAFF, at=evening_before)


def test_r6_the_day_of_the_act_is_the_schools_calendar_day(session: Session) -> None:
    """23:30 UTC on 3 March is already the 16th birthday in Amsterdam."""
    daan = import_school(session)["1002"]
    petra = guardian(daan, "petra@example.org")
    with pytest.raises(ConsentRefused, match="R6"):
        consent_service.grant(session, daan, "public", petra, ConsentMeans.PAPER, STAFF, at=moment("2025-03-03T23:30"))


def test_r6_parent_consent_stays_valid_after_16_until_the_student_changes_it(session: Session) -> None:
    daan = import_school(session)["1002"]
    petra = guardian(daan, "petra@example.org")
    consent_service.grant(session, daan, "protected", petra, ConsentMeans.PAPER, STAFF, at=moment("2025-01-15"))
    session.commit()
    assert answers(session, daan, moment("2025-06-01"))["protected"] is True
    with pytest.raises(ConsentRefused):
        consent_service.withdraw(session, daan, "protected", petra, ConsentMeans.PAPER, STAFF)
    consent_service.withdraw(session, daan, "protected", Decider.student(), ConsentMeans.ADMIN, STAFF)
    session.commit()
    assert answers(session, daan)["protected"] is False


def test_r6_only_a_guardian_of_this_student_decides(session: Session) -> None:
    students = import_school(session)
    ali = guardian(students["1003"], "ali@example.org")
    with pytest.raises(ConsentRefused, match="only a guardian of this student"):
        consent_service.grant(session, students["1001"], "public", ali, ConsentMeans.PAPER, STAFF)


def test_r14_an_expired_consent_is_no(session: Session) -> None:
    sanne = import_school(session)["1001"]
    given, expires = moment("2025-09-02"), moment("2026-08-01T00:00:00+02:00")
    consent_service.grant(
        session,
        sanne,
        "public",
        guardian(sanne, "petra@example.org"),
        ConsentMeans.PAPER,
        STAFF,
        at=given,
        expires_at=expires,
    )
    session.commit()
    assert answers(session, sanne, expires - timedelta(seconds=1))["public"] is True
    state = next(s for s in consent_states(session, sanne, expires) if s.purpose == "public")
    assert (state.granted, state.expired) == (False, True)
    assert current_consents(session, expires) == frozenset()


def test_r14_the_policy_sets_the_expiry_of_every_new_consent(session: Session) -> None:
    sanne = import_school(session)["1001"]
    channels = [{"name": key} for key in ("protected", "public", "facebook")]
    expiry = (utcnow() + timedelta(days=30)).replace(microsecond=0)
    policy_service.adopt_policy(
        session,
        {"channels": channels, "consent_expires_at": expiry.isoformat()},
        "MR 2025-09-12 §4",
        date.today(),
        STAFF,
    )
    event = consent_service.grant(
        session, sanne, "public", guardian(sanne, "petra@example.org"), ConsentMeans.PAPER, STAFF
    )
    assert event.expires_at == expiry
    assert answers(session, sanne, expiry)["public"] is False


def test_r4_r9_a_change_and_its_audit_row_are_stored_together_or_not_at_all(session: Session) -> None:
    sanne = import_school(session)["1001"]
    audit_rows = count(session, AuditEvent)
    consent_service.grant(session, sanne, "public", guardian(sanne, "petra@example.org"), ConsentMeans.PAPER, STAFF)
    session.rollback()
    assert (count(session, ConsentEvent), count(session, AuditEvent)) == (0, audit_rows)
    consent_service.grant(session, sanne, "public", guardian(sanne, "petra@example.org"), ConsentMeans.PAPER, STAFF)
    session.commit()
    assert (count(session, ConsentEvent), count(session, AuditEvent)) == (1, audit_rows + 1)


def test_a_decision_cannot_be_dated_in_the_future(session: Session) -> None:
    sanne = import_school(session)["1001"]
    with pytest.raises(ConsentRefused, match="future"):
        consent_service.grant(
            session,
            sanne,
            "public",
            guardian(sanne, "petra@example.org"),
            ConsentMeans.PAPER,
            STAFF,
            at=utcnow() + timedelta(days=1),
        )


def test_unknown_purpose_is_refused(session: Session) -> None:
    sanne = import_school(session)["1001"]
    with pytest.raises(ConsentRefused, match="no purpose 'instagram'"):
        consent_service.grant(
            session, sanne, "instagram", guardian(sanne, "petra@example.org"), ConsentMeans.PAPER, STAFF
        )
