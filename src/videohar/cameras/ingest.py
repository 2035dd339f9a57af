"""The ingest role: keep every camera this process holds a lease on decoded, rate-capped, JPEG-encoded
once and published to Redis, reconnecting forever, with state and counters visible to the API.

    service = IngestService(redis_client, camera_provider=load_cameras_from_db, member_id="ingest-1")
    service.run(stop_event)               # blocks until stop_event is set

Per camera there are two threads: a reader that decodes (and notices hung or dead streams through
read timeouts) and an encoder that downscales, encodes and publishes. They meet in a one-frame
mailbox, so a slow encoder or Redis drops frames (counted) instead of queueing them, and decoding
never falls behind the stream.
"""

from __future__ import annotations

import json
import logging
import os
import random
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, fields
from typing import Any

import av
import redis
import redis.asyncio as aioredis

from videohar.bus.frames import FramePublisher
from videohar.bus.keys import camera_status_key
from videohar.bus.leases import LeaseAllocator, run_periodically
from videohar.cameras.sources import SourceError, VideoSource, encode_jpeg

log = logging.getLogger(__name__)

INGEST_ROLE = "ingest"
CONNECTING, ONLINE, OFFLINE, ERROR = "connecting", "online", "offline", "error"


@dataclass(frozen=True, slots=True)
class CameraSpec:
    """What ingest needs to know about a camera. Any change (URL, rate, size, version) restarts its
    reader, so give `version` the row's version or update time."""

    id: int
    url: str
    enabled: bool = True
    stream_fps: float = 10.0
    max_width: int = 1280
    max_height: int = 2160
    jpeg_quality: int = 80
    loop: bool = False
    version: str = ""

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CameraSpec:
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        if "version" in values:
            values["version"] = str(values["version"])
        return cls(**values)


@dataclass(frozen=True, slots=True)
class IngestSettings:
    """Timing knobs; the defaults meet 'offline within a few seconds, moved within 10 s'."""

    lease_ms: int = 5000
    sync_interval_s: float = 1.0
    open_timeout_s: float = 5.0
    read_timeout_s: float = 4.0
    frame_ttl_ms: int = 3000
    status_ttl_ms: int = 6000
    backoff_initial_s: float = 0.5
    backoff_max_s: float = 30.0


def backoff_delay(attempt: int, initial_s: float, max_s: float) -> float:
    """Exponential backoff with equal jitter: half fixed, half random, capped."""
    ceiling = min(max_s, initial_s * (2 ** min(attempt, 30)))
    return ceiling / 2 + random.uniform(0, ceiling / 2)


class RateLimit:
    """Frame decimation by credit: each decoded frame earns `fps * gap` credit, a publish costs one.
    Keeps the long-run rate exact (25 fps in, 10 out = 2 of every 5) while tolerating jitter when the
    source runs at about the cap; the credit ceiling bounds bursts after a gap."""

    def __init__(self, fps: float) -> None:
        self.fps = fps
        self.credit = 1.0
        self.last: float | None = None

    def take(self, now: float) -> bool:
        if self.fps <= 0:
            return True
        if self.last is not None:
            self.credit = min(self.credit + self.fps * (now - self.last), 2.0)
        self.last = now
        if self.credit < 0.9:
            return False
        self.credit -= 1.0
        return True


