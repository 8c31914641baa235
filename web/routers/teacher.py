"""Teachers: event albums, drag-and-drop upload of many files at once, each file's processing state live."""

import secrets
from datetime import date
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from models import album_service, policy_service
from models.errors import NotFound
from models.media import Album, Media
from models.school import Group
from models.uploads import UploadRefused, refuse_too_large
from web import tasks
from web.auth import ANY_STAFF, UPLOAD, Staff, allow
from web.pages import render
from web.state import transaction, web_state
from web.thumbnails import THUMB, VIEW, staff_view

router = APIRouter(tags=["teacher"])
Uploader = Annotated[Staff, Depends(allow(*UPLOAD))]
Viewer = Annotated[Staff, Depends(allow(*ANY_STAFF))]
"""Thumbnails: every staff role, a teacher only of their own albums."""
PLACEHOLDER = Path(__file__).parents[1] / "static" / "video.svg"


@router.get("/albums")
def albums_page(request: Request, staff: Uploader) -> Response:
    with transaction(request) as session:
        albums = album_service.albums(session, staff.actor, staff.sees_all_albums)
        counts = album_service.media_counts(session)
        groups = album_service.groups(session)
        today = web_state(request).today()
        return render(request, "albums.html", albums=albums, counts=counts, groups=groups, today=today)


@router.post("/albums")
def create_album(
    request: Request,
    staff: Uploader,
    name: Annotated[str, Form()],
    event_date: Annotated[date | None, Form()] = None,
    group_id: Annotated[int | None, Form()] = None,
) -> Response:
    with transaction(request) as session:
        group = session.get(Group, group_id) if group_id else None
        album = album_service.create_album(session, name, event_date, group, staff.actor)
    return RedirectResponse(f"/albums/{album.id}", status_code=303)


@router.get("/albums/{album_id}")
def album_page(request: Request, album_id: int, staff: Uploader) -> Response:
    with transaction(request) as session:
        album = album_service.album(session, album_id, staff.actor, staff.sees_all_albums)
        files = [(m, album_service.file_state(m)) for m in album_service.album_media(session, album)]
        limit = web_state(request).settings.max_upload_mb
        return render(request, "album.html", album=album, files=files, limit_mb=limit)


@router.post("/albums/{album_id}/files")
async def upload(request: Request, album_id: int, name: str, staff: Uploader) -> Response:
    """One file as the raw request body (the page sends each file on its own, for progress and retry)."""
    state = web_state(request)
    await run_in_threadpool(_visible_album, request, album_id, staff)
    incoming = state.media_dir / "incoming" / secrets.token_hex(16)
    try:
        await _receive(request, incoming, state.settings.max_upload_mb)
        media = await run_in_threadpool(_take_in, request, album_id, staff, name, incoming)
    except UploadRefused as refusal:
        return JSONResponse({"name": name, "error": str(refusal)}, status_code=422)
    finally:
        incoming.unlink(missing_ok=True)
    tasks.process_media(media.id)
    return JSONResponse(_file_json(media), status_code=201)


@router.get("/media/{media_id}/thumb")
def thumbnail(request: Request, media_id: int, staff: Viewer) -> Response:
    return _view(request, media_id, staff, THUMB)


@router.get("/media/{media_id}/view")
def large_view(request: Request, media_id: int, staff: Viewer) -> Response:
    return _view(request, media_id, staff, VIEW)


def _view(request: Request, media_id: int, staff: Staff, long_side: int) -> Response:
    with transaction(request) as session:
        media = _visible_media(session, media_id, staff)
        max_pixels = policy_service.check_settings(session).max_pixels
    path = staff_view(media, web_state(request).cache_dir, long_side, max_pixels)
    return FileResponse(path or PLACEHOLDER, headers={"Cache-Control": "no-store"})  # not in a shared browser


def _visible_album(request: Request, album_id: int, staff: Staff) -> Album:
    with transaction(request) as session:
        return album_service.album(session, album_id, staff.actor, staff.sees_all_albums)


def _visible_media(session: Session, media_id: int, staff: Staff) -> Media:
    media = session.get(Media, media_id)
    if media is None or media.album_id is None:
        raise NotFound("no such media")
    album_service.album(session, media.album_id, staff.actor, staff.sees_all_albums)
    return media


async def _receive(request: Request, target: Path, limit_mb: int) -> None:
    """Stream the body to disk, refusing it as soon as it passes the limit."""
    refuse_too_large(int(request.headers.get("content-length") or 0), limit_mb)
    target.parent.mkdir(parents=True, exist_ok=True)
    size = 0
    with target.open("wb") as file:
        async for chunk in request.stream():
            size += len(chunk)
            refuse_too_large(size, limit_mb)
            file.write(chunk)


def _take_in(request: Request, album_id: int, staff: Staff, name: str, incoming: Path) -> Media:
    with transaction(request) as session:
        album = album_service.album(session, album_id, staff.actor, staff.sees_all_albums)
        return album_service.add_upload(session, album, name, incoming, web_state(request).media_dir, staff.actor)


def _file_json(media: Media) -> dict:
    return {"id": media.id, "name": media.filename, "kind": media.kind.value, **vars(album_service.file_state(media))}
