"""Channel adapters against real peers: Debian's WordPress, the Graph API stand-in, a folder.

Each adapter must confirm before an id exists, remove for good on takedown, treat a second
takedown as done, and turn every failure into a ChannelError that says whether to retry (R5, R7).
"""

import io
from collections.abc import Callable, Iterator
from pathlib import Path

import av
import httpx
import numpy as np
import pytest
from PIL import Image

from mediacheck.channels import ChannelError, FacebookPageChannel, FolderChannel, Upload, WordPressChannel
from tests.services.graph_api import GraphState, start_graph_api
from tests.services.ports import free_port
from tests.services.require import require
from tests.services.wordpress import WordPressSite, start_wordpress, wordpress_available


def clean_jpeg() -> Upload:
    buffer = io.BytesIO()
    Image.new("RGB", (96, 64), (30, 120, 200)).save(buffer, "JPEG")
    return Upload(buffer.getvalue(), "p-7f3a9c.jpg", "image/jpeg")


def clean_mp4() -> Upload:
    """A third of a second of H.264, as `mediacheck.video` writes it."""
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=30)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        for shade in range(10):
            frame = av.VideoFrame.from_ndarray(np.full((48, 64, 3), shade * 20, np.uint8), format="rgb24")
            container.mux(stream.encode(frame))
        container.mux(stream.encode())
    return Upload(buffer.getvalue(), "v-1c9e2b.mp4", "video/mp4")


UPLOADS = pytest.mark.parametrize("make_upload", [clean_jpeg, clean_mp4], ids=["photo", "video"])


@pytest.fixture(scope="module")
def wordpress() -> Iterator[WordPressSite]:
    require(wordpress_available(), "WordPress (tests/services/wordpress_setup.sh)")
    with start_wordpress() as site:
        yield site


@pytest.fixture
def graph() -> Iterator[tuple[str, GraphState]]:
    with start_graph_api() as served:
        yield served


@UPLOADS
def test_r5_wordpress_publish_then_takedown_removes_the_file(
    wordpress: WordPressSite, make_upload: Callable[[], Upload]
) -> None:
    channel = WordPressChannel("public", wordpress.url, wordpress.user, wordpress.application_password)
    upload = make_upload()
    media_id = channel.publish(upload)
    assert channel.exists(media_id)
    assert channel.find(upload.filename) == media_id, "a retry whose answer was lost finds the copy"
    assert channel.find("0a1b2c3d4e5f6a7b.jpg") is None
    source_url = _source_url(wordpress, media_id)
    assert httpx.get(source_url).content == upload.content, "WordPress serves exactly our clean bytes (R10)"
    stored = wordpress.uploads / source_url.split("/wp-content/uploads/")[1]
    assert stored.read_bytes() == upload.content
    channel.unpublish(media_id)
    assert not channel.exists(media_id)
    assert not stored.exists(), "the file is gone from WordPress's uploads folder"
    assert httpx.get(source_url).status_code == 404
    channel.unpublish(media_id)  # a retried takedown of what is gone succeeds


def test_wordpress_wrong_password_is_a_permanent_error(wordpress: WordPressSite) -> None:
    channel = WordPressChannel("public", wordpress.url, wordpress.user, "wrong wrong wrong wrong")
    with pytest.raises(ChannelError) as raised:
        channel.publish(clean_jpeg())
    assert not raised.value.retryable
    assert "401" in str(raised.value)


def test_site_that_is_down_is_a_retryable_error() -> None:
    channel = WordPressChannel("public", f"http://127.0.0.1:{free_port()}/", "admin", "x", timeout=2)
    with pytest.raises(ChannelError) as raised:
        channel.unpublish("12")
    assert raised.value.retryable


@UPLOADS
def test_r5_facebook_publish_then_takedown(graph: tuple[str, GraphState], make_upload: Callable[[], Upload]) -> None:
    url, state = graph
    channel = FacebookPageChannel("facebook", state.page_id, state.token, graph_url=url)
    upload = make_upload()
    photo_id = channel.publish(upload)
    assert state.photos[photo_id] == upload.content, "the multipart upload arrived intact"
    assert state.edges[photo_id] == ("videos" if upload.media_type == "video/mp4" else "photos")
    assert channel.exists(photo_id)
    channel.unpublish(photo_id)
    assert photo_id not in state.photos
    assert not channel.exists(photo_id)
    channel.unpublish(photo_id)  # Graph answers 400 code 100 for a gone photo: that is done, not an error


def test_facebook_bad_token_is_permanent_and_outage_is_retryable(graph: tuple[str, GraphState]) -> None:
    url, state = graph
    with pytest.raises(ChannelError) as raised:
        FacebookPageChannel("facebook", state.page_id, "stolen", graph_url=url).publish(clean_jpeg())
    assert not raised.value.retryable and "190" in str(raised.value)
    assert "stolen" not in str(raised.value), "tokens never reach error messages or logs"
    channel = FacebookPageChannel("facebook", state.page_id, state.token, graph_url=url, timeout=0.5)
    photo_id = channel.publish(clean_jpeg())
    for failure in ("error500", "stall"):
        state.failure = failure
        state.stall_seconds = 1.5
        with pytest.raises(ChannelError) as raised:
            channel.unpublish(photo_id)
        assert raised.value.retryable, failure
    state.failure = "none"
    channel.unpublish(photo_id)
    assert photo_id not in state.photos, "the takedown lands once the channel is back"


def test_folder_channel_publishes_atomically_and_takes_down(tmp_path: Path) -> None:
    channel = FolderChannel("public", tmp_path / "portal")
    upload = clean_jpeg()
    external_id = channel.publish(upload)
    assert (tmp_path / "portal" / external_id).read_bytes() == upload.content
    assert [p.name for p in (tmp_path / "portal").iterdir()] == [external_id]
    assert channel.find(upload.filename) == external_id and channel.find("other.jpg") is None
    channel.unpublish(external_id)
    assert not channel.exists(external_id)
    channel.unpublish(external_id)
    with pytest.raises(ChannelError):
        channel.unpublish("../escape.jpg")


def _source_url(site: WordPressSite, media_id: str) -> str:
    response = httpx.get(
        site.url, params={"rest_route": f"/wp/v2/media/{media_id}"}, auth=(site.user, site.application_password)
    )
    return response.json()["source_url"]
