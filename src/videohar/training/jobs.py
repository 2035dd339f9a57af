"""Job queue in the database and the `trainer` role that claims and runs jobs.

A job is claimed by one trainer with a lease (`lease_expires_at`) that a heartbeat thread renews;
a trainer that dies stops renewing and another claims the job after the lease expires. A claim
is a compare-and-set UPDATE on the row (atomic on SQLite and PostgreSQL; PostgreSQL also skips
rows other trainers hold with SKIP LOCKED). Handlers resume from their own checkpoints (training)
or start over (extraction); after `job_max_attempts` claims a job fails.

    job = enqueue(db, "train", {"dataset_id": 1, "epochs": 10}, owner_id=user.id)
    Trainer().run(stop_event)          # the role: claim, run, repeat
    run_pending("cli")                 # run every queued job in this process, then return
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from videohar.datasets.settings import get_dataset_settings
from videohar.db.session import session_scope
from videohar.db.training_models import Job, JobStatus

log = logging.getLogger("videohar.trainer")
KINDS = ("train", "extract", "record")


class JobFailed(Exception):
    """A clear, user-facing reason the job cannot finish."""


class JobCancelled(Exception):
    """The job was cancelled (by a user, or because another trainer took it over)."""


@dataclass
class JobContext:
    """What a handler gets: its parameters, a progress reporter, a cancel flag, a work folder."""

    job_id: int
    kind: str
    params: dict[str, Any]
    owner_id: int | None
    attempt: int
    work_dir: Path
    _cancel: threading.Event = field(default_factory=threading.Event)
    progress_cb: Callable[[dict[str, Any]], None] | None = None

    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def check_cancel(self) -> None:
        if self._cancel.is_set():
            raise JobCancelled("cancelled")

    def progress(self, **fields: Any) -> None:
        with session_scope() as db:
            job = db.get(Job, self.job_id)
            if job is not None:
                job.progress = {**(job.progress or {}), **fields}
        if self.progress_cb is not None:
            self.progress_cb(fields)


Handler = Callable[[JobContext], dict[str, Any]]


def _handlers() -> dict[str, Handler]:
    from videohar.datasets.extract import run_extract_job
    from videohar.datasets.recorder import run_record_job
    from videohar.training.train_job import run_train_job

    return {"train": run_train_job, "extract": run_extract_job, "record": run_record_job}


def enqueue(db: Session, kind: str, params: dict[str, Any], owner_id: int | None) -> Job:
    if kind not in KINDS:
        raise ValueError(f"unknown job kind {kind!r}; known: {KINDS}")
    job = Job(kind=kind, params=params, owner_id=owner_id, status=JobStatus.queued.value, progress={}, result={})
    db.add(job)
    db.flush()
    return job


def _now() -> datetime:
    return datetime.now(UTC)


def _claimable(now: datetime):  # type: ignore[no-untyped-def]
    return or_(
        Job.status == JobStatus.queued.value,
        (Job.status == JobStatus.running.value) & (Job.lease_expires_at < now),
    )


def claim(worker_id: str, kinds: tuple[str, ...] = KINDS) -> int | None:
    """Take the oldest claimable job (queued, or running with an expired lease); its id or None."""
    settings = get_dataset_settings()
    with session_scope() as db:
        now = _now()
        query = select(Job.id).where(_claimable(now), Job.kind.in_(kinds)).order_by(Job.id).limit(5)
        if db.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        for job_id in db.scalars(query).all():
            lease = now + timedelta(seconds=settings.job_lease_seconds)
            claimed = db.execute(
                update(Job)
                .where(Job.id == job_id, _claimable(now))
                .values(
                    status=JobStatus.running.value,
                    worker_id=worker_id,
                    lease_expires_at=lease,
                    attempts=Job.attempts + 1,
                    started_at=now,
                )
                .execution_options(synchronize_session=False)
            ).rowcount
            if claimed == 1:
                return job_id
    return None


def _finish(job_id: int, worker_id: str, status: JobStatus, *, result: dict | None = None, error: str = "") -> None:
    with session_scope() as db:
        job = db.get(Job, job_id)
        if job is None or job.worker_id != worker_id:
            return  # taken over by another trainer: it owns the outcome now
        job.status = status.value
        job.finished_at = _now()
        job.lease_expires_at = None
        job.error = error[:4000]
        if result is not None:
            job.result = result


def _heartbeat(job_id: int, worker_id: str, cancel: threading.Event, stop: threading.Event) -> None:
    """Renew the lease; raise the cancel flag on a user's cancel or when the job was taken over."""
    settings = get_dataset_settings()
    interval = min(1.0, settings.job_lease_seconds / 3)
    while not stop.wait(interval):
        try:
            with session_scope() as db:
                job = db.get(Job, job_id)
                if job is None or job.worker_id != worker_id or job.cancel_requested:
                    cancel.set()
                    continue
                job.lease_expires_at = _now() + timedelta(seconds=settings.job_lease_seconds)
        except Exception:  # the database may blip; the lease has slack
            log.warning("job %s: lease renewal failed", job_id, exc_info=True)


