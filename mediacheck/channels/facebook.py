"""A Facebook Page through the Graph API: `POST /{page-id}/photos` (or `/videos`), `DELETE /{object-id}`."""

import httpx

from mediacheck.channels.base import ChannelError, Upload
from mediacheck.channels.http import send

GRAPH_URL = "https://graph.facebook.com"
_NO_SUCH_OBJECT = 100  # Graph error code for an id that does not exist (HTTP 400, not 404)


def _gone(response: httpx.Response) -> bool:
    if response.status_code in (404, 410):
        return True
    try:
        return response.status_code == 400 and response.json()["error"]["code"] == _NO_SUCH_OBJECT
    except (ValueError, KeyError, TypeError):
        return False


class FacebookPageChannel:
    def __init__(
        self,
        key: str,
        page_id: str,
        page_access_token: str,
        api_version: str = "v21.0",
        graph_url: str = GRAPH_URL,
        timeout: float = 30.0,
    ) -> None:
        self.key = key
        self.page_id = page_id
        self.token = page_access_token
        self.base = f"{graph_url.rstrip('/')}/{api_version}"
        self.client = httpx.Client(timeout=timeout)

    def publish(self, upload: Upload) -> str:
        edge = "videos" if upload.media_type.startswith("video/") else "photos"
        request = self.client.build_request(
            "POST",
            f"{self.base}/{self.page_id}/{edge}",
            data={"access_token": self.token, "published": "true"},
            files={"source": (upload.filename, upload.content, upload.media_type)},
        )
        object_id = send(self.client, request).json().get("id")
        if not object_id:
            raise ChannelError(f"Graph API answered without an id for the {edge[:-1]}", retryable=True)
        return str(object_id)

    def unpublish(self, external_id: str) -> None:
        request = self.client.build_request("DELETE", f"{self.base}/{external_id}", params={"access_token": self.token})
        response = send(self.client, request, missing_ok=True, is_missing=_gone)
        if response is not None and response.json().get("success") is not True:
            raise ChannelError(f"Graph API did not confirm deleting {external_id}", retryable=True)

    def exists(self, external_id: str) -> bool:
        request = self.client.build_request(
            "GET", f"{self.base}/{external_id}", params={"access_token": self.token, "fields": "id"}
        )
        return send(self.client, request, missing_ok=True, is_missing=_gone) is not None

    def find(self, filename: str) -> str | None:
        """The Graph API cannot look a photo up by file name, so a copy whose answer was lost stays unknown
        and a retry sends another: the Page may show the photo twice, and a withdrawal takes down only the
        copy on record."""
        return None
