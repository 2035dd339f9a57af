"""Camera bodies and per-camera settings, validated once here for the API, ingest and workers."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator


def check_action_labels(value: list[str]) -> list[str]:
    """Action label lists (camera settings, areas): each label 1-64 characters."""
    if any(not a or len(a) > 64 for a in value):
        raise ValueError("action labels are 1-64 characters")
    return value


ActionLabels = Annotated[list[str], AfterValidator(check_action_labels)]

DEFAULT_ALERT_ACTIONS = ["fall", "lying", "hands_up", "running", "loitering", "intrusion"]


class CameraSettings(BaseModel):
    """What ingest and recognition need per camera; every field has a sane default."""

    model_config = ConfigDict(extra="forbid")

    stream_fps: float = Field(10.0, gt=0, le=60, description="Cap on frames published per second.")
    analysis_fps: float = Field(10.0, gt=0, le=60, description="Frames analysed per second by a worker.")
    max_width: int = Field(1280, ge=160, le=3840, description="Frames wider than this are downscaled.")
    jpeg_quality: int = Field(80, ge=30, le=95)
    loop: bool = Field(True, description="Loop file sources (demo, tests).")
    pose: str = Field("default", max_length=64, description="Pose backend name.")
    actions: ActionLabels = Field(default_factory=lambda: list(DEFAULT_ALERT_ACTIONS), max_length=64)
    thresholds: dict[str, float] = Field(default_factory=dict, description="Per-label on-threshold (0..1).")
    model_id: int | None = Field(None, description="Action model pinned for this camera (None = default).")

    @field_validator("thresholds")
    @classmethod
    def _thresholds(cls, value: dict[str, float]) -> dict[str, float]:
        for label, threshold in value.items():
            if not 0 <= threshold <= 1 or len(label) > 64:
                raise ValueError("thresholds are label -> number in [0, 1]")
        return value


class CameraCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    stream_url: str = Field(min_length=1, max_length=2048)
    location: str = Field("", max_length=200)
    group: str = Field("", max_length=100)
    enabled: bool = True
    recognition: bool = True
    settings: CameraSettings = Field(default_factory=CameraSettings)


class CameraUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, min_length=1, max_length=100)
    stream_url: str | None = Field(None, min_length=1, max_length=2048)
    location: str | None = Field(None, max_length=200)
    group: str | None = Field(None, max_length=100)
    enabled: bool | None = None
    recognition: bool | None = None
    settings: dict[str, Any] | None = Field(None, description="Partial CameraSettings, merged into the current ones.")


class CameraOut(BaseModel):
    id: int
    name: str
    stream_url: str = Field(description="Credentials masked")
    location: str
    group: str
    enabled: bool
    recognition: bool
    settings: CameraSettings
    owner: str
    can_edit: bool
    version: int
    created_at: datetime
    updated_at: datetime
