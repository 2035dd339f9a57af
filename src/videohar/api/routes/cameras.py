"""Cameras (seed paths `/cameras`, `/cameras/{id}`) and sharing."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Body, HTTPException
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import delete, select

from videohar.api.deps import DB, CurrentUser, SettingsDep, WriterUser
from videohar.api.schemas import CameraId, Message, errors
from videohar.bus.connection import get_redis
from videohar.bus.frames import delete_frames
from videohar.cameras.access import CameraNotFound, CameraReadOnly, can_edit, get_camera, visible_query
from videohar.cameras.changes import announce_camera_change
from videohar.cameras.probe import DEFAULT_TIMEOUT_S, ProbeBusy, ProbeGuard, ProbeResult, probe_source
from videohar.cameras.schemas import CameraCreate, CameraOut, CameraSettings, CameraUpdate
from videohar.cameras.urls import InvalidStreamURL, classify, masked
from videohar.db.models import Camera, CameraShare, User

log = logging.getLogger("videohar.cameras")
router = APIRouter(tags=["cameras"])


def camera_or_error(db: DB, user: User, camera_id: CameraId, *, write: bool = False) -> Camera:
    """The camera, or 404 (not visible) / 403 (visible but read-only)."""
    try:
        return get_camera(db, user, camera_id, write=write)
    except CameraNotFound:
        raise HTTPException(404, "camera not found") from None
    except CameraReadOnly:
        raise HTTPException(403, "you can view this camera but not change it") from None


def to_out(camera: Camera, user: User) -> CameraOut:
    return CameraOut(
        id=camera.id,
        name=camera.name,
        stream_url=masked(camera.stream_url),
        location=camera.location,
        group=camera.group,
        enabled=camera.enabled,
        recognition=camera.recognition,
        settings=CameraSettings.model_validate(camera.settings or {}),
        owner=camera.owner.username,
        can_edit=can_edit(user, camera),
        version=camera.version,
        created_at=camera.created_at,
        updated_at=camera.updated_at,
    )


def _validate_url(url: str, settings: SettingsDep) -> str:
    try:
        classify(url, settings.allowed_media_dirs)
    except InvalidStreamURL as exc:
        raise HTTPException(422, f"stream_url: {exc}") from None
    return url.strip()


@router.get("/cameras", response_model=list[CameraOut], responses=errors(401))
def list_cameras(user: CurrentUser, db: DB) -> list[CameraOut]:
    return [to_out(c, user) for c in db.scalars(visible_query(user))]


@router.post("/cameras", status_code=201, response_model=CameraOut, responses=errors(401, 403, 422))
def add_camera(body: CameraCreate, user: WriterUser, db: DB, settings: SettingsDep) -> CameraOut:
    url = _validate_url(body.stream_url, settings)
    camera = Camera(
        owner_id=user.id,
        name=body.name,
        stream_url=url,
        location=body.location,
        group=body.group,
        enabled=body.enabled,
        recognition=body.recognition,
        settings=body.settings.model_dump(),
        owner=user,
    )
    db.add(camera)
    db.flush()
    log.info("camera %s added by %s: %s", camera.id, user.username, masked(url))
    announce_camera_change(camera.id)
    return to_out(camera, user)


@router.get("/cameras/{camera_id}", response_model=CameraOut, responses=errors(401, 404))
def read_camera(camera_id: CameraId, user: CurrentUser, db: DB) -> CameraOut:
    return to_out(camera_or_error(db, user, camera_id), user)


@router.patch("/cameras/{camera_id}", response_model=CameraOut, responses=errors(401, 403, 404, 422))
def update_camera(
    camera_id: CameraId, body: CameraUpdate, user: CurrentUser, db: DB, settings: SettingsDep
) -> CameraOut:
    camera = camera_or_error(db, user, camera_id, write=True)
    fields = body.model_dump(exclude_unset=True)
    if "stream_url" in fields:
        fields["stream_url"] = _validate_url(fields["stream_url"], settings)
    if "settings" in fields:
        merged = {**(camera.settings or {}), **(fields["settings"] or {})}
        try:
            fields["settings"] = CameraSettings.model_validate(merged).model_dump()
        except ValueError as exc:
            raise HTTPException(422, f"settings: {exc}") from None
    for name, value in fields.items():
        if value is None and name not in ("settings",):
            continue
        setattr(camera, name, value)
    camera.version += 1
    db.flush()
    announce_camera_change(camera.id)
    return to_out(camera, user)


@router.delete("/cameras/{camera_id}", response_model=Message, responses=errors(401, 403, 404))
def delete_camera(camera_id: CameraId, user: CurrentUser, db: DB) -> Message:
    camera = camera_or_error(db, user, camera_id, write=True)
    db.delete(camera)
    db.flush()
    delete_frames(get_redis(), camera_id)
    announce_camera_change(camera_id)
    return Message(message="Camera deleted")


TimeoutField = Field(
    DEFAULT_TIMEOUT_S, ge=1, le=20, description="Seconds to wait for the source to answer with a frame."
)


class CameraTestIn(BaseModel):
    """A source to try before saving it; validated exactly like `stream_url` when adding a camera."""

    model_config = ConfigDict(extra="forbid")

    stream_url: str = Field(min_length=1, max_length=2048)
    timeout_s: float = TimeoutField


class CameraTestOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    timeout_s: float = TimeoutField


CameraTestOut = ProbeResult


def _run_test(user: User, url: str, timeout_s: float) -> CameraTestOut:
    try:
        with ProbeGuard(get_redis(), user.id, hold_s=timeout_s + 5):
            result: ProbeResult = probe_source(url, timeout_s=timeout_s)
    except ProbeBusy as exc:
        raise HTTPException(429, str(exc), headers={"Retry-After": str(exc.retry_after)}) from None
    log.info("connection test by %s of %s: %s", user.username, masked(url), result.message)
    return result


@router.post("/cameras/test", response_model=CameraTestOut, responses=errors(401, 403, 422, 429))
def test_new_camera(body: CameraTestIn, user: WriterUser, settings: SettingsDep) -> CameraTestOut:
    """Connection test for a URL not saved yet: open it, read one frame, return its size, codec, fps and a
    small snapshot. A failing source is a 200 with `ok=false`. One test at a time per user, 10 a minute."""
    url = _validate_url(body.stream_url, settings)
    return _run_test(user, url, body.timeout_s)


@router.post("/cameras/{camera_id}/test", response_model=CameraTestOut, responses=errors(401, 403, 404, 422, 429))
def test_saved_camera(
    camera_id: CameraId,
    user: CurrentUser,
    db: DB,
    settings: SettingsDep,
    body: Annotated[CameraTestOptions | None, Body()] = None,
) -> CameraTestOut:
    """Connection test of a saved camera's stored URL (its credentials never leave the server)."""
    camera = camera_or_error(db, user, camera_id, write=True)
    url = camera.stream_url
    db.close()  # no database connection held while the camera answers
    try:
        classify(url, settings.allowed_media_dirs)
    except InvalidStreamURL as exc:
        return CameraTestOut(ok=False, message=f"the saved stream URL is not allowed any more: {exc}")
    return _run_test(user, url, (body or CameraTestOptions()).timeout_s)