class CameraReader:
    """Keeps one camera published until `stop()`; never raises, reports through `status()`."""

    def __init__(
        self, spec: CameraSpec, publisher: FramePublisher, settings: IngestSettings, member_id: str = ""
    ) -> None:
        self.spec = spec
        self.member_id = member_id
        self._publisher = publisher
        self._settings = settings
        self._stop = threading.Event()
        self._mailbox: tuple[av.VideoFrame, float] | None = None
        self._mail = threading.Condition()
        self.state, self.reason, self.since = CONNECTING, "", time.time()
        self.reconnects = self.stalls = 0
        self.decoded = self.published = self.skipped = self.dropped = 0
        self.last_frame_at: float | None = None
        self.size = (0, 0)
        self._rate_mark = (time.monotonic(), 0, 0)
        self._threads = [
            threading.Thread(target=self._read_loop, name=f"cam{spec.id}-read", daemon=True),
            threading.Thread(target=self._encode_loop, name=f"cam{spec.id}-encode", daemon=True),
        ]

    def start(self) -> CameraReader:
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> None:
        """Signal only: a reader blocked in a read notices within the read timeout, and never
        publishes after this returns."""
        self._stop.set()
        with self._mail:
            self._mail.notify_all()

    def join(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))

    def _set_state(self, state: str, reason: str = "") -> None:
        if (state, reason) == (self.state, self.reason):
            return
        if state != self.state:
            self.since = time.time()
        self.state, self.reason = state, reason
        log.info("camera %s %s%s", self.spec.id, state, f": {reason}" if reason else "")

    def _read_loop(self) -> None:
        cfg, spec = self._settings, self.spec
        limit = RateLimit(spec.stream_fps)
        attempt = 0
        while not self._stop.is_set():  # while retrying, the state stays offline/error with its reason
            source = VideoSource(
                spec.url, open_timeout_s=cfg.open_timeout_s, read_timeout_s=cfg.read_timeout_s, loop=spec.loop
            )
            try:
                source.open()
                for frame, captured_at in source.frames(self._stop):
                    self.decoded += 1
                    if self.state != ONLINE:
                        self._set_state(ONLINE)
                        attempt = 0
                    if not limit.take(time.monotonic()):
                        self.skipped += 1
                        continue
                    self._post(frame, captured_at)
                if self._stop.is_set():
                    break
                if source.spec.is_file:  # a file played once stays over until its spec changes
                    self._set_state(OFFLINE, "end of file")
                    self._stop.wait()
                    break
                self._set_state(OFFLINE, "the stream ended")
            except SourceError as exc:
                if exc.stalled and self.state == ONLINE:
                    self.stalls += 1
                self._set_state(ERROR if exc.config_problem else OFFLINE, exc.reason)
            except Exception as exc:  # a bug or an FFmpeg surprise must not end the camera for good
                log.exception("camera %s reader failed", spec.id)
                self._set_state(ERROR, f"unexpected {type(exc).__name__}")
            finally:
                source.close()
            if self._stop.wait(backoff_delay(attempt, cfg.backoff_initial_s, cfg.backoff_max_s)):
                break
            attempt += 1
            self.reconnects += 1

    def _post(self, frame: av.VideoFrame, captured_at: float) -> None:
        with self._mail:
            if self._mailbox is not None:
                self.dropped += 1
            self._mailbox = (frame, captured_at)
            self._mail.notify()

    def _encode_loop(self) -> None:
        spec = self.spec
        ttl_ms = max(self._settings.frame_ttl_ms, int(3000 / spec.stream_fps) if spec.stream_fps > 0 else 0)
        while True:
            with self._mail:
                while self._mailbox is None and not self._stop.is_set():
                    self._mail.wait()
                if self._stop.is_set():
                    return
                frame, captured_at = self._mailbox  # type: ignore[misc]
                self._mailbox = None
            try:
                jpeg, width, height = encode_jpeg(frame, spec.max_width, spec.max_height, spec.jpeg_quality)
                if self._stop.is_set():
                    return
                self._publisher.publish(
                    spec.id,
                    jpeg,
                    width=width,
                    height=height,
                    captured_at=captured_at,
                    ttl_ms=ttl_ms,
                    extra={"by": self.member_id},
                )
            except (redis.RedisError, OSError, ValueError) as exc:
                self.dropped += 1
                log.warning("camera %s frame not published: %s", spec.id, exc)
                continue
            self.published += 1
            self.size = (width, height)
            self.last_frame_at = captured_at

    def status(self) -> dict[str, Any]:
        """State and counters; fps are averaged since the previous call."""
        now = time.monotonic()
        mark_t, mark_decoded, mark_published = self._rate_mark
        span = max(now - mark_t, 1e-3)
        self._rate_mark = (now, self.decoded, self.published)
        return {
            "camera_id": self.spec.id,
            "state": self.state,
            "reason": self.reason,
            "since": self.since,
            "owner": self.member_id,
            "reconnects": self.reconnects,
            "stalls": self.stalls,
            "decoded_fps": round((self.decoded - mark_decoded) / span, 2),
            "published_fps": round((self.published - mark_published) / span, 2),
            "frames_decoded": self.decoded,
            "frames_published": self.published,
            "skipped_frames": self.skipped,
            "dropped_frames": self.dropped,
            "last_frame_at": self.last_frame_at,
            "width": self.size[0],
            "height": self.size[1],
            "stream_fps": self.spec.stream_fps,
            "updated_at": time.time(),
        }


def default_member_id(role: str = INGEST_ROLE) -> str:
    return f"{role}-{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


