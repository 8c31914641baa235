"""R8: every route × every audience → allowed or refused, against the running app.

The table below is the expected rule for each route, written independently of the app; the routes
come from the app itself, so a route added without a rule here fails `test_r8_every_route_has_a_rule`.
Ids in paths name the teacher's album, its photo and face (for a reference photo, a face whose
candidate is Sanne), and Sanne's records; the parent holds
the link of another student (Noor) and tries it everywhere.

A page is allowed when it answers below 400 without sending the visitor to the login page. A
state-changing route gets the session's CSRF token and an empty form: allowed when it then answers
anything but 401/403/404/429 (a form without its fields changes nothing). The few state-changing
routes that need no fields, and so would act, get no token instead: allowed when the request gets
past the role check to the CSRF check (`test_csrf` proves that gate, the browser journeys the acts).
"""

import re
from collections.abc import Iterator
from dataclasses import replace

import httpx
import pytest
from fastapi.routing import iter_route_contexts

from mediacheck.check import PhotoChecker
from tests.web.audiences import AUDIENCES, Audience, clients, csrf_token
from tests.web.review_faces import checked_photo, set_match
from tests.web.school import School
from tests.web.servers import Server
from web.app import create_app
from web.auth import CSRF_HEADER

ANYONE = frozenset(AUDIENCES)
STAFF = frozenset({"teacher", "other_teacher", "communications", "reviewer", "admin"})
UPLOADERS = frozenset({"teacher", "other_teacher", "communications", "admin"})
ALBUM_OWNER = frozenset({"teacher", "communications", "admin"})
"""The teacher's album: the teacher who made it, and the roles that see every album."""
THUMBNAILS = ALBUM_OWNER | {"reviewer"}
PUBLISH = frozenset({"communications", "admin"})
REVIEW = frozenset({"reviewer", "communications", "admin"})
ADMIN = frozenset({"admin"})
LINK_HOLDER = frozenset({"parent"})
"""The consent page opens for whoever holds a valid token (the parent, with their own); the others try one."""

RULES: dict[tuple[str, str], frozenset[str]] = {
    ("GET", "/static"): ANYONE,
    ("GET", "/login"): ANYONE,
    ("POST", "/login"): ANYONE,
    ("POST", "/logout"): STAFF,
    ("GET", "/"): STAFF,
    ("GET", "/account/password"): STAFF,
    ("POST", "/account/password"): STAFF,
    ("GET", "/albums"): UPLOADERS,
    ("POST", "/albums"): UPLOADERS,
    ("GET", "/albums/{album_id}"): ALBUM_OWNER,
    ("POST", "/albums/{album_id}/files"): ALBUM_OWNER,
    ("GET", "/media/{media_id}/thumb"): THUMBNAILS,
    ("GET", "/media/{media_id}/view"): THUMBNAILS,
    ("GET", "/library"): PUBLISH,
    ("GET", "/library/albums/{album_id}"): PUBLISH,
    ("POST", "/library/albums/{album_id}/publish"): PUBLISH,
    ("GET", "/media/{media_id}"): REVIEW,
    ("GET", "/media/{media_id}/preview/{channel}"): PUBLISH,
    ("GET", "/publications"): PUBLISH,
    ("POST", "/publications/{publication_id}/unpublish"): PUBLISH,
    ("POST", "/publications/{publication_id}/removed-by-hand"): PUBLISH,
    ("GET", "/review"): REVIEW,
    ("POST", "/review/faces/{face_id}"): REVIEW,
    ("GET", "/review/faces/{face_id}/crop"): REVIEW,
    ("GET", "/review/faces/{face_id}/references/{reference_id}"): REVIEW,
    ("POST", "/review/claims/{claim_id}/approve"): ADMIN,
    ("POST", "/review/claims/{claim_id}/refuse"): ADMIN,
    ("GET", "/c/{token}"): LINK_HOLDER,
    ("POST", "/c/{token}"): LINK_HOLDER,
    ("GET", "/consent/{token}"): ANYONE,
    ("GET", "/admin"): ADMIN,
    ("POST", "/admin/students/import"): ADMIN,
    ("GET", "/admin/students/{student_id}"): ADMIN,
    ("POST", "/admin/students/{student_id}/consent"): ADMIN,
    ("POST", "/admin/students/{student_id}/enrol"): ADMIN,
    ("POST", "/admin/students/{student_id}/revoke-links"): ADMIN,
    ("POST", "/admin/students/{student_id}/export"): ADMIN,
    ("POST", "/admin/students/{student_id}/erase"): ADMIN,
    ("GET", "/admin/consents"): ADMIN,
    ("GET", "/admin/consents.csv"): ADMIN,
    ("GET", "/admin/links"): ADMIN,
    ("POST", "/admin/links"): ADMIN,
    ("GET", "/admin/policy"): ADMIN,
    ("POST", "/admin/policy"): ADMIN,
    ("GET", "/admin/audit"): ADMIN,
    ("GET", "/admin/staff"): ADMIN,
    ("POST", "/admin/staff"): ADMIN,
    ("POST", "/admin/staff/{user_id}/active"): ADMIN,
    ("POST", "/admin/staff/{user_id}/password"): ADMIN,
    ("POST", "/admin/staff/{user_id}/unlock"): ADMIN,
    ("GET", "/api/albums"): UPLOADERS,
    ("GET", "/api/albums/{album_id}/files"): ALBUM_OWNER,
    ("GET", "/api/media/{media_id}/channels"): PUBLISH,
    ("GET", "/api/publications"): PUBLISH,
    ("GET", "/api/review/queue"): REVIEW,
    ("GET", "/api/openapi.json"): STAFF,
    ("GET", "/api/docs"): STAFF,
}
CSRF_REFUSAL = re.compile(r"form has expired|formulier is verlopen", re.IGNORECASE)
ACT_WITHOUT_FIELDS = {
    ("POST", "/login"),
    ("POST", "/logout"),
    ("POST", "/c/{token}"),
    ("POST", "/publications/{publication_id}/unpublish"),
    ("POST", "/admin/students/{student_id}/revoke-links"),
    ("POST", "/admin/students/{student_id}/export"),
    ("POST", "/admin/staff/{user_id}/unlock"),
    ("POST", "/review/claims/{claim_id}/approve"),
    ("POST", "/review/claims/{claim_id}/refuse"),
}
"""Tried without a CSRF token: with one they would act (none of them has a rule finer than its role)."""
CANDIDATE_ROUTES = {("GET", "/review/faces/{face_id}/references/{reference_id}")}
"""Named with a face whose candidate is Sanne: only a candidate's reference photos are shown."""
QUERY = {("POST", "/albums/{album_id}/files"): {"name": "empty.jpg"}}
"""The upload's file name: only then does the request reach the album check (the teacher's own album),
after which the empty file is refused."""


