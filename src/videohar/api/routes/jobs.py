"""Jobs: start training, watch progress (epoch, loss, validation accuracy, ETA), cancel."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Path, Query
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from videohar.api.deps import DB, CurrentUser
from videohar.api.routes.cameras import camera_or_error
from videohar.api.routes.datasets import dataset_or_404
from videohar.api.schemas import errors
from videohar.db.models import Role, User
from videohar.db.training_models import Job, JobStatus
from videohar.training.jobs import enqueue, request_cancel

router = APIRouter(tags=["jobs"])
JobId = Annotated[int, Path(ge=1, le=2**31 - 1, description="Job id")]


class TrainJobIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["train"] = "train"
    dataset_id: int = Field(ge=1, le=2**31 - 1)
    epochs: int = Field(30, ge=1, le=500)
    split: Literal["clip", "camera"] = Field("clip", description="Keep each clip (or camera) in one split.")
    val_fraction: float = Field(0.25, gt=0, lt=1)
    seed: int = Field(0, ge=0, le=2**31 - 1)
    size: Literal["tiny", "small", "default"] = Field("default", description="default = ST-GCN++ ~0.5M params.")
    batch_size: int = Field(32, ge=1, le=1024)
    lr: float = Field(1e-3, gt=0, le=1)
    name: str | None = Field(None, min_length=1, max_length=100, description="Registry name (new version).")
    compare_camera_id: int | None = Field(
        None, ge=1, le=2**31 - 1, description="Compare with the model this camera runs (default: the default model)."
    )


class JobOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str
    status: JobStatus
    params: dict
    progress: dict
    result: dict
    error: str
    cancel_requested: bool
    attempts: int
    owner_id: int | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


def job_or_404(db: DB, user: User, job_id: int) -> Job:
    job = db.get(Job, job_id)
    if job is None or (job.owner_id != user.id and user.role != Role.admin.value):
        raise HTTPException(404, "job not found")
    return job


@router.get("/jobs", response_model=list[JobOut], responses=errors(401, 422))
def list_jobs(
    user: CurrentUser,
    db: DB,
    status: JobStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> list[JobOut]:
    query = select(Job).order_by(Job.id.desc()).limit(limit)
    if user.role != Role.admin.value:
        query = query.where(Job.owner_id == user.id)
    if status is not None:
        query = query.where(Job.status == status.value)
    return [JobOut.model_validate(j) for j in db.scalars(query)]


@router.post("/jobs", status_code=202, response_model=JobOut, responses=errors(401, 403, 404, 422))
def create_job(body: TrainJobIn, user: CurrentUser, db: DB) -> JobOut:
    """Queue a training run; a `videohar trainer` process claims it."""
    dataset_or_404(db, user, body.dataset_id, write=True)
    if body.compare_camera_id is not None:
        camera_or_error(db, user, body.compare_camera_id)
    job = enqueue(db, body.kind, body.model_dump(exclude={"kind"}), user.id)
    return JobOut.model_validate(job)


@router.get("/jobs/{job_id}", response_model=JobOut, responses=errors(401, 404))
def read_job(job_id: JobId, user: CurrentUser, db: DB) -> JobOut:
    return JobOut.model_validate(job_or_404(db, user, job_id))


@router.post("/jobs/{job_id}/cancel", response_model=JobOut, responses=errors(401, 404, 409))
def cancel_job(job_id: JobId, user: CurrentUser, db: DB) -> JobOut:
    """A queued job (or one whose trainer died) ends at once; a running one stops within about a second
    and then reads `cancelled`. A cancelled job registers no model; its work folder is removed."""
    job = job_or_404(db, user, job_id)
    if job.status not in (JobStatus.queued.value, JobStatus.running.value):
        raise HTTPException(409, f"the job already ended ({job.status})")
    request_cancel(db, job)
    db.flush()
    return JobOut.model_validate(job)
