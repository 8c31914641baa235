"""Staff login (R8): argon2 passwords, wrong ones slowed down without a lock anyone can hand out,
server-side sessions in HttpOnly, SameSite cookies (Secure off this machine), password change and
reset that end the other sessions, and a logout that ends one session or all of them."""

from sqlalchemy import select

from models import staff_service
from models.audit import AuditEvent
from models.staff import StaffRole
from tests.web.audiences import TOKEN_FIELD, client_from, csrf_token, log_in
from tests.web.database import records
from tests.web.school import SEED, School
from tests.web.servers import Server

PASSWORD = "the-right-password"


def test_r8_wrong_passwords_from_anyone_never_lock_the_owner_out(seeded_app: tuple[Server, School]) -> None:
    """The browser the owner logged in with before passes the account's wait; the guesser's address waits."""
    server = seeded_app[0]
    _account(server, "locker")
    with client_from(server, "127.0.0.50") as owner, client_from(server, "127.0.0.54") as guesser:
        assert log_in(owner, "locker", PASSWORD).status_code == 303
        owner.cookies.delete("mc_session")
        answers = [log_in(guesser, "locker", "a-wrong-password") for _ in range(server.settings.login_attempts + 3)]
        assert all(answer.status_code == 401 for answer in answers)
        assert "try again in" in answers[-1].text and int(answers[-1].headers["Retry-After"]) > 0
        assert log_in(owner, "locker", PASSWORD).status_code == 303 and "mc_session" in owner.cookies


def test_r8_an_unknown_name_is_answered_like_a_known_one(seeded_app: tuple[Server, School]) -> None:
    server = seeded_app[0]
    _account(server, "existing")
    answers = {}
    for name, address in (("existing", "127.0.0.55"), ("never-existed", "127.0.0.56")):
        with client_from(server, address) as client:
            tries = [log_in(client, name, "a-wrong-password") for _ in range(server.settings.login_attempts + 1)]
            answers[name] = [(t.status_code, TOKEN_FIELD.sub("", t.text).replace(name, "")) for t in tries]
    assert answers["existing"] == answers["never-existed"]


def test_r8_r9_a_guessing_burst_is_counted_without_a_register_row_per_try(seeded_app: tuple[Server, School]) -> None:
    server = seeded_app[0]
    user_id = _account(server, "counted")
    with client_from(server, "127.0.0.57") as guesser:
        for _ in range(server.settings.login_attempts + 5):
            log_in(guesser, "counted", "a-wrong-password")
    with records(server) as session:
        rows = session.scalars(select(AuditEvent).where(AuditEvent.object_id == str(user_id))).all()
        failed = [row for row in rows if row.action == "staff.login_failed"]
        assert 1 <= len(failed) < server.settings.login_attempts, "not a row per try"
        assert max(row.detail["failures"] for row in failed) == server.settings.login_attempts


def test_r8_staff_change_their_password_and_their_other_sessions_end(seeded_app: tuple[Server, School]) -> None:
    server = seeded_app[0]
    _account(server, "changer")
    with client_from(server, "127.0.0.58") as here, client_from(server, "127.0.0.59") as elsewhere:
        log_in(here, "changer", PASSWORD)
        log_in(elsewhere, "changer", PASSWORD)
        page = here.get("/account/password", headers={"Accept": "text/html"})
        assert page.status_code == 200 and "Current password" in page.text
        form = {"csrf_token": TOKEN_FIELD.search(page.text)[1], "new_password": "a-brand-new-password"}
        wrong = here.post("/account/password", data={**form, "current_password": "not-it-at-all"})
        assert wrong.status_code == 400 and "current password is not right" in wrong.text
        assert here.post("/account/password", data={**form, "current_password": PASSWORD}).status_code == 303
        assert here.get("/albums").status_code == 200, "this session goes on"
        assert elsewhere.get("/albums").status_code == 401, "the others end"


def test_r8_an_administrator_resets_a_password_and_that_persons_sessions_end(
    seeded_app: tuple[Server, School],
) -> None:
    server, school = seeded_app
    user_id = _account(server, "forgetful")
    with client_from(server, "127.0.0.65") as admin, client_from(server, "127.0.0.66") as person:
        log_in(admin, "admin", school.passwords["admin"])
        log_in(person, "forgetful", PASSWORD)
        reset = admin.post(
            f"/admin/staff/{user_id}/password",
            data={"csrf_token": csrf_token(admin), "new_password": "set-by-the-administrator"},
        )
        assert reset.status_code == 303
        assert person.get("/albums").status_code == 401
        person.cookies.clear()
        assert log_in(person, "forgetful", PASSWORD).status_code == 401
        assert log_in(person, "forgetful", "set-by-the-administrator").status_code == 303


def test_r8_log_out_everywhere_ends_every_session(seeded_app: tuple[Server, School]) -> None:
    server = seeded_app[0]
    _account(server, "leaver")
    with client_from(server, "127.0.0.67") as here, client_from(server, "127.0.0.68") as elsewhere:
        log_in(here, "leaver", PASSWORD)
        log_in(elsewhere, "leaver", PASSWORD)
        assert here.post("/logout", data={"csrf_token": csrf_token(here), "everywhere": "yes"}).status_code == 303
        assert elsewhere.get("/albums").status_code == 401


def _account(server: Server, username: str) -> int:
    with records(server) as session:
        return staff_service.create_user(session, username, username.title(), StaffRole.TEACHER, PASSWORD, SEED).id


def test_r8_session_cookie_is_httponly_and_samesite_and_secure_unless_plain_http_here(
    seeded_app: tuple[Server, School],
) -> None:
    server, school = seeded_app
    with client_from(server, "127.0.0.51") as client, client_from(server, "127.0.0.51") as visitor:
        answer = log_in(client, "reviewer", school.passwords["reviewer"])
        cookie = answer.headers["set-cookie"]
        assert answer.status_code == 303 and "mc_session=" in cookie
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Secure" not in cookie
        elsewhere = visitor.get("/login", headers={"Host": "school.example.org"}).headers["set-cookie"]
        assert "Secure" in elsewhere and "HttpOnly" in elsewhere and "SameSite=strict" in elsewhere


def test_r8_logout_ends_the_session_on_the_server(seeded_app: tuple[Server, School]) -> None:
    """The cookie of a session that logged out opens nothing, even when replayed."""
    server, school = seeded_app
    with client_from(server, "127.0.0.52") as client, client_from(server, "127.0.0.53") as replay:
        log_in(client, "reviewer", school.passwords["reviewer"])
        token = client.cookies["mc_session"]
        assert client.get("/review").status_code == 200
        form = client.get("/review").text
        csrf = form.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        assert client.post("/logout", data={"csrf_token": csrf}).status_code == 303
        replay.cookies.set("mc_session", token)
        assert replay.get("/review").status_code == 401
