"""Job queue in the database and the `trainer` role that claims and runs jobs.

A job is claimed by one trainer with a lease (`lease_expires_at`) that a heartbeat thread renews;
a trainer that dies stops renewing and another claims the job after the lease expires. A claim
is a compare-and-set UPDATE on the row (atomic on SQLite and PostgreSQL; PostgreSQL also skips
rows other trainers hold with SKIP LOCKED). Handlers resume from their own checkpoints (training)
or start over (extraction); after `job_max_attempts` claims a job fails.

A job's work folder (`<data>/jobs/<id>/`: frozen windows, checkpoint, artifacts before they are
copied to the registry) lives as long as the job can still run: it is removed when the job ends
(succeeded, failed or cancelled). A trainer that is stopped (SIGTERM/SIGINT) hands its training
job back to the queue, keeping the folder, so the next trainer resumes it without losing an attempt.

    job = enqueue(db, "train", {"dataset_id": 1, "epochs": 10}, owner_id=user.id)
    Trainer().run(stop_event)          # the role: claim, run, repeat
    run_pending("cli")                 # run every queued job in this process, then return
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
import threading
import time
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
KINDS = ("train", "extract", "record", "prelabel")


class JobFailed(Exception):
    """A clear, user-facing reason the job cannot finish."""


class JobCancelled(Exception):
    """The job was cancelled (by a user, or because another trainer took it over)."""


RESUMABLE_KINDS = ("train",)
"""Kinds that continue from their work folder, so a stopping trainer can hand them back."""


@dataclass
class JobContext:
    """What a handler gets: its parameters, a progress reporter, a cancel flag, a work folder."""

    job_id: int
    kind: str
    params: dict[str, Any]
    owner_id: int | None
    attempt: int
    work_dir: Path
    worker_id: str = ""
    _cancel: threading.Event = field(default_factory=threading.Event)
    progress_cb: Callable[[dict[str, Any]], None] | None = None

    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def check_cancel(self) -> None:
        if self._cancel.is_set():
            raise JobCancelled("cancelled")

    def check_still_ours(self, db: Session) -> Job:
        """The job's row, or JobCancelled unless this trainer still holds it and no cancel was asked for.

        Call it in the transaction that publishes the job's outcome (a registered model), so a
        cancelled or taken-over job never publishes one. The row is locked on PostgreSQL, so a
        concurrent cancel waits for that transaction and then finds the job ended.
        """
        query = select(Job).where(Job.id == self.job_id)
        if db.get_bind().dialect.name == "postgresql":
            query = query.with_for_update()
        job = db.scalars(query.execution_options(populate_existing=True)).one_or_none()
        if job is None or job.worker_id != self.worker_id or job.cancel_requested:
            self._cancel.set()
            raise JobCancelled("cancelled")
        return job

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
    from videohar.datasets.prelabel import run_prelabel_job
    from videohar.datasets.recorder import run_record_job
    from videohar.training.train_job import run_train_job

    return {"train": run_train_job, "extract": run_extract_job, "record": run_record_job, "prelabel": run_prelabel_job}


def enqueue(db: Session, kind: str, params: dict[str, Any], owner_id: int | None) -> Job:
    if kind not in KINDS:
        raise ValueError(f"unknown job kind {kind!r}; known: {KINDS}")
    job = Job(kind=kind, params=params, owner_id=owner_id, status=JobStatus.queued.value, progress={}, result={})
    db.add(job)
    db.flush()
    return job


def _now() -> datetime:
    return datetime.now(UTC)


def job_work_dir(job_id: int) -> Path:
    """`<data>/jobs/<id>/`: a job's frozen inputs and checkpoint while it can still run."""
    from videohar.config import get_settings

    return get_settings().data_path / "jobs" / str(job_id)


def remove_work_dir(job_id: int) -> None:
    """Called before a job's end is committed: an ended job never has a folder."""
    shutil.rmtree(job_work_dir(job_id), ignore_errors=True)


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


def _finish(job_id: int, worker_id: str, status: JobStatus, *, result: dict | None = None, error: str = "") -> bool:
    """Remove the work folder and record the outcome; False (nothing done) if another trainer holds the job.

    The folder goes first: a job whose status is written is never seen with its folder still there.
    """
    with session_scope() as db:
        job = db.get(Job, job_id)
        if job is None or job.worker_id != worker_id:
            return False  # taken over by another trainer: it owns the outcome (and the folder) now
        remove_work_dir(job_id)
        mark_finished(job, status, result=result, error=error)
    return True


def mark_finished(job: Job, status: JobStatus, *, result: dict | None = None, error: str = "") -> None:
    """Set a job's final state (in the caller's transaction, e.g. the one that registers its model)."""
    job.status = status.value
    job.finished_at = _now()
    job.lease_expires_at = None
    job.error = error[:4000]
    if result is not None:
        job.result = result


def _release(job_id: int, worker_id: str) -> bool:
    """Hand a job back to the queue (this trainer is stopping); the claim does not count as an attempt.

    False when the job is no longer this trainer's, or a user's cancel came first (the caller ends it).
    """
    with session_scope() as db:
        job = db.get(Job, job_id)
        if job is None or job.worker_id != worker_id or job.cancel_requested:
            return False
        job.status = JobStatus.queued.value
        job.worker_id = None
        job.lease_expires_at = None
        job.attempts = max(0, job.attempts - 1)
        job.progress = {**(job.progress or {}), "stage": "queued", "note": "its trainer stopped; the next resumes it"}
    return True


