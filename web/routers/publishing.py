"""Communications: the media library with a traffic light per channel, the photo page with the exact
preview per channel, publishing a selection, and the live publications with takedown.

Every light and preview is decided now from the records (`models.decision_service`), and the
worker checks consent once more inside the transaction that records a publication.
"""

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from mediacheck.imaging import ImageError
from mediacheck.policy import ChannelDecision
from models import album_service, decision_service, media_service, publication_service, review_service
from models.channels import Channel
from models.errors import NotFound, RecordsError
from models.media import LIVE_PUBLICATION, Media, Publication, PublicationState
from web import tasks
from web.auth import PUBLISH, REVIEW, Staff, allow
from web.pages import redirect_saying, render
from web.state import transaction, web_state

router = APIRouter(tags=["publishing"])
Publisher = Annotated[Staff, Depends(allow(*PUBLISH))]
PhotoViewer = Annotated[Staff, Depends(allow(*REVIEW))]
"""The photo page shows who each face is: the roles that may see that (R8), audited (R9)."""


@router.get("/library")
def library(request: Request, staff: Publisher) -> Response:
    with transaction(request) as session:
        albums = album_service.albums(session, staff.actor, see_all=True)
        counts = album_service.media_counts(session)
        pending = _takedowns(session)
        return render(request, "library.html", albums=albums, counts=counts, pending=pending)


@router.get("/library/albums/{album_id}")
def album_grid(request: Request, album_id: int, staff: Publisher) -> Response:
    with transaction(request) as session:
        album = album_service.album(session, album_id, staff.actor, see_all=True)
        medias = album_service.album_media(session, album)
        decisions = decision_service.decisions_for(session, medias)
        live = _live_channels(session, [m.id for m in medias])
        channels = _channels(session)
        return render(
            request, "library_album.html", album=album, medias=medias, decisions=decisions, live=live, channels=channels
        )


@router.post("/library/albums/{album_id}/publish")
async def publish_selection(request: Request, album_id: int, staff: Publisher) -> Response:
    form = await request.form()
    channel = str(form.get("channel", ""))
    wanted = [int(v) for v in form.getlist("media") if str(v).isdigit()]
    queued, skipped = await run_in_threadpool(_publishable, request, album_id, staff, channel, wanted)
    for media_id in queued:
        tasks.publish(media_id, channel, staff.username)
    done = f"{len(queued)} queued for publication on {channel}"
    if skipped:
        done += f"; {len(skipped)} not publishable there now and skipped"
    return redirect_saying(request, f"/library/albums/{album_id}", done)


@router.get("/media/{media_id}")
def photo_page(request: Request, media_id: int, staff: PhotoViewer) -> Response:
    with transaction(request) as session:
        media = _media(session, media_id)
        decisions = decision_service.current_decisions(session, media)
        media_service.view_media(session, media, staff.actor)
        faces = [(face, review_service.is_waiting(face)) for face in media.faces]
        publications = _publications(session, media.id)
        channels = _channels(session)
        return render(
            request,
            "photo.html",
            media=media,
            faces=faces,
            decisions=decisions,
            channels=channels,
            publications=publications,
            may_publish=staff.may(PUBLISH),
        )


@router.get("/media/{media_id}/preview/{channel}")
def preview(request: Request, media_id: int, channel: str, staff: Publisher) -> Response:
    """Exactly the bytes that would go out on the channel now (`PhotoChecker.render`), or 404; for a
    video, a still of its copy."""
    state = web_state(request)
    with transaction(request) as session:
        media = _media(session, media_id)
        media_service.view_preview(session, media, staff.actor)
        try:
            rendered = decision_service.render(session, media, channel, state.checker())
        except ImageError as error:  # a video whose tracks or frames cannot be read: it goes nowhere either
            raise NotFound(f"no preview: {error}") from None
    if rendered is None:
        raise NotFound("nothing of this media may go out on this channel now")
    content, suffix = rendered
    media_type = {".jpg": "image/jpeg", ".png": "image/png", ".webp": "image/webp"}[suffix]
    return Response(content, media_type=media_type, headers={"Cache-Control": "no-store"})