def app_routes(server: Server) -> set[tuple[str, str]]:
    """(method, path) of every route the app serves; a mount counts as GET."""
    app = create_app(server.settings)
    return {
        (method, route.path or "")
        for route in iter_route_contexts(app.routes)
        for method in (route.methods or {"GET"}) - {"HEAD"}
    }


def test_r8_every_route_has_a_rule(seeded_app: tuple[Server, School]) -> None:
    """A route added without a rule in the table fails here, so nothing is reachable by accident (R8)."""
    assert app_routes(seeded_app[0]) == set(RULES)


@pytest.mark.parametrize(("method", "path"), sorted(RULES))
def test_r8_route_admits_exactly_its_audiences(
    seeded_app: tuple[Server, School],
    audience_clients: dict[str, tuple[httpx.Client, str | None]],
    method: str,
    path: str,
    request: pytest.FixtureRequest,
) -> None:
    """Each audience is allowed or refused exactly as the table says; the parent's link shows their own child only."""
    school = seeded_app[1]
    if (method, path) in CANDIDATE_ROUTES:
        school = replace(school, ids=school.ids | {"face_id": str(request.getfixturevalue("candidate_face"))})
    gate_only = (method, path) in ACT_WITHOUT_FIELDS
    outcomes = {}
    for name, (client, token) in audience_clients.items():
        url = _url(path, school, AUDIENCES[name])
        if method == "GET":
            response = client.get(url)
        else:
            headers = {} if gate_only or not token else {CSRF_HEADER: token}
            response = client.post(url, data={}, params=QUERY.get((method, path)), headers=headers)
        outcomes[name] = _outcome(method, response, gate_only)
        if name == "parent" and path == "/c/{token}" and method == "GET":
            assert "Noor" in response.text and "Sanne" not in response.text
    assert {name for name, allowed in outcomes.items() if allowed} == RULES[(method, path)]


@pytest.fixture(scope="module")
def audience_clients(seeded_app: tuple[Server, School]) -> Iterator[dict[str, tuple[httpx.Client, str | None]]]:
    """Each audience's client and, for staff, the CSRF token of its session."""
    server, school = seeded_app
    with clients(server, school) as logged_in:
        yield {
            name: (client, csrf_token(client) if AUDIENCES[name].username else None)
            for name, client in logged_in.items()
        }


@pytest.fixture(scope="module")
def candidate_face(
    seeded_app: tuple[Server, School], web_checker: PhotoChecker, tmp_path_factory: pytest.TempPathFactory
) -> int:
    """A face of a photo of its own on which the matcher was unsure, with Sanne as candidate."""
    _, faces = checked_photo(seeded_app[0], web_checker, tmp_path_factory.mktemp("candidate"), "obama_and_biden.jpg")
    set_match(seeded_app[0], faces[0], "1001", matched=False)
    return faces[0]


def _url(path: str, school: School, audience: Audience) -> str:
    if path == "/static":
        return "/static/app.css"
    values = {**school.ids, "token": school.token_noor if audience.name == "parent" else "not-a-real-token"}
    return re.sub(r"\{(\w+)\}", lambda match: values[match[1]], path)


def _outcome(method: str, response: httpx.Response, gate_only: bool) -> bool:
    """True: allowed (see the module docstring); False: refused."""
    if gate_only:
        return response.status_code == 403 and bool(CSRF_REFUSAL.search(response.text))
    if response.is_redirect:
        return not response.headers["location"].startswith("/login")
    return response.status_code not in (401, 403, 404, 429) and response.status_code < 500
