"""The worker role: lease cameras with recognition on, run one analysis thread per camera.

Each thread waits on the camera's frame announcements (never polls), always takes the newest frame
by sequence number (older ones are skipped and counted), and paces itself to the camera's analysis
rate. Configuration is re-read every second; a change of areas or settings reaches the running
pipeline without a restart.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import redis

from videohar.bus import keys
from videohar.bus.frames import read_latest
from videohar.bus.leases import LeaseAllocator, run_periodically
from videohar.worker.camera import CameraPipeline
from videohar.worker.config import WorkerCamera, load_worker_cameras

log = logging.getLogger("videohar.worker")
WORKER_ROLE = "worker"


@dataclass(frozen=True)
class WorkerSettings:
    lease_ms: int = 5000
    sync_interval_s: float = 1.0
    status_ttl_ms: int = 6000
    frame_wait_s: float = 1.0


class CameraThread:
    """Runs one `CameraPipeline` until stopped."""

    def __init__(self, camera: WorkerCamera, client: redis.Redis, media_root: Path, settings: WorkerSettings) -> None:
        self.camera = camera
        self.redis = client
        self.settings = settings
        self.pipeline = CameraPipeline(camera, client, media_root)
        self.stop_event = threading.Event()
        self.error: str = ""
        self._pending: WorkerCamera | None = None
        self.thread = threading.Thread(target=self._run, name=f"worker-cam-{camera.id}", daemon=True)

    def start(self) -> CameraThread:
        self.thread.start()
        return self

    def _run(self) -> None:
        channel = keys.frame_channel(self.camera.id, keys.LATEST_FRAME)
        last_seq = 0
        next_due = 0.0
        pubsub = None
        while not self.stop_event.is_set():
            try:
                if pubsub is None:
                    pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
                    pubsub.subscribe(channel)
                wait = max(0.0, next_due - time.monotonic())
                if wait:
                    self.stop_event.wait(wait)
                pubsub.get_message(timeout=self.settings.frame_wait_s)
                while pubsub.get_message(timeout=0) is not None:
                    pass  # drain: only the newest frame matters
                frame = read_latest(self.redis, self.camera.id)
                if frame is None or frame.meta.seq <= last_seq:
                    continue
                if last_seq:
                    self.pipeline.stats.skipped += max(0, frame.meta.seq - last_seq - 1)
                last_seq = frame.meta.seq
                if self._pending is not None:
                    self.camera, self._pending = self._pending, None
                    self.pipeline.reconfigure(self.camera)
                next_due = time.monotonic() + 1.0 / self.camera.settings.analysis_fps
                self.pipeline.process(frame)
                self.error = ""
            except redis.RedisError as exc:
                self.error = f"redis: {exc}"
                log.warning("camera %s: %s; retrying", self.camera.id, exc)
                pubsub = None
                self.stop_event.wait(1.0)
            except Exception as exc:  # a bad frame must not kill the camera's analysis
                self.error = f"{type(exc).__name__}: {exc}"
                log.exception("camera %s analysis failed", self.camera.id)
                self.stop_event.wait(0.5)
        if pubsub is not None:
            with contextlib.suppress(redis.RedisError):
                pubsub.close()
        self.pipeline.close()

    def reconfigure(self, camera: WorkerCamera) -> None:
        """Applied by the camera's own thread before its next frame."""
        self._pending = camera

    @property
    def version(self) -> int:
        return (self._pending or self.camera).version

    def stop(self) -> None:
        self.stop_event.set()

    def status(self, member_id: str) -> dict[str, object]:
        return {"worker": member_id, "error": self.error, "updated_at": time.time(), **self.pipeline.status()}


def default_member_id() -> str:
    return f"{WORKER_ROLE}-{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


class WorkerService:
    def __init__(
        self,
        client: redis.Redis,
        media_root: Path,
        camera_provider: Callable[[], list[WorkerCamera]] = load_worker_cameras,
        member_id: str | None = None,
        settings: WorkerSettings | None = None,
    ) -> None:
        self.redis = client
        self.media_root = media_root
        self.provider = camera_provider
        self.member_id = member_id or default_member_id()
        self.settings = settings or WorkerSettings()
        self.allocator = LeaseAllocator(client, WORKER_ROLE, self.member_id, self.settings.lease_ms)
        self.threads: dict[int, CameraThread] = {}
        self._cameras: dict[int, WorkerCamera] = {}

    def run(self, stop: threading.Event) -> None:
        log.info("worker %s started", self.member_id)
        try:
            run_periodically(stop, self.settings.sync_interval_s, self.step)
        finally:
            self.shutdown()

    def step(self) -> None:
        try:
            self._cameras = {c.id: c for c in self.provider()}
        except Exception:
            log.warning("camera list unavailable; keeping the previous one", exc_info=True)
        wanted = {cid for cid, cam in self._cameras.items() if cam.active}
        owned = self.allocator.sync_or_keep(wanted, set(self.threads))
        for cid in list(self.threads):
            if cid not in owned:
                self.threads.pop(cid).stop()
            elif self.threads[cid].version != self._cameras[cid].version:
                self.threads[cid].reconfigure(self._cameras[cid])
        for cid in owned - set(self.threads):
            try:
                self.threads[cid] = CameraThread(self._cameras[cid], self.redis, self.media_root, self.settings).start()
            except Exception:
                log.exception("camera %s could not start its pipeline", cid)
        self._write_statuses()

    def _write_statuses(self) -> None:
        if not self.threads:
            return
        try:
            pipe = self.redis.pipeline()
            for cid, thread in self.threads.items():
                pipe.set(
                    keys.worker_status_key(cid),
                    json.dumps(thread.status(self.member_id)),
                    px=self.settings.status_ttl_ms,
                )
            pipe.execute()
        except redis.RedisError as exc:
            log.warning("could not write statuses: %s", exc)

    def shutdown(self) -> None:
        for thread in self.threads.values():
            thread.stop()
        for thread in self.threads.values():
            thread.thread.join(30)
        try:
            self.allocator.release_all()
            if self.threads:
                self.redis.delete(*[keys.worker_status_key(c) for c in self.threads])
        except redis.RedisError:
            pass
        self.threads.clear()
        log.info("worker %s stopped", self.member_id)
