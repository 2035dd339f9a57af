"""The web UI: server-rendered page shells (Jinja2) whose ES modules call the JSON API.

Pages hold no data of their own: each shell names its JS module and the API paths it needs,
and the module fetches everything with the session cookie. A page whose API is not mounted
yet renders a "coming soon" state instead of failing, so routers can land in any order.
Pages are not part of the OpenAPI document; an anonymous request is redirected to the login page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from videohar import __version__
from videohar.api.deps import DB, SettingsDep, current_user
from videohar.api.schemas import CameraId
from videohar.db.models import Role, User

WEB = Path(__file__).resolve().parents[2] / "web"
templates = Jinja2Templates(directory=WEB / "templates")
router = APIRouter(include_in_schema=False)


@dataclass(frozen=True)
class Page:
    """One entry of the navigation: where it lives, what it needs, who sees it."""

    slug: str
    title: str
    module: str
    api: str
    """The API path whose presence means the page works (checked against the mounted routes)."""
    admin_only: bool = False
    in_nav: bool = True


PAGES: tuple[Page, ...] = (
    Page("dashboard", "Live", "dashboard", "/cameras"),
    Page("cameras", "Cameras", "cameras", "/cameras"),
    Page("events", "Events", "events", "/events"),
    Page("notifications", "Notifications", "notifications", "/notifications"),
    Page("datasets", "Datasets", "datasets", "/datasets"),
    Page("training", "Training", "training", "/jobs"),
    Page("system", "System", "system", "/system", admin_only=True),
    Page("users", "Users", "users", "/users", admin_only=True),
    Page("profile", "Profile", "profile", "/me", in_nav=False),
    Page("label", "Label", "label", "/datasets/{dataset_id}/clips/{clip_id}/segments", in_nav=False),
)
PAGE_BY_SLUG = {p.slug: p for p in PAGES}

OPTIONAL_APIS = (
    "/events",
    "/events/stream",
    "/camera_status",
    "/cameras/{camera_id}/status",
    "/get_snapshot/{camera_id}",
    "/get_stream/{camera_id}",
    "/recognized_stream/{camera_id}",
    "/notifications",
    "/line_tokens",
    "/email_recipients",
    "/webhooks",
    "/notification_rules",
    "/deliveries",
    "/datasets",
    "/clips",
    "/labels",
    "/jobs",
    "/models",
    "/system",
)
"""API paths the pages probe; the JS gets a map of which ones are mounted."""


def _shape(path: str) -> str:
    """A route template with its parameter names erased, so `{id}` and `{camera_id}` match."""
    return re.sub(r"\{[^}]+\}", "{}", path)


def mounted_paths(app: FastAPI) -> set[str]:
    """API paths this app serves, read from its (cached) OpenAPI document: every API route is in it."""
    return {_shape(path) for path in app.openapi().get("paths", {})}


def api_available(app: FastAPI, path: str, mounted: set[str] | None = None) -> bool:
    return _shape(path) in (mounted if mounted is not None else mounted_paths(app))


def _ready(page: Page, mounted: set[str]) -> bool:
    """A page works when its API is mounted and its template has been written."""
    return _shape(page.api) in mounted and (WEB / "templates" / f"{page.slug}.html").is_file()


def page_user(request: Request, db: DB, settings: SettingsDep) -> User | None:
    """The cookie session's user, or None (pages redirect instead of answering 401)."""
    try:
        return current_user(request, db, settings, None)
    except HTTPException:
        return None


PageUser = Annotated[User | None, Depends(page_user)]


def _login_redirect(request: Request) -> RedirectResponse:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/ui/login?next={quote(target, safe='')}", status_code=303)


def _render(
    request: Request, template: str, user: User | None, *, status_code: int = 200, **context: Any
) -> HTMLResponse:
    app: FastAPI = request.app
    mounted = mounted_paths(app)
    apis = {path: api_available(app, path, mounted) for path in OPTIONAL_APIS}
    nav = [
        {"slug": p.slug, "title": p.title, "ready": _ready(p, mounted)}
        for p in PAGES
        if p.in_nav and (not p.admin_only or (user is not None and user.role == Role.admin.value))
    ]
    page_data = {"apis": apis, **context.pop("data", {})}
    if user is not None:
        page_data["user"] = {"id": user.id, "username": user.username, "role": user.role}
    response = templates.TemplateResponse(
        request,
        template,
        {"user": user, "nav": nav, "page_data": page_data, "version": __version__, **context},
        status_code=status_code,
    )
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; "
        "style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'self'; base-uri 'none'"
    )
    return response


@router.get("/")
def root(user: PageUser) -> RedirectResponse:
    return RedirectResponse("/ui/dashboard" if user else "/ui/login", status_code=303)


@router.get("/ui/login")
def login_page(request: Request, user: PageUser, settings: SettingsDep) -> Response:
    return _render(request, "login.html", None, title="Log in", data={"registration": settings.allow_registration})


@router.get("/ui/register")
def register_page(request: Request, settings: SettingsDep) -> Response:
    return _render(
        request, "register.html", None, title="Create account", data={"registration": settings.allow_registration}
    )


@router.get("/ui/logout")
def logout_page(request: Request) -> Response:
    """Logging out is a POST with the CSRF header; this page's script sends it."""
    return _render(request, "logout.html", None, title="Log out")


@router.get("/snapshot_ui/{camera_id}")
def area_editor(request: Request, camera_id: CameraId, user: PageUser) -> Response:
    """The seed's focus-area editor path, now the full rectangle/polygon editor."""
    if user is None:
        return _login_redirect(request)
    return _render(request, "areas.html", user, title="Focus areas", active="cameras", data={"camera_id": camera_id})


@router.get("/ui/{slug}")
def page(request: Request, slug: str, user: PageUser) -> Response:
    found = PAGE_BY_SLUG.get(slug)
    if found is None:
        return _render(request, "not_found.html", user, title="Not found", active="", status_code=404)
    if user is None:
        return _login_redirect(request)
    if found.admin_only and user.role != Role.admin.value:
        return _render(request, "forbidden.html", user, title="Not allowed", active="", status_code=403)
    if not _ready(found, mounted_paths(request.app)):
        data = {"missing_api": found.api}
        return _render(request, "coming_soon.html", user, title=found.title, active=found.slug, data=data)
    return _render(request, f"{found.slug}.html", user, title=found.title, active=found.slug, data={"page": found.slug})


def install(app: FastAPI) -> None:
    """Mount the pages and their static files (called once by `create_app`)."""
    app.include_router(router)
    app.mount("/static", StaticFiles(directory=WEB / "static"), name="static")
