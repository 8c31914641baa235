"""Build the FastAPI app: routers per audience, static files from the package, refusals that reveal nothing."""

import logging
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy.orm import Session, sessionmaker
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint

from mediacheck.config import AppSettings
from models.database import session_factory
from models.errors import NotFound, RecordsError
from web.auth import BadCsrf, NotAllowed, NotLoggedIn
from web.pages import render
from web.routers import admin, api, consent, login, publishing, review, teacher
from web.state import WebState
from worker.app import BrokerUnreachable, celery_app

log = logging.getLogger(__name__)

STATIC = Path(__file__).with_name("static")
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data: blob:; frame-ancestors 'none'; "
    "form-action 'self'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
"""No referrer: a consent link's token must never leak to another site through a click."""
HSTS = "max-age=31536000"
"""Over https, browsers must never come back over plain http (a login or a child's photo in the clear)."""


def create_app(settings: AppSettings | None = None, factory: sessionmaker[Session] | None = None) -> FastAPI:
    settings = settings or AppSettings()
    app = FastAPI(
        title="mediacheck",
        summary="Publish school event photos without publishing a child who has no consent.",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.web = WebState(settings, factory or session_factory(settings))
    celery_app.configure(settings)  # every thread of the app sends to this school's broker
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for router in (login.router, teacher.router, publishing.router, review.router, consent.router, admin.router):
        app.include_router(router)
    app.include_router(api.router, prefix="/api")
    app.add_middleware(BaseHTTPMiddleware, dispatch=_security_headers)
    _add_refusals(app)
    return app


async def _security_headers(request: Request, call_next: RequestResponseEndpoint) -> Response:
    response = await call_next(request)
    response.headers.update(SECURITY_HEADERS)
    if request.url.scheme == "https":  # uvicorn trusts X-Forwarded-Proto only from its forwarded_allow_ips
        response.headers["Strict-Transport-Security"] = HSTS
    if not request.url.path.startswith("/static/"):
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def _add_refusals(app: FastAPI) -> None:
    @app.exception_handler(NotLoggedIn)
    async def not_logged_in(request: Request, _: NotLoggedIn) -> Response:
        if _wants_json(request) or request.method != "GET":
            return JSONResponse({"detail": "log in first"}, status_code=401)
        return RedirectResponse(f"/login?next={request.url.path}", status_code=303)

    @app.exception_handler(NotAllowed)
    async def not_allowed(request: Request, _: NotAllowed) -> Response:
        return _refusal(request, 403, "Your role does not give access to this page.")

    @app.exception_handler(BadCsrf)
    async def bad_csrf(request: Request, _: BadCsrf) -> Response:
        return _refusal(request, 403, "This form has expired. Go back, reload the page and try again.")

    @app.exception_handler(NotFound)
    async def not_found(request: Request, _: NotFound) -> Response:
        return _refusal(request, 404, "There is nothing here.")

    @app.exception_handler(BrokerUnreachable)
    async def broker_unreachable(request: Request, error: BrokerUnreachable) -> Response:
        log.error("%s (%s)", error, error.__cause__)
        return _refusal(request, 503, str(error))

    @app.exception_handler(RecordsError)
    async def refused(request: Request, error: RecordsError) -> Response:
        return _refusal(request, 400, str(error))


def _refusal(request: Request, status: int, message: str) -> Response:
    if _wants_json(request):
        return JSONResponse({"detail": message}, status_code=status)
    return render(request, "refusal.html", status, message=message, status=status)


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or "application/json" in request.headers.get("accept", "")
