"""Events: list, read, review, media downloads, manual/test events and the live SSE feed."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Path, Query, Request
from fastapi.responses import FileResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, select

from videohar.api.deps import DB, CurrentUser, SettingsDep
from videohar.api.routes.cameras import camera_or_error
from videohar.api.schemas import errors
from videohar.bus import keys
from videohar.bus.connection import get_redis, new_async_redis
from videohar.cameras.access import can_edit, visible_query
from videohar.db.models import Camera, Event, EventState, User
from videohar.events.store import announce, close_event, open_event
from videohar.media.paths import UnsafeMediaPath, resolve_media
from videohar.media.store import event_media_dir, write_atomic

router = APIRouter(tags=["events"])
EventId = Annotated[int, Path(ge=1, le=2**31 - 1, description="Event id")]


class EventOut(BaseModel):
    id: int
    camera_id: int
    camera_name: str
    area_id: int | None
    area_name: str
    track_id: int | None
    label: str
    score: float
    started_at: datetime
    ended_at: datetime | None
    state: EventState
    note: str
    source: str
    has_snapshot: bool
    has_clip: bool
    has_skeleton: bool


class EventPage(BaseModel):
    items: list[EventOut]
    total: int
    limit: int
    offset: int


class EventUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    state: EventState | None = None
    note: str | None = Field(None, max_length=2000)


class EventCreate(BaseModel):
    """A manual (or test) event: raised by an operator, notified like any other."""

    model_config = ConfigDict(extra="forbid")

    camera_id: int = Field(ge=1, le=2**31 - 1)
    label: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_ .-]+$")
    score: float = Field(1.0, ge=0, le=1)
    area_name: str = Field("", max_length=100)
    track_id: int | None = Field(None, ge=0, le=2**31 - 1)


def to_out(e: Event) -> EventOut:
    return EventOut(
        id=e.id,
        camera_id=e.camera_id,
        camera_name=e.camera.name,
        area_id=e.area_id,
        area_name=e.area_name,
        track_id=e.track_id,
        label=e.label,
        score=e.score,
        started_at=e.started_at,
        ended_at=e.ended_at,
        state=EventState(e.state),
        note=e.note,
        source=e.source,
        has_snapshot=bool(e.snapshot_path),
        has_clip=bool(e.clip_path),
        has_skeleton=bool(e.skeleton_path),
    )


def _visible_camera_ids(user: User):  # type: ignore[no-untyped-def]
    return visible_query(user).with_only_columns(Camera.id).order_by(None)


def event_or_404(db: DB, user: User, event_id: int) -> Event:
    event = db.scalar(select(Event).where(Event.id == event_id, Event.camera_id.in_(_visible_camera_ids(user))))
    if event is None:
        raise HTTPException(404, "event not found")
    return event


@router.get("/events", response_model=EventPage, responses=errors(401, 422))
def list_events(
    user: CurrentUser,
    db: DB,
    camera_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    label: Annotated[str | None, Query(max_length=64)] = None,
    state: EventState | None = None,
    area: Annotated[str | None, Query(max_length=100)] = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> EventPage:
    """Newest first."""
    query = select(Event).where(Event.camera_id.in_(_visible_camera_ids(user)))
    if camera_id is not None:
        query = query.where(Event.camera_id == camera_id)
    if label:
        query = query.where(Event.label == label)
    if state is not None:
        query = query.where(Event.state == state.value)
    if area:
        query = query.where(Event.area_name == area)
    for bound, op in ((since, "ge"), (until, "lt")):
        if bound is not None:
            bound = bound if bound.tzinfo else bound.replace(tzinfo=UTC)
            query = query.where(Event.started_at >= bound if op == "ge" else Event.started_at < bound)
    total = db.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = db.scalars(query.order_by(Event.started_at.desc(), Event.id.desc()).limit(limit).offset(offset))
    return EventPage(items=[to_out(e) for e in rows], total=total, limit=limit, offset=offset)


@router.post("/events", status_code=201, response_model=EventOut, responses=errors(401, 403, 404, 422))
def create_event(body: EventCreate, user: CurrentUser, db: DB, settings: SettingsDep) -> EventOut:
    """Raise an event by hand (e.g. to test notifications); the latest frame becomes its snapshot."""
    camera = camera_or_error(db, user, body.camera_id, write=True)
    now = datetime.now(UTC)
    event = open_event(
        db,
        camera_id=camera.id,
        label=body.label,
        score=body.score,
        started_at=now,
        track_id=body.track_id,
        area_name=body.area_name,
        source="api",
    )
    close_event(event, ended_at=now)
    r = get_redis()
    jpeg = r.get(keys.frame_key(camera.id, keys.BOXED_IMAGE)) or r.get(keys.frame_key(camera.id))
    if jpeg:
        path = write_atomic(event_media_dir(settings.media_path, camera.id, now) / f"{event.id}.jpg", jpeg)
        event.snapshot_path = path.relative_to(settings.media_path).as_posix()
    db.flush()
    from videohar.notify.dispatch import on_event

    on_event(db, event)
    announce(r, event, "closed", db)  # sent once the row is committed
    return to_out(event)


@router.get("/events/stream", responses={200: {"content": {"text/event-stream": {}}}, **errors(401)})
async def event_stream(request: Request, user: CurrentUser, db: DB) -> StreamingResponse:
    """Server-Sent Events: one `data:` JSON line per event change on the caller's cameras."""
    allowed = set(db.scalars(_visible_camera_ids(user)))
    is_admin = user.role == "admin"
    db.close()
    return StreamingResponse(
        _sse(request, allowed, is_admin),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


async def _sse(request: Request, allowed: set[int], is_admin: bool) -> AsyncIterator[bytes]:
    client = new_async_redis()
    pubsub = client.pubsub()
    await pubsub.subscribe(keys.EVENTS_CHANNEL)
    try:
        yield b": connected\n\n"
        while not await request.is_disconnected():
            msg = await pubsub.get_message(ignore_subscribe_messages=True, timeout=15.0)
            if msg is None:
                yield b": keep-alive\n\n"
                continue
            try:
                payload = json.loads(msg["data"])
            except (TypeError, ValueError):
                continue
            if is_admin or payload.get("camera_id") in allowed:
                yield f"event: {payload.get('phase', 'event')}\ndata: {json.dumps(payload)}\n\n".encode()
    except asyncio.CancelledError:
        pass
    finally:
        await pubsub.aclose()
        await client.aclose()


@router.get("/events/{event_id}", response_model=EventOut, responses=errors(401, 404))
def read_event(event_id: EventId, user: CurrentUser, db: DB) -> EventOut:
    return to_out(event_or_404(db, user, event_id))


@router.patch("/events/{event_id}", response_model=EventOut, responses=errors(401, 403, 404, 422))
def review_event(event_id: EventId, body: EventUpdate, user: CurrentUser, db: DB) -> EventOut:
    """Mark reviewed or false positive (false positives become training feedback)."""
    event = event_or_404(db, user, event_id)
    if user.role == "viewer" and not can_edit(user, event.camera):
        raise HTTPException(403, "viewers cannot review events")
    if body.state is not None:
        event.state = body.state.value
    if body.note is not None:
        event.note = body.note
    db.flush()
    announce(get_redis(), event, "updated", db)
    return to_out(event)


MediaKind = Literal["snapshot", "clip", "skeleton"]
_MEDIA = {
    "snapshot": ("snapshot_path", "image/jpeg"),
    "clip": ("clip_path", "video/mp4"),
    "skeleton": ("skeleton_path", "application/json"),
}


def _media(db: DB, user: User, event_id: int, kind: MediaKind, settings: SettingsDep) -> FileResponse:
    event = event_or_404(db, user, event_id)
    attr, media_type = _MEDIA[kind]
    rel = getattr(event, attr)
    if not rel:
        raise HTTPException(404, f"this event has no {kind}")
    try:
        path = resolve_media(settings.media_path, rel)
    except UnsafeMediaPath:
        raise HTTPException(404, f"this event has no {kind}") from None
    if not path.is_file():
        raise HTTPException(404, f"the {kind} file is gone (retention)")
    return FileResponse(path, media_type=media_type, headers={"Cache-Control": "private, max-age=3600"})


@router.get(
    "/events/{event_id}/snapshot",
    response_class=FileResponse,
    responses={200: {"content": {"image/jpeg": {}}}, **errors(401, 404)},
)
def event_snapshot(event_id: EventId, user: CurrentUser, db: DB, settings: SettingsDep) -> FileResponse:
    return _media(db, user, event_id, "snapshot", settings)


@router.get(
    "/events/{event_id}/clip",
    response_class=FileResponse,
    responses={200: {"content": {"video/mp4": {}}}, **errors(401, 404)},
)
def event_clip(event_id: EventId, user: CurrentUser, db: DB, settings: SettingsDep) -> FileResponse:
    """H.264 MP4 with pre- and post-roll; supports HTTP range requests for seeking."""
    return _media(db, user, event_id, "clip", settings)


@router.get(
    "/events/{event_id}/skeleton",
    response_class=FileResponse,
    responses={200: {"content": {"application/json": {}}}, **errors(401, 404)},
)
def event_skeleton(event_id: EventId, user: CurrentUser, db: DB, settings: SettingsDep) -> FileResponse:
    """The clip's skeleton file (per frame: track id, box, 17 keypoints with scores)."""
    return _media(db, user, event_id, "skeleton", settings)
