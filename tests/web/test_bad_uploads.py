"""Bad files get a clear error and lose nothing, through the web upload: each file answers for itself
(201 taken in, 422 refused with its reason), never a server error, on SQLite and PostgreSQL."""

from collections.abc import Iterator

import httpx
import pytest

from benchmarks.fuzz_uploads import INTERNALS, WRONG_FORMATS, heic_grid, png_declaring
from tests.samples import EVENTS
from tests.web.audiences import client_from, csrf_token, log_in
from tests.web.school import School
from tests.web.servers import Server
from web.auth import CSRF_HEADER


@pytest.fixture(scope="module")
def teacher(seeded_app: tuple[Server, School]) -> Iterator[tuple[httpx.Client, str, str]]:
    """The teacher's client, the CSRF token the page sends, and the teacher's album."""
    server, school = seeded_app
    with client_from(server, "127.0.0.40") as client:
        log_in(client, "teacher", school.passwords["teacher"])
        yield client, csrf_token(client), school.ids["album_id"]


def _upload(teacher: tuple[httpx.Client, str, str], name: str, data: bytes) -> httpx.Response:
    client, token, album = teacher
    return client.post(f"/albums/{album}/files", params={"name": name}, content=data, headers={CSRF_HEADER: token})


def test_fail_closed_a_heic_declaring_65536_px_is_refused_with_its_reason_and_the_next_file_is_taken(
    teacher: tuple[httpx.Client, str, str],
) -> None:
    """It was a 500 (libheif's RuntimeError), and the browser's next upload on the connection was reset."""
    refused = _upload(teacher, "huge.heic", heic_grid((65536, 65536)))
    assert refused.status_code == 422, refused.text
    assert refused.json()["name"] == "huge.heic" and "too large" in refused.json()["error"]
    assert not INTERNALS.search(refused.json()["error"])
    good = _upload(teacher, "kit.jpg", (EVENTS / "kit_with_rose.jpg").read_bytes())
    assert good.status_code == 201 and good.json()["kind"] == "photo"


@pytest.mark.parametrize("fmt", ["bmp", "gif", "tiff"])
def test_image_bytes_named_mp4_are_refused_as_what_they_are(teacher: tuple[httpx.Client, str, str], fmt: str) -> None:
    refused = _upload(teacher, "clip.mp4", WRONG_FORMATS[fmt]())
    assert refused.status_code == 422
    assert f"{fmt.upper()} image" in refused.json()["error"]


def test_a_64_mp_png_is_taken_in_and_its_thumbnail_is_small(teacher: tuple[httpx.Client, str, str]) -> None:
    """A 182 KB PNG declaring 8000×8000: taken in (it is within the limit) and shown downscaled."""
    client = teacher[0]
    taken = _upload(teacher, "large.png", png_declaring(8000, 8000))
    assert taken.status_code == 201, taken.text
    thumbnail = client.get(f"/media/{taken.json()['id']}/thumb")
    assert thumbnail.status_code == 200 and thumbnail.headers["content-type"] == "image/jpeg"
    over = _upload(teacher, "larger.png", png_declaring(8001, 8000))
    assert over.status_code == 422 and "image too large: 8001x8000" in over.json()["error"]
