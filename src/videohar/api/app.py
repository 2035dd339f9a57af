"""The ASGI application: routers, error handling, OpenAPI."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import Depends, FastAPI
from fastapi.openapi.utils import get_openapi

from videohar import __version__
from videohar.api import errors
from videohar.api.body_limit import UploadSizeLimit, dataset_upload_limit
from videohar.api.query_guard import reject_unknown_query
from videohar.api.routes import (
    areas,
    auth,
    cameras,
    datasets,
    events,
    health,
    jobs,
    models,
    notifications,
    pages,
    streams,
    system,
    users,
)
from videohar.bus.connection import new_async_redis
from videohar.bus.frames import FrameHub


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """The frame hub is made on first use (see `frame_hub`) and closed here."""
    app.state.frame_hub = None
    try:
        yield
    finally:
        hub: FrameHub | None = app.state.frame_hub
        if hub is not None:
            await hub.close()
            await hub.redis.aclose()


def frame_hub(app: FastAPI) -> FrameHub:
    """One Redis subscription hub per API process (its event loop)."""
    if getattr(app.state, "frame_hub", None) is None:
        app.state.frame_hub = FrameHub(new_async_redis())
    return app.state.frame_hub


def create_app() -> FastAPI:
    app = FastAPI(
        lifespan=lifespan,
        dependencies=[Depends(reject_unknown_query)],
        title="VideoAnalysisHAR",
        version=__version__,
        description=(
            "Human action recognition on live cameras. Authenticate with `POST /login` and send "
            "`Authorization: Bearer <access_token>`; browsers use the HttpOnly session cookie plus the "
            "`X-CSRF-Token` header on writes."
        ),
    )
    errors.install(app)
    app.add_middleware(UploadSizeLimit, limit=dataset_upload_limit)
    for router in (
        health.router,
        auth.router,
        users.router,
        cameras.router,
        areas.router,
        streams.router,
        events.router,
        notifications.router,
        system.router,
        datasets.router,
        models.router,
        jobs.router,
    ):
        app.include_router(router)
    pages.install(app)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


def _openapi(app: FastAPI) -> dict[str, Any]:
    """The generated document, plus the error responses every operation can give."""
    if app.openapi_schema:
        return app.openapi_schema
    doc = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
    error_ref = {"application/json": {"schema": errors.ERROR_SCHEMA}}
    for ops in doc.get("paths", {}).values():
        for op in ops.values():
            responses = op.setdefault("responses", {})
            extra = {"400": "Malformed request"} if "requestBody" in op else {}
            if op.get("parameters") or "requestBody" in op:
                extra["422"] = "Validation error"
            for code, text in extra.items():
                responses.setdefault(code, {"description": text, "content": error_ref})
    app.openapi_schema = doc
    return doc