def run_job(job_id: int, worker_id: str, progress_cb: Callable[[dict[str, Any]], None] | None = None) -> str:
    """Run a claimed job to its end; returns the final status."""
    from videohar.config import get_settings

    settings = get_dataset_settings()
    with session_scope() as db:
        job = db.get(Job, job_id)
        if job is None:
            return "missing"
        ctx = JobContext(
            job.id,
            job.kind,
            dict(job.params or {}),
            job.owner_id,
            job.attempts,
            get_settings().data_path / "jobs" / str(job.id),
            progress_cb=progress_cb,
        )
        too_many = job.attempts > settings.job_max_attempts
        cancelled = job.cancel_requested
    if too_many:
        _finish(job_id, worker_id, JobStatus.failed, error=f"gave up after {settings.job_max_attempts} attempts")
        return JobStatus.failed.value
    if cancelled:
        _finish(job_id, worker_id, JobStatus.cancelled, error="cancelled")
        return JobStatus.cancelled.value
    stop = threading.Event()
    beat = threading.Thread(target=_heartbeat, args=(job_id, worker_id, ctx._cancel, stop), daemon=True)
    beat.start()
    status, result, error = JobStatus.failed, None, ""
    try:
        handler = _handlers().get(ctx.kind)
        if handler is None:
            raise JobFailed(f"unknown job kind {ctx.kind!r}")
        result = handler(ctx)
        status = JobStatus.succeeded
    except JobCancelled as exc:
        status, error = JobStatus.cancelled, str(exc) or "cancelled"
    except (JobFailed, ValueError) as exc:
        error = str(exc)
    except Exception as exc:
        if type(exc).__name__ == "TrainingCancelled":
            status, error = JobStatus.cancelled, str(exc)
        else:
            log.exception("job %s (%s) failed", job_id, ctx.kind)
            error = f"internal error: {type(exc).__name__}: {exc}"
    finally:
        stop.set()
        beat.join(5)
    _finish(job_id, worker_id, status, result=result, error=error)
    return status.value


def run_pending(worker_id: str | None = None, kinds: tuple[str, ...] = KINDS) -> list[int]:
    """Claim and run jobs until none is claimable; the ids run."""
    worker_id = worker_id or default_worker_id()
    done = []
    while (job_id := claim(worker_id, kinds)) is not None:
        run_job(job_id, worker_id)
        done.append(job_id)
    return done


def request_cancel(db: Session, job: Job) -> None:
    """Queued jobs end now; running ones stop at their next check (within about a second)."""
    job.cancel_requested = True
    if job.status == JobStatus.queued.value:
        job.status = JobStatus.cancelled.value
        job.finished_at = _now()
        job.error = "cancelled"


def default_worker_id() -> str:
    return f"trainer-{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


class Trainer:
    """The `trainer` role: claims jobs one at a time until stopped."""

    def __init__(self, worker_id: str | None = None, idle_s: float = 1.0) -> None:
        self.worker_id = worker_id or default_worker_id()
        self.idle_s = idle_s

    def run(self, stop: threading.Event) -> None:
        log.info("trainer %s started", self.worker_id)
        while not stop.is_set():
            try:
                job_id = claim(self.worker_id)
            except Exception:
                log.warning("claiming a job failed", exc_info=True)
                job_id = None
            if job_id is None:
                stop.wait(self.idle_s)
                continue
            log.info("trainer %s runs job %s", self.worker_id, job_id)
            run_job(job_id, self.worker_id)
        log.info("trainer %s stopped", self.worker_id)


def run_now(kind: str, params: dict[str, Any], progress_cb: Callable[[dict[str, Any]], None] | None = None) -> Job:
    """Queue a job and run it in this process (the `videohar train` command); returns the finished row."""
    worker_id = default_worker_id()
    settings = get_dataset_settings()
    with session_scope() as db:
        job_id = enqueue(db, kind, params, owner_id=None).id
        lease = _now() + timedelta(seconds=settings.job_lease_seconds)
        db.execute(
            update(Job)
            .where(Job.id == job_id)
            .values(
                status=JobStatus.running.value,
                worker_id=worker_id,
                lease_expires_at=lease,
                attempts=1,
                started_at=_now(),
            )
        )
    run_job(job_id, worker_id, progress_cb)
    with session_scope() as db:
        return db.get(Job, job_id)
