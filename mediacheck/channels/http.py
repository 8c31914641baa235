"""The HTTP call shared by the web channels: one place that turns transport trouble and error
statuses into ChannelError, so no adapter can drop a failure silently."""

from collections.abc import Callable

import httpx

from mediacheck.channels.base import ChannelError

RETRYABLE_STATUS = {408, 425, 429, 500, 502, 503, 504}


def not_found(response: httpx.Response) -> bool:
    return response.status_code in (404, 410)


def send(
    client: httpx.Client,
    request: httpx.Request,
    *,
    missing_ok: bool = False,
    is_missing: Callable[[httpx.Response], bool] = not_found,
) -> httpx.Response | None:
    """Send `request`; None when `missing_ok` and the answer says the object is gone, else the
    successful response. Every other outcome raises ChannelError."""
    try:
        response = client.send(request)
    except httpx.TimeoutException:
        raise ChannelError(f"{request.method} {_where(request)}: timed out", retryable=True) from None
    except httpx.TransportError as error:
        raise ChannelError(f"{request.method} {_where(request)}: {error}", retryable=True) from None
    if missing_ok and is_missing(response):
        return None
    if response.is_success:
        return response
    raise ChannelError(
        f"{request.method} {_where(request)}: HTTP {response.status_code} {_reason(response)}",
        retryable=response.status_code in RETRYABLE_STATUS,
    )


def _where(request: httpx.Request) -> str:
    """The URL without its query: access tokens travel there and must not reach logs."""
    return str(request.url.copy_with(query=None))


def _reason(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):  # Graph API
        return f"{error.get('type', '')} {error.get('code', '')}: {error.get('message', '')}".strip()
    if isinstance(body, dict) and "message" in body:  # WordPress
        return f"{body.get('code', '')}: {body['message']}"
    return response.text[:200]