class SharesIn(BaseModel):
    usernames: list[str] = Field(default_factory=list, max_length=200)


class SharesOut(BaseModel):
    usernames: list[str]


def _shares(db: DB, camera_id: int) -> SharesOut:
    rows = db.scalars(
        select(User.username)
        .join(CameraShare, CameraShare.user_id == User.id)
        .where(CameraShare.camera_id == camera_id)
    )
    return SharesOut(usernames=sorted(rows))


@router.get("/cameras/{camera_id}/shares", response_model=SharesOut, responses=errors(401, 403, 404))
def read_shares(camera_id: CameraId, user: CurrentUser, db: DB) -> SharesOut:
    camera_or_error(db, user, camera_id, write=True)
    return _shares(db, camera_id)


@router.put("/cameras/{camera_id}/shares", response_model=SharesOut, responses=errors(401, 403, 404, 422))
def replace_shares(camera_id: CameraId, body: SharesIn, user: CurrentUser, db: DB) -> SharesOut:
    """Give these users read access (replacing the previous list)."""
    camera_or_error(db, user, camera_id, write=True)
    users = {u.username: u for u in db.scalars(select(User).where(User.username.in_(body.usernames)))}
    missing = sorted(set(body.usernames) - set(users))
    if missing:
        raise HTTPException(422, f"unknown users: {', '.join(missing[:10])}")
    db.execute(delete(CameraShare).where(CameraShare.camera_id == camera_id))
    for u in users.values():
        db.add(CameraShare(camera_id=camera_id, user_id=u.id))
    db.flush()
    return _shares(db, camera_id)