@router.get("/publications")
def publications_page(request: Request, staff: Publisher) -> Response:
    with transaction(request) as session:
        live = session.scalars(
            select(Publication)
            .where(Publication.state.in_(LIVE_PUBLICATION))
            .order_by(Publication.published_at.desc())
            .options(selectinload(Publication.media), selectinload(Publication.channel))
        ).all()
        ended = session.scalars(
            select(Publication)
            .where(Publication.state.in_([PublicationState.UNPUBLISHED, PublicationState.FAILED]))
            .order_by(Publication.id.desc())
            .limit(20)
        ).all()
        pending = _takedowns(session)
        return render(
            request, "publications.html", live=live, ended=ended, pending=pending, pending_ids={p.id for p in pending}
        )


@router.post("/publications/{publication_id}/unpublish")
def unpublish(request: Request, publication_id: int, staff: Publisher) -> Response:
    """Staff take a copy down: recorded first (it stays down, and reconcile finishes it if the message is
    lost), then sent to the worker (R5)."""
    with transaction(request) as session:
        publication = session.get(Publication, publication_id)
        if publication is None or publication.state not in LIVE_PUBLICATION:
            raise NotFound("no such live publication")
        publication_service.unpublish_by_staff(session, publication_id, staff.actor)
    tasks.take_down(publication_id)
    return redirect_saying(request, "/publications", "takedown queued")


@router.post("/publications/{publication_id}/removed-by-hand")
def removed_by_hand(request: Request, publication_id: int, staff: Publisher) -> Response:
    """Staff removed a copy the worker cannot reach (the channel never confirmed its id): record it (R5)."""
    with transaction(request) as session:
        publication_service.removed_by_hand(session, publication_id, staff.actor)
    return redirect_saying(request, "/publications", "recorded as removed by hand")


def _publishable(
    request: Request, album_id: int, staff: Staff, channel: str, wanted: list[int]
) -> tuple[list[int], list[int]]:
    """Split the selection: what may go out on the channel now, and what not (the worker checks again)."""
    with transaction(request) as session:
        album = album_service.album(session, album_id, staff.actor, see_all=True)
        if channel not in {c.key for c in _channels(session)}:
            raise RecordsError("choose a channel to publish to")
        medias = [m for m in album_service.album_media(session, album) if m.id in set(wanted)]
        decided = decision_service.decisions_for(session, medias)
    ok = [m.id for m in medias if _may_go_out(decided[m.id].get(channel))]
    return ok, [m.id for m in medias if m.id not in ok]


def _takedowns(session: Session) -> list[Publication]:
    """Copies that must come down: asked for and not confirmed yet, or overtaken and not asked for yet."""
    return [*publication_service.pending_takedowns(session), *decision_service.overtaken_publications(session)]


def _may_go_out(decision: ChannelDecision | None) -> bool:
    return decision is not None and decision.may_go_out


def _media(session: Session, media_id: int) -> Media:
    media = session.get(Media, media_id)
    if media is None:
        raise NotFound("no such media")
    return media


def _channels(session: Session) -> list[Channel]:
    return list(session.scalars(select(Channel).where(Channel.active.is_(True)).order_by(Channel.id)))


def _publications(session: Session, media_id: int) -> list[Publication]:
    return list(
        session.scalars(select(Publication).where(Publication.media_id == media_id).order_by(Publication.id.desc()))
    )


def _live_channels(session: Session, media_ids: list[int]) -> dict[int, set[str]]:
    live: dict[int, set[str]] = {}
    rows = session.execute(
        select(Publication.media_id, Channel.key)
        .join(Channel, Channel.id == Publication.channel_id)
        .where(Publication.media_id.in_(media_ids), Publication.state.in_(LIVE_PUBLICATION))
    )
    for media_id, key in rows:
        live.setdefault(media_id, set()).add(key)
    return live
