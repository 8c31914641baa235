"""A WordPress site's media library through its REST API, with an application password.

Used for the public website and, against a members-only WordPress, for the protected site.
Routes go through `?rest_route=`, which every WordPress answers whatever its permalink setting.
"""

from pathlib import PurePosixPath
from urllib.parse import urlparse

import httpx

from mediacheck.channels.base import ChannelError, Upload
from mediacheck.channels.http import send


class WordPressChannel:
    def __init__(self, key: str, site_url: str, user: str, application_password: str, timeout: float = 30.0) -> None:
        self.key = key
        self.site_url = site_url.rstrip("/") + "/"
        self.client = httpx.Client(auth=(user, application_password), timeout=timeout)

    def publish(self, upload: Upload) -> str:
        request = self.client.build_request(
            "POST",
            self.site_url,
            params={"rest_route": "/wp/v2/media"},
            content=upload.content,
            headers={
                "Content-Type": upload.media_type,
                "Content-Disposition": f'attachment; filename="{upload.filename}"',
            },
        )
        response = send(self.client, request)
        media_id = response.json().get("id")
        if not media_id:
            raise ChannelError("WordPress answered without a media id", retryable=True)
        return str(media_id)

    def unpublish(self, external_id: str) -> None:
        request = self.client.build_request(
            "DELETE", self.site_url, params={"rest_route": f"/wp/v2/media/{int(external_id)}", "force": "true"}
        )
        send(self.client, request, missing_ok=True)

    def exists(self, external_id: str) -> bool:
        request = self.client.build_request(
            "GET", self.site_url, params={"rest_route": f"/wp/v2/media/{int(external_id)}", "context": "edit"}
        )
        return send(self.client, request, missing_ok=True) is not None

    def find(self, filename: str) -> str | None:
        """WordPress titles an upload after its file name; a large image's file becomes `<name>-scaled`."""
        stem = PurePosixPath(filename).stem
        request = self.client.build_request(
            "GET",
            self.site_url,
            params={"rest_route": "/wp/v2/media", "search": stem, "context": "edit", "per_page": 100},
        )
        for item in send(self.client, request).json():
            if PurePosixPath(urlparse(item.get("source_url", "")).path).name.startswith(stem):
                return str(item["id"])
        return None
