"""The JSON API for scripts and integrations, with its OpenAPI description (served from here, no CDN).

Same sessions and roles as the pages; it reads what the pages show, and never names a student:
media and faces are identified by id, students not at all (R10).
"""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.openapi.utils import get_openapi
from fastapi.responses import Response
from fastapi.routing import iter_route_contexts
from pydantic import BaseModel
from sqlalchemy import select

from models import album_service, decision_service, review_service
from models.errors import NotFound
from models.media import LIVE_PUBLICATION, Media, Publication, PublicationState
from web.auth import ANY_STAFF, PUBLISH, REVIEW, UPLOAD, Staff, allow
from web.pages import render
from web.state import transaction

router = APIRouter(tags=["api"])


class AlbumOut(BaseModel):
    id: int
    name: str
    event_date: str | None
    group: str | None


class FileOut(BaseModel):
    id: int
    name: str
    kind: str
    state: str
    """processing, checked or failed."""
    reason: str | None
    progress: int | None
    """Percent done while a long file (a video) is processed."""


class ChannelOut(BaseModel):
    status: str
    """publishable, redacted, blocked or review: decided now, with the consent in force."""
    faces_redacted: int


class PublicationOut(BaseModel):
    id: int
    media_id: int
    channel: str
    published_at: datetime
    state: str
    """publishing, published or takedown_pending."""
    takedown_pending: bool
    """It must come down: asked for, or overtaken by a change of consent or policy."""


class QueueOut(BaseModel):
    waiting: int
    face_ids: list[int]


@router.get("/albums")
def api_albums(request: Request, staff: Annotated[Staff, Depends(allow(*UPLOAD))]) -> list[AlbumOut]:
    with transaction(request) as session:
        return [
            AlbumOut(
                id=a.id,
                name=a.name,
                event_date=a.event_date.isoformat() if a.event_date else None,
                group=a.group.name if a.group else None,
            )
            for a in album_service.albums(session, staff.actor, staff.sees_all_albums)
        ]


@router.get("/albums/{album_id}/files")
def api_files(request: Request, album_id: int, staff: Annotated[Staff, Depends(allow(*UPLOAD))]) -> list[FileOut]:
    with transaction(request) as session:
        album = album_service.album(session, album_id, staff.actor, staff.sees_all_albums)
        return [
            FileOut(id=m.id, name=m.filename, kind=m.kind.value, **vars(album_service.file_state(m)))
            for m in album_service.album_media(session, album)
        ]


@router.get("/media/{media_id}/channels")
def api_channels(
    request: Request, media_id: int, staff: Annotated[Staff, Depends(allow(*PUBLISH))]
) -> dict[str, ChannelOut]:
    with transaction(request) as session:
        media = session.get(Media, media_id)
        if media is None:
            raise NotFound("no such media")
        decisions = decision_service.current_decisions(session, media)
    return {k: ChannelOut(status=d.status.value, faces_redacted=len(d.redact)) for k, d in decisions.items()}


@router.get("/publications")
def api_publications(request: Request, staff: Annotated[Staff, Depends(allow(*PUBLISH))]) -> list[PublicationOut]:
    with transaction(request) as session:
        live = session.scalars(select(Publication).where(Publication.state.in_(LIVE_PUBLICATION))).all()
        overtaken = {p.id for p in decision_service.overtaken_publications(session)}
        return [
            PublicationOut(
                id=p.id,
                media_id=p.media_id,
                channel=p.channel.key,
                published_at=p.published_at,
                state=p.state.value,
                takedown_pending=p.state is PublicationState.TAKEDOWN_PENDING or p.id in overtaken,
            )
            for p in live
        ]


@router.get("/review/queue")
def api_queue(request: Request, staff: Annotated[Staff, Depends(allow(*REVIEW))]) -> QueueOut:
    with transaction(request) as session:
        faces = review_service.queue(session)
    return QueueOut(waiting=len(faces), face_ids=[f.id for f in faces])


@router.get("/openapi.json", include_in_schema=False)
def openapi(request: Request, staff: Annotated[Staff, Depends(allow(*ANY_STAFF))]) -> dict:
    return _schema(request)


@router.get("/docs", include_in_schema=False)
def docs(request: Request, staff: Annotated[Staff, Depends(allow(*ANY_STAFF))]) -> Response:
    return render(request, "api_docs.html", schema=_schema(request))


def _schema(request: Request) -> dict:
    """The description of the /api routes only: the pages are not an API."""
    routes = [r for r in iter_route_contexts(request.app.routes) if (r.path or "").startswith("/api/")]
    app = request.app
    return get_openapi(title=app.title, version="1", summary=app.summary, routes=routes)
