"""The parent's page at /c/<token>: the exact text shown is the one recorded (R4), withdrawing is the
same click as granting and says the takedown is under way (R5), the language follows the browser
and can be switched, and tokens that open nothing reveal nothing and are refused after a few (R8)."""

import re

import httpx
from sqlalchemy import select

from mediacheck.config import AppSettings
from models import consent_service
from models.consent import ConsentEvent, ConsentMeans
from models.school_service import find_student
from tests.web.audiences import client_from
from tests.web.database import records
from tests.web.school import SEED, School
from tests.web.servers import Server

TEXT_FIELD = re.compile(r'name="(text_[\w-]+)" value="(\d+)"')
FORM_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def test_r4_r5_consent_is_recorded_with_the_text_shown_and_withdrawn_with_the_same_click(
    seeded_app: tuple[Server, School],
) -> None:
    server, school = seeded_app
    with client_from(server, "127.0.0.60") as parent:
        shown = _form(parent, school.token_noor, "en")
        granted = parent.post(f"/c/{school.token_noor}", data={**shown, "public": "yes"})
        assert granted.status_code == 200 and "Saved at" in granted.text and "withdrew" not in granted.text
        grant = _latest(server, "public")
        assert grant.granted and grant.means is ConsentMeans.LINK and grant.consent_link_id is not None
        assert str(grant.consent_text_id) == shown["text_public"] and grant.consent_text.language == "en"
        withdrawn = parent.post(
            f"/c/{school.token_noor}", data={**_form(parent, school.token_noor, "en"), "public": "no"}
        )
        assert withdrawn.status_code == 200 and "You withdrew consent for: Public website" in withdrawn.text
        assert "under way" in withdrawn.text
        assert not _latest(server, "public").granted


def test_r4_a_text_changed_after_it_was_shown_is_not_recorded(seeded_app: tuple[Server, School]) -> None:
    server, school = seeded_app
    with client_from(server, "127.0.0.61") as parent:
        shown = _form(parent, school.token_noor, "nl")
        with records(server) as session:
            consent_service.add_text(session, "facebook", "nl", "Een nieuwe tekst voor Facebook.", SEED)
            before = session.scalar(select(ConsentEvent.id).order_by(ConsentEvent.id.desc()).limit(1))
        answer = parent.post(f"/c/{school.token_noor}", data={**shown, "facebook": "yes"})
        assert answer.status_code == 409 and "Een nieuwe tekst voor Facebook." in answer.text
    with records(server) as session:
        assert session.scalar(select(ConsentEvent.id).order_by(ConsentEvent.id.desc()).limit(1)) == before


def test_the_page_speaks_the_browsers_language_and_switches(seeded_app: tuple[Server, School]) -> None:
    server, school = seeded_app
    url = f"/c/{school.token_noor}"
    with client_from(server, "127.0.0.62") as visitor:
        english = visitor.get(url, headers={"Accept-Language": "de-DE,en-GB;q=0.8,nl;q=0.5"})
        assert '<html lang="en">' in english.text and "Consent for photos and videos: Noor" in english.text
        assert '<html lang="nl">' in visitor.get(url, headers={"Accept-Language": "fr"}).text
        switched = visitor.get(url, params={"lang": "nl"}, headers={"Accept-Language": "en"})
        assert "Toestemming voor foto" in switched.text and ": Noor" in switched.text
        assert '<html lang="nl">' in visitor.get(url, headers={"Accept-Language": "en"}).text, "the choice is kept"


def test_r8_tokens_that_open_nothing_reveal_nothing_and_many_of_them_are_refused_a_while(
    seeded_app: tuple[Server, School],
) -> None:
    server = seeded_app[0]
    with client_from(server, "127.0.0.63") as guesser:
        for attempt in range(10):
            dead_end = guesser.get(f"/c/guess-{attempt}")
            assert dead_end.status_code == 404 and "ask the school for a new link" in dead_end.text
            assert "Noor" not in dead_end.text and "Sanne" not in dead_end.text
        refused = guesser.get("/c/guess-once-more")
        assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0


def test_r8_a_valid_link_is_never_refused_because_of_bad_tries_from_its_address(
    seeded_app: tuple[Server, School],
) -> None:
    """A school or a phone carrier puts many people behind one address: a guesser there blocks no parent."""
    server, school = seeded_app
    with client_from(server, "127.0.0.64") as shared:
        for attempt in range(12):
            shared.get(f"/c/guess-{attempt}")
        assert shared.get("/c/guess-again").status_code == 429
        page = shared.get(f"/c/{school.token_noor}")
        assert page.status_code == 200 and "Noor" in page.text
        saved = shared.post(f"/c/{school.token_noor}", data=_form(shared, school.token_noor, "en"))
        assert saved.status_code == 200, "a parent behind the same address can still save"


def test_r8_a_forwarded_for_header_from_an_untrusted_peer_does_not_escape_the_throttle(
    seeded_app: tuple[Server, School],
) -> None:
    """No proxy is trusted by default, not even one on this machine: rotating the header counts as one address."""
    server = seeded_app[0]
    with client_from(server, "127.0.0.1") as guesser:
        answers = [
            guesser.get(f"/c/forged-{n}", headers={"X-Forwarded-For": f"198.51.100.{n}"}).status_code for n in range(20)
        ]
    assert answers[:10] == [404] * 10 and set(answers[10:]) == {429}


def test_r8_uvicorn_trusts_forwarded_headers_only_from_the_proxies_named() -> None:
    from web.cli import proxy_options

    assert proxy_options(AppSettings(trusted_proxies="")) == {"proxy_headers": False}
    named = proxy_options(AppSettings(trusted_proxies="10.0.0.2, 10.0.0.3"))
    assert named == {"proxy_headers": True, "forwarded_allow_ips": "10.0.0.2,10.0.0.3"}


def _form(client: httpx.Client, token: str, lang: str) -> dict[str, str]:
    """The form as the page shows it: its token, language and the text versions on it."""
    page = client.get(f"/c/{token}", params={"lang": lang})
    assert page.status_code == 200
    return {"csrf_token": FORM_TOKEN.search(page.text)[1], "lang": lang, **dict(TEXT_FIELD.findall(page.text))}


def _latest(server: Server, purpose: str) -> ConsentEvent:
    with records(server) as session:
        noor = find_student(session, "1003")
        event = session.scalar(
            select(ConsentEvent)
            .where(ConsentEvent.student_id == noor.id, ConsentEvent.purpose == purpose)
            .order_by(ConsentEvent.id.desc())
            .limit(1)
        )
        event.consent_text  # noqa: B018 - loaded while the session is open
        return event
