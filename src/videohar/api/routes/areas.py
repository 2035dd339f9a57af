"""Focus areas: the seed's `/rectangles/{id}` and the general polygon API."""

from __future__ import annotations

from fastapi import APIRouter, Body, HTTPException

from videohar.api.deps import DB, CurrentUser
from videohar.api.routes.cameras import camera_or_error
from videohar.api.schemas import CameraId, errors
from videohar.cameras.areas import MAX_AREAS, AreaIn, AreaOut, Rectangle, bounding_rect, replace_areas, to_out
from videohar.cameras.changes import announce_camera_change

router = APIRouter(tags=["areas"])


@router.get("/rectangles/{camera_id}", response_model=list[Rectangle], responses=errors(401, 404))
def get_rectangles(camera_id: CameraId, user: CurrentUser, db: DB) -> list[dict[str, float]]:
    """Every area as its bounding rectangle (the seed's view of areas)."""
    camera = camera_or_error(db, user, camera_id)
    return [bounding_rect(a) for a in camera.areas]


@router.post("/rectangles/{camera_id}", response_model=str, responses=errors(401, 403, 404, 422))
def save_rectangles(
    camera_id: CameraId, user: CurrentUser, db: DB, rectangles: list[Rectangle] = Body(max_length=MAX_AREAS)
) -> str:
    """Replace the camera's areas with these rectangles, atomically."""
    camera = camera_or_error(db, user, camera_id, write=True)
    areas = [AreaIn(name=f"area {i + 1}", kind="rect", points=r.points()) for i, r in enumerate(rectangles)]
    replace_areas(db, camera, areas)
    announce_camera_change(camera.id)
    return "Rectangles saved"


@router.delete("/rectangles/{camera_id}", response_model=str, responses=errors(401, 403, 404))
def clear_rectangles(camera_id: CameraId, user: CurrentUser, db: DB) -> str:
    camera = camera_or_error(db, user, camera_id, write=True)
    replace_areas(db, camera, [])
    announce_camera_change(camera.id)
    return "All rectangles cleared"


@router.get("/cameras/{camera_id}/areas", response_model=list[AreaOut], responses=errors(401, 404))
def list_areas(camera_id: CameraId, user: CurrentUser, db: DB) -> list[AreaOut]:
    return [to_out(a) for a in camera_or_error(db, user, camera_id).areas]


@router.put("/cameras/{camera_id}/areas", response_model=list[AreaOut], responses=errors(401, 403, 404, 422))
def put_areas(
    camera_id: CameraId, user: CurrentUser, db: DB, areas: list[AreaIn] = Body(max_length=MAX_AREAS)
) -> list[AreaOut]:
    """Replace all areas (rectangles and polygons) of the camera atomically."""
    camera = camera_or_error(db, user, camera_id, write=True)
    try:
        rows = replace_areas(db, camera, areas)
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from None
    announce_camera_change(camera.id)
    return [to_out(a) for a in rows]
