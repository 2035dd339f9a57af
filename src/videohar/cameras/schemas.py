"""Camera bodies and per-camera settings, validated once here for the API, ingest and workers."""

from __future__ import annotations

from datetime import datetime, time
from functools import lru_cache
from typing import Annotated, Any, Literal, get_args
from zoneinfo import available_timezones

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from videohar.notify.schedule import QuietHours


def check_action_labels(value: list[str]) -> list[str]:
    """Action label lists (camera settings, areas): each label 1-64 characters."""
    if any(not a or len(a) > 64 for a in value):
        raise ValueError("action labels are 1-64 characters")
    return value


ActionLabels = Annotated[list[str], AfterValidator(check_action_labels)]

DEFAULT_ALERT_ACTIONS = ["fall", "lying", "hands_up", "running", "loitering", "intrusion"]


PoseInput = Literal[128, 160, 192, 224, 256, 320, 384, 448, 512, 640]
"""Allowed `pose_input` values: MoveNet wants multiples of 32; beyond 640 px a CPU cannot keep up."""
POSE_INPUT_SIZES: tuple[int, ...] = get_args(PoseInput)

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Clock = Annotated[str, Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$", examples=["08:00"])]


@lru_cache(maxsize=1)
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


class ScheduleWindow(BaseModel):
    """One weekly window of local wall-clock time. `end` before `start` runs past midnight into the next
    day (a Friday 22:00-06:00 window covers Saturday until 06:00); `start == end` is the whole day."""

    model_config = ConfigDict(extra="forbid")

    days: list[Weekday] = Field(
        default_factory=lambda: list(WEEKDAYS),
        min_length=1,
        max_length=7,
        description="Days on which the window starts (mon ... sun).",
    )
    start: Clock = Field(description="Local start time, HH:MM (24 h).")
    end: Clock = Field(description="Local end time, HH:MM; before `start` = ends the next day.")

    @field_validator("days")
    @classmethod
    def _unique_days(cls, value: list[Weekday]) -> list[Weekday]:
        return sorted(set(value), key=WEEKDAYS.index)

    def hours(self, timezone: str) -> QuietHours:
        """The same window as the notifier's wall-clock window type (one evaluation rule for both)."""
        return QuietHours(
            time.fromisoformat(self.start),
            time.fromisoformat(self.end),
            timezone,
            frozenset(WEEKDAYS.index(d) for d in self.days),
        )


class CameraSchedule(BaseModel):
    """When recognition runs. No windows = always. Outside every window the camera still streams, but
    no pose, actions or events run. Times are wall-clock times in `timezone`, so they follow DST."""

    model_config = ConfigDict(extra="forbid")

    timezone: str = Field("UTC", max_length=64, description="IANA time zone name, e.g. Europe/Berlin.")
    windows: list[ScheduleWindow] = Field(
        default_factory=list, max_length=50, description="Weekly windows; empty = recognition always on."
    )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        if value not in _zones():
            raise ValueError(f"unknown time zone {value[:64]!r} (use an IANA name such as Europe/Berlin)")
        return value

    def active_at(self, at: datetime) -> bool:
        """Whether recognition runs at the instant `at` (time-zone aware)."""
        if not self.windows:
            return True
        return any(w.hours(self.timezone).contains(at) for w in self.windows)

    def describe(self) -> str:
        """Short human text for status lines: "mon-fri 08:00-18:00 (Europe/Berlin)"."""
        parts = [f"{','.join(w.days)} {w.start}-{w.end}" for w in self.windows[:3]]
        more = f" +{len(self.windows) - 3}" if len(self.windows) > 3 else ""
        return f"{'; '.join(parts)}{more} ({self.timezone})" if parts else "always"


class CameraSettings(BaseModel):
    """What ingest and recognition need per camera; every field has a sane default."""

    model_config = ConfigDict(extra="forbid")

    stream_fps: float = Field(10.0, gt=0, le=60, description="Cap on frames published per second.")
    analysis_fps: float = Field(10.0, gt=0, le=60, description="Frames analysed per second by a worker.")
    max_width: int = Field(1280, ge=160, le=3840, description="Frames wider than this are downscaled.")
    jpeg_quality: int = Field(80, ge=30, le=95)
    loop: bool = Field(True, description="Loop file sources (demo, tests).")
    pose: str = Field("default", max_length=64, description="Pose backend name.")
    pose_input: PoseInput | None = Field(
        None,
        description=(
            "Pose network input size in pixels, one of "
            + ", ".join(map(str, POSE_INPUT_SIZES))
            + "; null = the backend's default. Default backend: the side each 160-px crop is scaled to (160;"
            " larger finds smaller people and costs more). 'movenet': the long side of the whole frame (512)."
        ),
    )
    actions: ActionLabels = Field(default_factory=lambda: list(DEFAULT_ALERT_ACTIONS), max_length=64)
    thresholds: dict[str, float] = Field(default_factory=dict, description="Per-label on-threshold (0..1).")
    model_id: int | None = Field(None, description="Action model pinned for this camera (None = default).")
    schedule: CameraSchedule = Field(
        default_factory=CameraSchedule,
        description=(
            'Weekly recognition schedule, e.g. {"timezone": "Europe/Berlin", "windows": [{"days": ["mon", "fri"],'
            ' "start": "08:00", "end": "18:00"}]}. No windows = always on.'
        ),
    )

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
