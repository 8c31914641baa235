"""Every state-changing form is refused without the valid CSRF token of its own session (R8, R9).

Each state-changing route gets a complete, valid form from a role allowed to send it, once without a
token, once with a made-up one and once with the token of another live session: each is refused
with 403 and nothing changes — no entry in the audit register (every change writes one) and no
message for the worker. With the right token the same kind of form goes through.
"""

import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from models.audit import AuditEvent
from models.database import make_engine
from tests.records.builders import PHOTO_OF, SANNE, roster
from tests.samples import EVENTS
from tests.web.audiences import clients, csrf_token
from tests.web.school import School
from tests.web.servers import ADMIN_PASSWORD, Server
from tests.web.test_authorisation import RULES
from web.auth import CSRF_HEADER

STATE_CHANGING = sorted(route for route in RULES if route[0] != "GET")
PREFERRED = ("admin", "communications", "reviewer", "teacher", "parent", "anonymous")
TEXT_FIELD = re.compile(r'name="(text_[\w-]+)" value="(\d+)"')


@pytest.fixture(scope="module")
def logged_in(seeded_app: tuple[Server, School]) -> Iterator[dict[str, httpx.Client]]:
    server, school = seeded_app
    with clients(server, school) as made:
        yield made


@pytest.mark.parametrize(("method", "path"), STATE_CHANGING)
def test_r8_state_change_without_the_sessions_csrf_token_is_refused(
    seeded_app: tuple[Server, School], logged_in: dict[str, httpx.Client], method: str, path: str
) -> None:
    server, school = seeded_app
    sender = next(name for name in PREFERRED if name in RULES[(method, path)])
    client = logged_in[sender]
    other_session = csrf_token(logged_in["teacher"] if sender != "teacher" else logged_in["communications"])
    url = re.sub(r"\{(\w+)\}", lambda m: {**school.ids, "token": school.token_noor}[m[1]], path)
    requests = [_request(path, school, client, token) for token in (None, "made-up-" + "x" * 30, other_session)]
    before = _state(server)
    for request in requests:
        if path == "/login" and "csrf_token" in request["data"]:
            client.cookies.set("mc_login", "another-value")
        response = client.post(url, **request)
        assert response.status_code == 403, response.text[:300]
        assert _state(server) == before


def test_r8_the_same_form_with_the_sessions_token_goes_through(
    seeded_app: tuple[Server, School], logged_in: dict[str, httpx.Client]
) -> None:
    """The refusals above are about the token: with it, a form changes what it should."""
    server = seeded_app[0]
    client = logged_in["teacher"]
    before = _state(server)
    response = client.post("/albums", data={"name": "School trip", "csrf_token": csrf_token(client)})
    assert response.status_code == 303
    assert _state(server)[0] == before[0] + 1


def _request(path: str, school: School, client: httpx.Client, token: str | None) -> dict:
    """A complete form for the route, carrying `token` (or none) the way the pages send it."""
    if path == "/albums/{album_id}/files":
        headers = {CSRF_HEADER: token} if token else {}
        return {
            "params": {"name": "photo.jpg"},
            "content": (EVENTS / "two_people.jpg").read_bytes(),
            "headers": headers,
        }
    data, files = _form(path, school, client)
    if token:
        data["csrf_token"] = token
    return {"data": data, "files": files or None}


def _form(path: str, school: School, client: httpx.Client) -> tuple[dict, dict]:
    today = date.today().isoformat()
    forms: dict[str, dict] = {
        "/login": {"username": "admin", "password": ADMIN_PASSWORD},
        "/albums": {"name": "Musical", "event_date": today},
        "/library/albums/{album_id}/publish": {"channel": "protected", "media": school.ids["media_id"]},
        "/review/faces/{face_id}": {"resolution": "unknown_person"},
        "/admin/students/{student_id}/consent": {
            "purpose": "protected",
            "answer": "yes",
            "decided_by": school.ids["guardian_id"],
            "decided_on": today,
        },
        "/admin/students/{student_id}/erase": {"confirm": "1001"},
        "/admin/links": {"valid_until": today},
        "/admin/policy": {"approved_by": "participation council", "approved_on": today},
        "/admin/staff": {"username": "intruder", "display_name": "x", "role": "admin", "password": "x" * 16},
        "/admin/staff/{user_id}/active": {"active": "false"},
    }
    files = {
        "/admin/students/import": {"file": ("school.csv", roster(SANNE.replace("Sanne", "Sanna")), "text/csv")},
        "/admin/students/{student_id}/enrol": {"photos": ("sanne.jpg", Path(PHOTO_OF["1001"]).read_bytes())},
    }
    if path == "/c/{token}":
        page = client.get(f"/c/{school.token_noor}")
        texts = dict(TEXT_FIELD.findall(page.text))
        return {"lang": "en", **texts, **{name.removeprefix("text_"): "yes" for name in texts}}, {}
    return dict(forms.get(path, {})), files.get(path, {})


def _state(server: Server) -> tuple[int, int]:
    """(audit register entries, messages waiting for the worker)."""
    engine = make_engine(server.settings.database_url)
    try:
        with engine.connect() as connection:
            audited = connection.scalar(select(func.count()).select_from(AuditEvent)) or 0
    finally:
        engine.dispose()
    queue = server.settings.data_dir / "broker" / "queue"
    return audited, len(list(queue.glob("*.msg"))) if queue.exists() else 0
