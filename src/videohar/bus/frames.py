"""Publishing JPEG frames to Redis and fanning them out to MJPEG viewers without polling.

A frame is written once (`camera_{id}_{kind}` = JPEG bytes, `..._meta` = JSON) with a short TTL, so a
camera that stops is visibly gone, and announced on a pub/sub channel. Sequence numbers come from a
Redis counter, so they keep rising when a camera moves to another process.

    publisher = FramePublisher(redis)                        # ingest / worker side (sync)
    meta = publisher.publish(7, jpeg, width=768, height=576)

    hub = FrameHub(redis_asyncio)                            # API side: one per process
    return StreamingResponse(mjpeg_parts(hub, 7), media_type=MJPEG_MEDIA_TYPE)
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import redis
import redis.asyncio as aioredis

from videohar.bus.keys import (
    FRAME_KINDS,
    LATEST_FRAME,
    frame_channel,
    frame_key,
    frame_meta_key,
    frame_seq_key,
)

log = logging.getLogger(__name__)

MJPEG_BOUNDARY = "frame"
MJPEG_MEDIA_TYPE = f"multipart/x-mixed-replace; boundary={MJPEG_BOUNDARY}"

# One round trip, atomic: next sequence number, frame + metadata with TTL, then the announcement.
_PUBLISH_LUA = """
local seq = redis.call('INCR', KEYS[3])
local meta = '{"seq":' .. seq .. ARGV[2]
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3])
redis.call('SET', KEYS[2], meta, 'PX', ARGV[3])
redis.call('PUBLISH', ARGV[4], meta)
return seq
"""


@dataclass(frozen=True, slots=True)
class FrameMeta:
    """What a reader needs to know about a published frame; times are Unix seconds."""

    seq: int
    captured_at: float
    published_at: float
    width: int
    height: int
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_json(cls, raw: bytes | str) -> FrameMeta:
        data = json.loads(raw)
        return cls(
            seq=int(data["seq"]),
            captured_at=float(data["captured_at"]),
            published_at=float(data["published_at"]),
            width=int(data["width"]),
            height=int(data["height"]),
            extra=dict(data.get("extra") or {}),
        )


@dataclass(frozen=True)
class Frame:
    """A published JPEG and its metadata; `part` is built once and shared by all MJPEG viewers."""

    jpeg: bytes
    meta: FrameMeta

    @cached_property
    def part(self) -> bytes:
        return mjpeg_part(self.jpeg)


def mjpeg_part(jpeg: bytes, boundary: str = MJPEG_BOUNDARY) -> bytes:
    """One `multipart/x-mixed-replace` part carrying a JPEG."""
    head = f"--{boundary}\r\nContent-Type: image/jpeg\r\nContent-Length: {len(jpeg)}\r\n\r\n".encode()
    return head + jpeg + b"\r\n"


class FramePublisher:
    """Writes frames of one kind (`latest_frame` by ingest, `boxed_image` by workers); thread-safe."""

    def __init__(self, client: redis.Redis, kind: str = LATEST_FRAME, ttl_ms: int = 3000) -> None:
        self.kind = kind
        self.ttl_ms = ttl_ms
        self._script = client.register_script(_PUBLISH_LUA)

    def publish(
        self,
        camera_id: int,
        jpeg: bytes,
        *,
        width: int,
        height: int,
        captured_at: float | None = None,
        extra: Mapping[str, Any] | None = None,
        ttl_ms: int | None = None,
    ) -> FrameMeta:
        """Store and announce one frame; returns its metadata with the assigned sequence number."""
        now = time.time()
        captured = now if captured_at is None else captured_at
        body = {"captured_at": captured, "published_at": now, "width": width, "height": height}
        if extra:
            body["extra"] = dict(extra)
        tail = "," + json.dumps(body, separators=(",", ":"))[1:]
        keys = [frame_key(camera_id, self.kind), frame_meta_key(camera_id, self.kind)]
        keys.append(frame_seq_key(camera_id, self.kind))
        ttl = self.ttl_ms if ttl_ms is None else ttl_ms
        seq = int(self._script(keys=keys, args=[jpeg, tail, ttl, frame_channel(camera_id, self.kind)]))
        return FrameMeta(seq, captured, now, width, height, dict(extra or {}))


def _frame_from(values: list[bytes | None]) -> Frame | None:
    jpeg, meta = values
    if jpeg is None or meta is None:
        return None
    return Frame(jpeg, FrameMeta.from_json(meta))


def read_latest(client: redis.Redis, camera_id: int, kind: str = LATEST_FRAME) -> Frame | None:
    """The newest live frame of a camera, or None when there is none (camera offline)."""
    return _frame_from(client.mget(frame_key(camera_id, kind), frame_meta_key(camera_id, kind)))


async def aread_latest(client: aioredis.Redis, camera_id: int, kind: str = LATEST_FRAME) -> Frame | None:
    """`read_latest` for asyncio code (snapshots in the API)."""
    return _frame_from(await client.mget(frame_key(camera_id, kind), frame_meta_key(camera_id, kind)))


def delete_frames(client: redis.Redis, camera_id: int) -> None:
    """Forget every frame key of a deleted camera (its sequence counters included)."""
    keys = [f(camera_id, k) for k in FRAME_KINDS for f in (frame_key, frame_meta_key, frame_seq_key)]
    client.delete(*keys)


class Viewer:
    """One consumer of a camera's frames with a one-slot mailbox: a slow viewer loses frames, never
    delays others, and never holds more than one frame."""

    def __init__(self, topic: _Topic) -> None:
        self._topic = topic
        self._slot: Frame | None = None
        self._ready = asyncio.Event()
        self._last_seq = 0
        self.delivered = 0
        self.dropped = 0
        self.closed = False

    def _offer(self, frame: Frame) -> None:
        if frame.meta.seq <= self._last_seq:
            return
        if self._slot is not None:
            self.dropped += 1
        self._slot = frame
        self._last_seq = frame.meta.seq
        self._ready.set()

    async def next(self, timeout: float | None = None) -> Frame | None:
        """The next frame not seen before; None if none came within `timeout` seconds."""
        try:
            await asyncio.wait_for(self._ready.wait(), timeout)
        except TimeoutError:
            return None
        frame, self._slot = self._slot, None
        self._ready.clear()
        self.delivered += 1
        return frame

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self._topic.leave(self)

    async def __aenter__(self) -> Viewer:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.close()


class _Topic:
    """One pub/sub subscription for one (camera, kind), shared by all viewers of this process."""

    def __init__(self, hub: FrameHub, camera_id: int, kind: str) -> None:
        self.hub = hub
        self.camera_id = camera_id
        self.kind = kind
        self.viewers: set[Viewer] = set()
        self.newest_seq = 0
        self.task = asyncio.get_running_loop().create_task(self._run(), name=f"frames-{camera_id}-{kind}")

    def leave(self, viewer: Viewer) -> None:
        self.viewers.discard(viewer)
        if not self.viewers:
            self.hub._drop(self)

    async def fetch(self) -> None:
        frame = await aread_latest(self.hub.redis, self.camera_id, self.kind)
        if frame is None or frame.meta.seq <= 0:
            return
        self.newest_seq = max(self.newest_seq, frame.meta.seq)
        for viewer in tuple(self.viewers):
            viewer._offer(frame)

    async def _run(self) -> None:
        channel = frame_channel(self.camera_id, self.kind)
        backoff = 0.2
        while True:
            try:
                async with self.hub.redis.pubsub(ignore_subscribe_messages=True) as pubsub:
                    await pubsub.subscribe(channel)
                    await self.fetch()  # anything published before the subscription took effect
                    backoff = 0.2
                    while True:
                        message = await pubsub.get_message(timeout=self.hub.idle_refresh_s)
                        if message is None or message.get("type") != "message":
                            if message is None:
                                await self.fetch()  # cheap insurance against a lost announcement
                            continue
                        if _seq_of(message["data"]) > self.newest_seq:
                            await self.fetch()
            except (redis.RedisError, OSError) as exc:
                log.warning("frame subscription %s lost (%s); retrying", channel, exc)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)


def _seq_of(payload: bytes) -> int:
    try:
        return int(json.loads(payload)["seq"])
    except (ValueError, KeyError, TypeError):
        return 1 << 62  # unknown payload: fetch to find out


class FrameHub:
    """Per-API-process fan-out of published frames: one subscription per watched (camera, kind),
    each new frame handed to every viewer once, unsubscribed when the last viewer leaves.
    Create it inside the running event loop (e.g. in the app lifespan) and `await close()` at exit."""

    def __init__(self, client: aioredis.Redis, *, idle_refresh_s: float = 2.0) -> None:
        self.redis = client
        self.idle_refresh_s = idle_refresh_s
        self._topics: dict[tuple[int, str], _Topic] = {}

    async def subscribe(self, camera_id: int, kind: str = LATEST_FRAME) -> Viewer:
        """A new viewer, primed with the current frame when the camera has one."""
        key = (int(camera_id), kind)
        topic = self._topics.get(key)
        if topic is None:
            topic = self._topics[key] = _Topic(self, int(camera_id), kind)
        viewer = Viewer(topic)
        topic.viewers.add(viewer)
        frame = await aread_latest(self.redis, camera_id, kind)
        if frame is not None:
            viewer._offer(frame)
        return viewer

    def subscriptions(self) -> dict[tuple[int, str], int]:
        """Watched (camera, kind) pairs and their viewer counts."""
        return {key: len(topic.viewers) for key, topic in self._topics.items()}

    def _drop(self, topic: _Topic) -> None:
        if self._topics.get((topic.camera_id, topic.kind)) is topic:
            del self._topics[(topic.camera_id, topic.kind)]
        topic.task.cancel()

    async def close(self) -> None:
        topics = list(self._topics.values())
        self._topics.clear()
        for topic in topics:
            topic.task.cancel()
        for topic in topics:
            with contextlib.suppress(asyncio.CancelledError):
                await topic.task


async def mjpeg_parts(hub: FrameHub, camera_id: int, kind: str = LATEST_FRAME) -> AsyncIterator[bytes]:
    """MJPEG body for `StreamingResponse(..., media_type=MJPEG_MEDIA_TYPE)`: one part per new frame,
    until the client goes away (the response cancels the generator, which releases the viewer)."""
    viewer = await hub.subscribe(camera_id, kind)
    try:
        while True:
            frame = await viewer.next()
            if frame is not None:
                yield frame.part
    finally:
        viewer.close()