class IngestService:
    """One ingest process: leases its fair share of the enabled cameras and keeps a `CameraReader`
    per owned camera; re-reads the camera list every `sync_interval_s`."""

    def __init__(
        self,
        client: redis.Redis,
        camera_provider: Callable[[], Iterable[CameraSpec]],
        member_id: str | None = None,
        settings: IngestSettings | None = None,
    ) -> None:
        self.settings = settings or IngestSettings()
        self.member_id = member_id or default_member_id()
        self._redis = client
        self._provider = camera_provider
        self._publisher = FramePublisher(client, ttl_ms=self.settings.frame_ttl_ms)
        self._allocator = LeaseAllocator(client, INGEST_ROLE, self.member_id, self.settings.lease_ms)
        self._specs: dict[int, CameraSpec] = {}
        self.readers: dict[int, CameraReader] = {}
        self._retired: list[CameraReader] = []

    def run(self, stop: threading.Event) -> None:
        """Work until `stop` is set, then hand every camera back at once."""
        log.info("ingest %s started", self.member_id)
        try:
            run_periodically(stop, self.settings.sync_interval_s, self.step)
        finally:
            self.shutdown()

    def step(self) -> None:
        """One round: read cameras, sync leases, start/stop/restart readers, write statuses."""
        try:
            self._specs = {spec.id: spec for spec in self._provider()}
        except Exception:  # the DB may blip: keep the last known list
            log.warning("camera list unavailable; keeping the previous one", exc_info=True)
        wanted = {cid for cid, spec in self._specs.items() if spec.enabled}
        owned = self._allocator.sync_or_keep(wanted, set(self.readers))
        for cid in list(self.readers):
            if cid not in owned or self.readers[cid].spec != self._specs.get(cid):
                self._retire(cid)
        for cid in owned - set(self.readers):
            self.readers[cid] = CameraReader(self._specs[cid], self._publisher, self.settings, self.member_id).start()
        self._retired = [r for r in self._retired if any(t.is_alive() for t in r._threads)]
        self._write_statuses()

    def _retire(self, camera_id: int) -> None:
        reader = self.readers.pop(camera_id)
        reader.stop()
        self._retired.append(reader)

    def _write_statuses(self) -> None:
        if not self.readers:
            return
        pipe = self._redis.pipeline(transaction=False)
        for cid, reader in self.readers.items():
            payload = json.dumps(reader.status())
            pipe.set(camera_status_key(cid), payload, px=self.settings.status_ttl_ms)
        try:
            pipe.execute()
        except redis.RedisError as exc:
            log.warning("camera status not written: %s", exc)

    def shutdown(self) -> None:
        for cid in list(self.readers):
            self._retire(cid)
        for reader in self._retired:
            reader.join(timeout=1.0)
        try:
            ids = [r.spec.id for r in self._retired]
            if ids:
                self._redis.delete(*[camera_status_key(i) for i in ids])
            self._allocator.release_all()
        except redis.RedisError as exc:
            log.warning("leases not released (they expire by themselves): %s", exc)
        self._retired = []
        log.info("ingest %s stopped", self.member_id)


def _status_of(camera_id: int, raw: bytes | None, now: float, stale_after_s: float) -> dict[str, Any]:
    if raw is None:
        return {"camera_id": camera_id, "state": OFFLINE, "reason": "not running on any ingest process"}
    status = json.loads(raw)
    last = status.get("last_frame_at")
    fps = status.get("stream_fps") or 0
    stale = max(stale_after_s, 3.0 / fps if fps > 0 else 0.0)
    if status["state"] == ONLINE and (last is None or now - last > stale):
        status["state"], status["reason"] = OFFLINE, f"no frame for {now - (last or now):.0f} s"
    return status


def read_status(client: redis.Redis, camera_ids: Iterable[int], stale_after_s: float = 3.0) -> dict[int, dict]:
    """Status of each camera as ingest last reported it, turned 'offline' when nobody runs it or its
    last published frame is older than `stale_after_s` (clocks of API and ingest hosts are compared)."""
    ids = [int(i) for i in camera_ids]
    if not ids:
        return {}
    raws = client.mget([camera_status_key(i) for i in ids])
    now = time.time()
    return {i: _status_of(i, raw, now, stale_after_s) for i, raw in zip(ids, raws, strict=True)}


async def aread_status(
    client: aioredis.Redis, camera_ids: Iterable[int], stale_after_s: float = 3.0
) -> dict[int, dict]:
    """`read_status` for asyncio code."""
    ids = [int(i) for i in camera_ids]
    if not ids:
        return {}
    raws = await client.mget([camera_status_key(i) for i in ids])
    now = time.time()
    return {i: _status_of(i, raw, now, stale_after_s) for i, raw in zip(ids, raws, strict=True)}
