"""Focus areas: validation and atomic replacement (a bad body changes nothing)."""

from __future__ import annotations

import math
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from sqlalchemy import delete
from sqlalchemy.orm import Session

from videohar.cameras.schemas import ActionLabels
from videohar.db.models import Area, Camera

MAX_COORD = 100_000.0
MAX_AREAS = 64


def _finite(v: float) -> float:
    if not math.isfinite(v) or not 0 <= v <= MAX_COORD:
        raise ValueError(f"coordinates must be finite numbers in [0, {MAX_COORD:g}]")
    return v


class Rectangle(BaseModel):
    """The seed's rectangle, in frame pixels."""

    model_config = ConfigDict(extra="forbid")

    x: float
    y: float
    width: float = Field(gt=0)
    height: float = Field(gt=0)

    @model_validator(mode="after")
    def _bounds(self) -> Rectangle:
        for v in (self.x, self.y, self.x + self.width, self.y + self.height):
            _finite(v)
        return self

    def points(self) -> list[list[float]]:
        x2, y2 = self.x + self.width, self.y + self.height
        return [[self.x, self.y], [x2, self.y], [x2, y2], [self.x, y2]]


class AreaIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field("", max_length=100)
    kind: Literal["rect", "polygon"] = "polygon"
    points: list[tuple[float, float]] = Field(min_length=3, max_length=64, description="[[x, y], ...] in pixels")
    color: str = Field("#ffcc00", pattern=r"^#[0-9a-fA-F]{6}$")
    actions: ActionLabels = Field(default_factory=list, max_length=64, description="Labels it reacts to; [] = all")
    dwell_seconds: float = Field(30.0, ge=0, le=86400)

    @field_validator("points")
    @classmethod
    def _points(cls, pts: list[tuple[float, float]]) -> list[tuple[float, float]]:
        for x, y in pts:
            _finite(x)
            _finite(y)
        area2 = sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in zip(pts, pts[1:] + pts[:1], strict=True))
        if abs(area2) < 1e-6:
            raise ValueError("the polygon has no area")
        return pts


class AreaOut(AreaIn):
    id: int


def replace_areas(db: Session, camera: Camera, areas: list[AreaIn]) -> list[Area]:
    """Replace every area of the camera in one transaction."""
    if len(areas) > MAX_AREAS:
        raise ValueError(f"at most {MAX_AREAS} areas per camera")
    db.execute(delete(Area).where(Area.camera_id == camera.id))
    rows = [
        Area(
            camera_id=camera.id,
            position=i,
            name=a.name,
            kind=a.kind,
            points=[list(p) for p in a.points],
            color=a.color,
            actions=a.actions,
            dwell_seconds=a.dwell_seconds,
        )
        for i, a in enumerate(areas)
    ]
    db.add_all(rows)
    camera.version += 1
    db.flush()
    db.expire(camera, ["areas"])
    return rows


def to_out(area: Area) -> AreaOut:
    return AreaOut(
        id=area.id,
        name=area.name,
        kind=area.kind,
        points=[tuple(p) for p in area.points],
        color=area.color,
        actions=list(area.actions or []),
        dwell_seconds=area.dwell_seconds,
    )


def bounding_rect(area: Area) -> dict[str, float]:
    xs = [p[0] for p in area.points]
    ys = [p[1] for p in area.points]
    return {"x": min(xs), "y": min(ys), "width": max(xs) - min(xs), "height": max(ys) - min(ys)}