def _heartbeat(
    job_id: int,
    worker_id: str,
    cancel: threading.Event,
    done: threading.Event,
    stopping: threading.Event | None = None,
) -> None:
    """Renew the lease; raise the cancel flag on a user's cancel, a take-over or the trainer stopping."""
    settings = get_dataset_settings()
    interval = min(1.0, settings.job_lease_seconds / 3)
    next_renewal = time.monotonic() + interval
    while not done.wait(0.1):
        if stopping is not None and stopping.is_set():
            cancel.set()
        if time.monotonic() < next_renewal:
            continue
        next_renewal = time.monotonic() + interval
        try:
            with session_scope() as db:
                job = db.get(Job, job_id)
                if job is None or job.worker_id != worker_id or job.cancel_requested:
                    cancel.set()
                    continue
                job.lease_expires_at = _now() + timedelta(seconds=settings.job_lease_seconds)
        except Exception:  # the database may blip; the lease has slack
            log.warning("job %s: lease renewal failed", job_id, exc_info=True)


def run_job(
    job_id: int,
    worker_id: str,
    progress_cb: Callable[[dict[str, Any]], None] | None = None,
    stopping: threading.Event | None = None,
) -> str:
    """Run a claimed job to its end; returns the final status ("queued" when handed back).

    `stopping` is the trainer's own stop flag: when it is raised mid-job, a resumable job (training)
    stops at its next check and goes back to the queue with its checkpoint; other kinds run on.
    """
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
            job_work_dir(job.id),
            worker_id=worker_id,
            progress_cb=progress_cb,
        )
        too_many = job.attempts > settings.job_max_attempts
        cancelled = job.cancel_requested
    if cancelled:
        _finish(job_id, worker_id, JobStatus.cancelled, error="cancelled")
        return JobStatus.cancelled.value
    if too_many:
        error = (
            f"gave up after {settings.job_max_attempts} attempts: the trainer running this job stopped "
            "without finishing it each time (crashed, killed or out of memory); see the trainer's log"
        )
        _finish(job_id, worker_id, JobStatus.failed, error=error)
        return JobStatus.failed.value
    resumable = stopping if ctx.kind in RESUMABLE_KINDS else None
    done = threading.Event()
    beat = threading.Thread(target=_heartbeat, args=(job_id, worker_id, ctx._cancel, done, resumable), daemon=True)
    beat.start()
    status, result, error = JobStatus.failed, None, ""
    try:
        handler = _handlers().get(ctx.kind)
        if handler is None:
            raise JobFailed(f"unknown job kind {ctx.kind!r}")
        result = handler(ctx)
        status = JobStatus.succeeded
    except KeyboardInterrupt:  # Ctrl-C in `videohar train`: the job ends with the command
        done.set()
        _finish(job_id, worker_id, JobStatus.cancelled, error="interrupted")
        raise
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
        done.set()
        beat.join(5)
    if status is JobStatus.cancelled and resumable is not None and resumable.is_set() and _release(job_id, worker_id):
        log.info("job %s handed back to the queue (trainer stopping)", job_id)
        return JobStatus.queued.value
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
    """Queued jobs end now, and so do running ones whose trainer died (lease expired); live running
    ones stop at their trainer's next check (within about a second) and then end `cancelled`."""
    job.cancel_requested = True
    lease = job.lease_expires_at
    orphaned = job.status == JobStatus.running.value and (lease is None or lease < _now())
    if job.status == JobStatus.queued.value or orphaned:
        job.status = JobStatus.cancelled.value
        job.finished_at = _now()
        job.lease_expires_at = None
        job.error = "cancelled"
        remove_work_dir(job.id)


def default_worker_id() -> str:
    return f"trainer-{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


class Trainer:
    """The `trainer` role: claims jobs one at a time until stopped; a training job in progress when
    `stop` is raised is handed back to the queue (checkpoint kept) within about a second."""

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
            run_job(job_id, self.worker_id, stopping=stop)
        log.info("trainer %s stopped", self.worker_id)


def run_now(
    kind: str,
    params: dict[str, Any],
    progress_cb: Callable[[dict[str, Any]], None] | None = None,
    job_ids: list[int] | None = None,
) -> Job:
    """Queue a job and run it in this process (the `videohar train` command); returns the finished row.

    The job's id is appended to `job_ids` as soon as it exists (to name it if the run is interrupted).
    """
    worker_id = default_worker_id()
    settings = get_dataset_settings()
    with session_scope() as db:  # queued and claimed in one transaction: no trainer can take it
        job = enqueue(db, kind, params, owner_id=None)
        job.status = JobStatus.running.value
        job.worker_id = worker_id
        job.lease_expires_at = _now() + timedelta(seconds=settings.job_lease_seconds)
        job.attempts = 1
        job.started_at = _now()
        job_id = job.id
    if job_ids is not None:
        job_ids.append(job_id)
    run_job(job_id, worker_id, progress_cb)
    with session_scope() as db:
        return db.get(Job, job_id)
