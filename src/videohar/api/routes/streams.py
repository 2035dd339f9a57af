"""The seed's camera service: status, snapshots, MJPEG streams (raw and recognized), stored images."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import FileResponse, Response, StreamingResponse
from pydantic import BaseModel

from videohar.api.deps import DB, UNAUTHORIZED, CurrentUser, MaybeUser, SettingsDep
from videohar.api.routes.cameras import camera_or_error
from videohar.api.schemas import CameraId, errors
from videohar.bus import keys
from videohar.bus.connection import get_redis
from videohar.bus.frames import MJPEG_MEDIA_TYPE, FrameHub, mjpeg_parts, read_latest
from videohar.cameras.access import visible_query
from videohar.cameras.ingest import ONLINE, read_status
from videohar.media import signed_urls
from videohar.media.paths import UnsafeMediaPath, resolve_media

router = APIRouter(tags=["streams"])

MJPEG_DOC = {200: {"content": {MJPEG_MEDIA_TYPE.split(";")[0]: {}}, "description": "MJPEG stream"}}
JPEG_DOC = {200: {"content": {"image/jpeg": {}}, "description": "JPEG image"}}


class CameraStatus(BaseModel):
    camera_id: int
    state: str
    reason: str = ""
    detail: dict[str, object] = {}


@router.get("/camera_status", response_model=dict[str, str], responses=errors(401))
def camera_status(user: CurrentUser, db: DB) -> dict[str, str]:
    """Seed shape: `{"camera_1": "active", "camera_2": "inactive"}` for the caller's cameras."""
    ids = [c.id for c in db.scalars(visible_query(user))]
    statuses = read_status(get_redis(), ids)
    return {f"camera_{i}": "active" if statuses[i]["state"] == ONLINE else "inactive" for i in ids}


@router.get("/cameras/{camera_id}/status", response_model=CameraStatus, responses=errors(401, 404))
def camera_detail_status(camera_id: CameraId, user: CurrentUser, db: DB) -> CameraStatus:
    """State (connecting / online / offline / error) with the reason and counters of ingest and recognition."""
    camera_or_error(db, user, camera_id)
    r = get_redis()
    status = dict(read_status(r, [camera_id])[camera_id])
    state = str(status.pop("state", "offline"))
    reason = str(status.pop("reason", "") or "")
    status.pop("camera_id", None)
    worker = r.get(keys.worker_status_key(camera_id))
    if worker:
        import json

        status["recognition"] = json.loads(worker)
    return CameraStatus(camera_id=camera_id, state=state, reason=reason, detail=status)


@router.get("/get_snapshot/{camera_id}", response_class=Response, responses={**JPEG_DOC, **errors(401, 404)})
def get_snapshot(camera_id: CameraId, user: CurrentUser, db: DB) -> Response:
    """The latest frame as JPEG; 404 when the camera has no live frame."""
    camera_or_error(db, user, camera_id)
    frame = read_latest(get_redis(), camera_id)
    if frame is None:
        raise HTTPException(404, "this camera has no frame (offline or starting)")
    return Response(
        frame.jpeg, media_type="image/jpeg", headers={"Cache-Control": "no-store", "X-Frame-Seq": str(frame.meta.seq)}
    )


def _stream(request: Request, camera_id: int, kind: str) -> StreamingResponse:
    from videohar.api.app import frame_hub

    hub: FrameHub = frame_hub(request.app)
    return StreamingResponse(
        mjpeg_parts(hub, camera_id, kind),
        media_type=MJPEG_MEDIA_TYPE,
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


@router.get("/get_stream/{camera_id}", response_class=StreamingResponse, responses={**MJPEG_DOC, **errors(401, 404)})
def get_stream(camera_id: CameraId, request: Request, user: CurrentUser, db: DB) -> StreamingResponse:
    """Live MJPEG (`multipart/x-mixed-replace; boundary=frame`) of the camera, never re-encoded."""
    camera_or_error(db, user, camera_id)
    db.close()
    return _stream(request, camera_id, keys.LATEST_FRAME)


@router.get(
    "/recognized_stream/{camera_id}", response_class=StreamingResponse, responses={**MJPEG_DOC, **errors(401, 404)}
)
def recognized_stream(camera_id: CameraId, request: Request, user: CurrentUser, db: DB) -> StreamingResponse:
    """Live MJPEG of annotated frames (boxes, skeletons, track ids, actions, areas)."""
    camera_or_error(db, user, camera_id)
    db.close()
    return _stream(request, camera_id, keys.BOXED_IMAGE)


@router.get("/image/{path:path}", response_class=FileResponse, responses={**JPEG_DOC, **errors(401, 404, 422)})
def image(
    path: str,
    user: MaybeUser,
    settings: SettingsDep,
    exp: Annotated[int | None, Query(ge=0, le=2**40, description="Expiry (Unix time) of a signed link.")] = None,
    sig: Annotated[str | None, Query(max_length=64, description="Signature of a signed link.")] = None,
) -> FileResponse:
    """A stored image under the media directory; anything else (traversal, symlinks out) is a 404.

    Without a session, a signed link (`exp` + `sig`, made for alert images that LINE fetches) opens
    exactly this path until it expires."""
    if user is None and not (exp is not None and sig and signed_urls.verify(settings.secret(), path, exp, sig)):
        raise UNAUTHORIZED
    try:
        target = resolve_media(settings.media_path, path)
    except UnsafeMediaPath:
        raise HTTPException(404, "image not found") from None
    if not target.is_file() or target.suffix.lower() not in {".jpg", ".jpeg", ".png"}:
        raise HTTPException(404, "image not found")
    return FileResponse(target, headers={"Cache-Control": "private, max-age=3600"})
