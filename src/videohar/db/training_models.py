"""Datasets, clips, label segments, registered action models, their activations, and jobs."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from videohar.db.base import Base, UTCDateTime, utcnow


class ClipStatus(enum.StrEnum):
    processing = "processing"
    """Skeletons are being extracted (a job)."""
    ready = "ready"


class LabelStatus(enum.StrEnum):
    unlabelled = "unlabelled"
    labelled = "labelled"
    reviewed = "reviewed"


class JobStatus(enum.StrEnum):
    queued = "queued"
    running = "running"
    succeeded = "succeeded"
    failed = "failed"
    cancelled = "cancelled"


class Dataset(Base):
    """A label set and the clips labelled with it; owned by one user."""

    __tablename__ = "datasets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text, default="")
    labels: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    """[{"name", "color", "hotkey"}] in model output order; always contains `other_label`."""
    other_label: Mapped[str] = mapped_column(String(64), default="other")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    @property
    def label_names(self) -> list[str]:
        return [entry["name"] for entry in self.labels]


class DatasetClip(Base):
    """An H.264 MP4 (optional for imported skeletons) plus its skeleton file, under the media dir."""

    __tablename__ = "dataset_clips"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    source: Mapped[str] = mapped_column(String(16))
    """upload, event, recording or import."""
    camera_id: Mapped[int | None] = mapped_column(ForeignKey("cameras.id", ondelete="SET NULL"), nullable=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id", ondelete="SET NULL"), nullable=True)
    group: Mapped[str] = mapped_column(String(100), default="")
    """Split group (camera); clips of one group land in one split."""
    status: Mapped[str] = mapped_column(String(16), default=ClipStatus.ready.value)
    label_status: Mapped[str] = mapped_column(String(16), default=LabelStatus.unlabelled.value)
    video_path: Mapped[str | None] = mapped_column(String(500), nullable=True)
    skeleton_path: Mapped[str | None] = mapped_column(String(500), nullable=True)
    """Relative to the media directory."""
    fps: Mapped[float] = mapped_column(Float, default=0.0)
    frames: Mapped[int] = mapped_column(Integer, default=0)
    width: Mapped[int] = mapped_column(Integer, default=0)
    height: Mapped[int] = mapped_column(Integer, default=0)
    track_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    dataset: Mapped[Dataset] = relationship(lazy="joined")


class LabelSegment(Base):
    """Frames [start_frame, end_frame) of one track of a clip carry `label`."""

    __tablename__ = "label_segments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    clip_id: Mapped[int] = mapped_column(ForeignKey("dataset_clips.id", ondelete="CASCADE"), index=True)
    track_id: Mapped[int] = mapped_column(Integer)
    start_frame: Mapped[int] = mapped_column(Integer)
    end_frame: Mapped[int] = mapped_column(Integer)
    label: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(16), default="user")
    """user, model (a pre-label) or import."""
    score: Mapped[float | None] = mapped_column(Float, nullable=True)
    accepted: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    """Pre-labels: None until a user accepts (True) or rejects (False); user segments: True."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class ActionModel(Base):
    """A registered ONNX skeleton model: file (atomically written, hashed), spec, metrics, artifacts."""

    __tablename__ = "action_models"
    __table_args__ = (Index("ix_action_models_name_version", "name", "version", unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    name: Mapped[str] = mapped_column(String(100))
    version: Mapped[int] = mapped_column(Integer, default=1)
    source: Mapped[str] = mapped_column(String(16))
    """trained or imported."""
    labels: Mapped[list[str]] = mapped_column(JSON)
    spec: Mapped[dict[str, Any]] = mapped_column(JSON)
    """The `videohar_spec` metadata of the ONNX file."""
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    artifacts: Mapped[list[str]] = mapped_column(JSON, default=list)
    """File names in the model's folder (model.onnx, confusion.png, curves.png, metrics.json ...)."""
    folder: Mapped[str] = mapped_column(String(500))
    """Relative to the media directory."""
    sha256: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column(Integer)
    dataset_id: Mapped[int | None] = mapped_column(ForeignKey("datasets.id", ondelete="SET NULL"), nullable=True)
    job_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ModelActivation(Base):
    """History of which model runs where: the newest row per scope (camera, or NULL = default) wins."""

    __tablename__ = "model_activations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    camera_id: Mapped[int | None] = mapped_column(
        ForeignKey("cameras.id", ondelete="CASCADE"), nullable=True, index=True
    )
    model_id: Mapped[int | None] = mapped_column(ForeignKey("action_models.id", ondelete="CASCADE"), nullable=True)
    """None = no trained model in this scope (rules and NFD only)."""
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Job(Base):
    """Long work (skeleton extraction, recording, training), claimed by trainer processes with a lease."""

    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_status_id", "status", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=True, index=True)
    kind: Mapped[str] = mapped_column(String(16))
    """train, extract or record."""
    status: Mapped[str] = mapped_column(String(16), default=JobStatus.queued.value)
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    progress: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    result: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    error: Mapped[str] = mapped_column(Text, default="")
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    worker_id: Mapped[str | None] = mapped_column(String(120), nullable=True)
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
