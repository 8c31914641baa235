"""A stand-in for Facebook's Graph API on 127.0.0.1, faithful to the calls mediacheck makes.

`POST /{version}/{page-id}/photos` and `/videos` (multipart, `source` file of the edge's kind, page
access token), `GET` and `DELETE /{version}/{object-id}`; Graph-style error bodies; and a failure
mode that answers 500s or stalls past the client's timeout, for the retry and takedown-pending tests.
"""

import itertools
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Literal
from urllib.parse import parse_qs, urlsplit

from tests.services.ports import free_port


@dataclass
class GraphState:
    page_id: str
    token: str
    photos: dict[str, bytes] = field(default_factory=dict)
    """Every object on the page, photos and videos, by id."""
    edges: dict[str, str] = field(default_factory=dict)
    """The edge each object was posted to: "photos" or "videos"."""
    failure: Literal["none", "error500", "stall"] = "none"
    stall_seconds: float = 5.0
    ids: Iterator[int] = field(default_factory=lambda: itertools.count(10_000_001))
    lock: threading.Lock = field(default_factory=threading.Lock)


UPLOAD_KINDS = {
    "photos": ("image/", (324, "(#324) Missing or invalid image file")),
    "videos": ("video/", (352, "(#352) The video file you selected is in a format that we don't support.")),
}
"""Per edge: the content type its `source` must have, and Graph's error when it has not."""


def _error(code: int, message: str, kind: str = "OAuthException", **extra: object) -> dict:
    return {"error": {"message": message, "type": kind, "code": code, "fbtrace_id": "AbCdEf123", **extra}}


class GraphHandler(BaseHTTPRequestHandler):
    state: GraphState

    def log_message(self, *args: object) -> None:  # keep test output clean
        pass

    def do_POST(self) -> None:
        if self._failing():
            return
        parts = urlsplit(self.path).path.strip("/").split("/")
        if len(parts) != 3 or parts[2] not in UPLOAD_KINDS:
            return self._reply(400, _error(2500, "Unknown path components"))
        if parts[1] != self.state.page_id:
            return self._reply(400, _error(100, "Unsupported post request.", "GraphMethodException", error_subcode=33))
        fields = self._multipart()
        if fields.get("access_token") != self.state.token:
            return self._reply(400, _error(190, "Invalid OAuth access token data."))
        if not fields.get("source"):
            return self._reply(400, _error(324, "(#324) Requires upload file"))
        kind, (code, message) = UPLOAD_KINDS[parts[2]]
        if not self._types.get("source", "").startswith(kind):
            return self._reply(400, _error(code, message))
        with self.state.lock:
            photo_id = str(next(self.state.ids))
            self.state.photos[photo_id] = fields["source"]
            self.state.edges[photo_id] = parts[2]
        self._reply(200, {"id": photo_id, "post_id": f"{self.state.page_id}_{photo_id}"})

    def do_GET(self) -> None:
        self._on_photo(lambda photo_id: {"id": photo_id})

    def do_DELETE(self) -> None:
        def delete(photo_id: str) -> dict:
            with self.state.lock:
                del self.state.photos[photo_id]
            return {"success": True}

        self._on_photo(delete)

    def _on_photo(self, action) -> None:
        if self._failing():
            return
        url = urlsplit(self.path)
        token = parse_qs(url.query).get("access_token", [""])[0]
        if token != self.state.token:
            return self._reply(400, _error(190, "Invalid OAuth access token data."))
        photo_id = url.path.strip("/").split("/")[-1]
        if photo_id not in self.state.photos:
            message = f"Unsupported request. Object with ID '{photo_id}' does not exist"
            return self._reply(400, _error(100, message, "GraphMethodException", error_subcode=33))
        self._reply(200, action(photo_id))

    def _failing(self) -> bool:
        if self.state.failure == "error500":
            self._reply(500, _error(1, "An unknown error occurred", is_transient=True))
            return True
        if self.state.failure == "stall":
            time.sleep(self.state.stall_seconds)
            self._reply(504, _error(2, "Service temporarily unavailable", is_transient=True))
            return True
        return False

    def _multipart(self) -> dict[str, bytes | str]:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        head = f"Content-Type: {self.headers.get('Content-Type', '')}\r\n\r\n".encode()
        message = BytesParser(policy=HTTP).parsebytes(head + body)
        fields: dict[str, bytes | str] = {}
        self._types: dict[str, str] = {}
        for part in message.iter_parts() if message.is_multipart() else []:
            name = part.get_param("name", header="content-disposition")
            self._types[name] = part.get_content_type()
            payload = part.get_payload(decode=True) or b""
            fields[name] = payload if part.get_filename() else payload.decode()
        return fields

    def _reply(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@contextmanager
def start_graph_api(page_id: str = "4242", token: str = "page-token-secret") -> Iterator[tuple[str, GraphState]]:
    """Serve the stand-in on a free port; yields its base URL and its state (photos, failure mode)."""
    state = GraphState(page_id, token)
    handler = type("BoundGraphHandler", (GraphHandler,), {"state": state})
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", state
    finally:
        server.shutdown()
        server.server_close()
