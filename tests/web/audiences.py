"""Who asks: anonymous, a parent holding another student's link, and staff of every role, each an
HTTP client logged in through the real login form, each from its own loopback address (the consent
page counts bad tokens per address)."""

import re
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass

import httpx

from tests.web.school import School
from tests.web.servers import Server

TOKEN_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass(frozen=True)
class Audience:
    name: str
    address: str
    username: str | None = None


AUDIENCES = {
    audience.name: audience
    for audience in (
        Audience("anonymous", "127.0.0.2"),
        Audience("parent", "127.0.0.3"),
        Audience("teacher", "127.0.0.4", "teacher"),
        Audience("other_teacher", "127.0.0.5", "other_teacher"),
        Audience("communications", "127.0.0.6", "communications"),
        Audience("reviewer", "127.0.0.7", "reviewer"),
        Audience("admin", "127.0.0.8", "admin"),
    )
}


def client_from(server: Server, address: str) -> httpx.Client:
    return httpx.Client(
        base_url=server.url,
        transport=httpx.HTTPTransport(local_address=address),
        headers={"Accept": "application/json", "Accept-Language": "en"},
        timeout=60,
    )


@contextmanager
def clients(server: Server, school: School) -> Iterator[dict[str, httpx.Client]]:
    with ExitStack() as stack:
        made = {}
        for audience in AUDIENCES.values():
            client = stack.enter_context(client_from(server, audience.address))
            if audience.username:
                log_in(client, audience.username, school.passwords[audience.username])
            if audience.name == "parent":  # the link's token tried as a session and as a bearer token
                client.cookies.set("mc_session", school.token_noor)
                client.headers["Authorization"] = f"Bearer {school.token_noor}"
            made[audience.name] = client
        yield made


def log_in(client: httpx.Client, username: str, password: str) -> httpx.Response:
    """Through the login form, with the form's CSRF token; returns the answer to the POST."""
    form = client.get("/login")
    token = TOKEN_FIELD.search(form.text)
    assert token, form.text
    return client.post("/login", data={"username": username, "password": password, "csrf_token": token[1]})


def csrf_token(client: httpx.Client) -> str:
    """The session's token, as every staff page carries it in its forms."""
    page = client.get("/api/docs")
    return TOKEN_FIELD.search(page.text)[1]
