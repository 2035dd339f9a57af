"""What a worker needs per camera, read from the database (settings, areas, model)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from videohar.actions.base import Area
from videohar.cameras.schemas import CameraSettings
from videohar.db.models import Camera
from videohar.db.session import session_scope


@dataclass(frozen=True)
class AreaConfig:
    id: int
    name: str
    polygon: tuple[tuple[float, float], ...]
    color: str
    actions: frozenset[str]
    dwell_seconds: float

    def as_action_area(self) -> Area:
        return Area(self.name, self.polygon, self.actions, self.dwell_seconds)


@dataclass(frozen=True)
class WorkerCamera:
    id: int
    name: str
    active: bool
    """Enabled with recognition on: only then does a worker lease it."""
    settings: CameraSettings
    areas: tuple[AreaConfig, ...]
    version: int


def load_worker_cameras() -> list[WorkerCamera]:
    with session_scope() as db:
        cameras = db.scalars(select(Camera).options(selectinload(Camera.areas)).order_by(Camera.id))
        return [
            WorkerCamera(
                id=cam.id,
                name=cam.name,
                active=cam.enabled and cam.recognition,
                settings=CameraSettings.model_validate(cam.settings or {}),
                areas=tuple(
                    AreaConfig(
                        a.id,
                        a.name or f"area {a.id}",
                        tuple((float(x), float(y)) for x, y in a.points),
                        a.color,
                        frozenset(a.actions or ()),
                        float(a.dwell_seconds),
                    )
                    for a in cam.areas
                ),
                version=cam.version,
            )
            for cam in cameras
        ]
