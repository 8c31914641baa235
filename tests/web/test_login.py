"""Staff login (R8): argon2 passwords, lockout after repeated failures, server-side sessions in
HttpOnly, SameSite cookies (Secure off this machine), and a logout that ends the session."""

from sqlalchemy import select

from models import staff_service
from models.audit import AuditEvent
from models.staff import StaffRole, User
from tests.web.audiences import client_from, log_in
from tests.web.database import records
from tests.web.school import SEED, School
from tests.web.servers import Server

PASSWORD = "the-right-password"


def test_r8_repeated_wrong_passwords_lock_the_account_even_for_the_right_one(seeded_app: tuple[Server, School]) -> None:
    server = seeded_app[0]
    with records(server) as session:
        staff_service.create_user(session, "locker", "Locker", StaffRole.TEACHER, PASSWORD, SEED)
    with client_from(server, "127.0.0.50") as client:
        for _ in range(server.settings.login_attempts):
            refused = log_in(client, "locker", "a-wrong-password")
            assert refused.status_code == 401 and "wrong username or password" in refused.text
        locked = log_in(client, "locker", PASSWORD)
        assert locked.status_code == 401 and "too many wrong passwords" in locked.text
        assert "mc_session" not in client.cookies
    with records(server) as session:
        user = session.scalar(select(User).where(User.username == "locker"))
        assert user.locked_until is not None and user.password_hash.startswith("$argon2")
        actions = session.scalars(select(AuditEvent.action).where(AuditEvent.actor_id == "locker")).all()
    assert actions.count("staff.login_failed") == server.settings.login_attempts and "staff.login_locked" in actions


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
