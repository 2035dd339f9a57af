"""Cameras shared by lease among ingest processes: fair shares, takeover after a crash, no double owner."""

from __future__ import annotations

import collections
import json
import signal
import time
from pathlib import Path

import redis
from waiting import wait_for

from videohar.bus.leases import LeaseAllocator, lease_owners, live_members
from videohar.cameras.ingest import INGEST_ROLE

CAMERAS = list(range(1, 7))


def test_allocators_share_fairly_and_take_over_when_one_leaves(redis_client: redis.Redis):
    wanted = set(CAMERAS)
    first = LeaseAllocator(redis_client, "test-role", "a", lease_ms=2000)
    assert first.sync(wanted) == wanted  # alone: everything
    second = LeaseAllocator(redis_client, "test-role", "b", lease_ms=2000)
    for _ in range(3):  # a sync round each: a sees b, gives back its surplus, b claims it
        owned_b = second.sync(wanted)
        owned_a = first.sync(wanted)
    assert (len(owned_a), len(owned_b)) == (3, 3) and not owned_a & owned_b
    assert set(lease_owners(redis_client, "test-role", CAMERAS).values()) == {"a", "b"}

    first.release_all()
    assert second.sync(wanted) == wanted
    assert live_members(redis_client, "test-role") == ["b"]
    assert second.sync({1, 2}) == {1, 2}  # cameras removed: their leases go
    assert lease_owners(redis_client, "test-role", [3])[3] is None


def _owners(client: redis.Redis) -> dict[int, str | None]:
    return lease_owners(client, INGEST_ROLE, CAMERAS)


def _publishers(client: redis.Redis, seconds: float) -> dict[int, set[str]]:
    """Which processes published each camera's frames during the next `seconds` (via pub/sub)."""
    seen: dict[int, set[str]] = collections.defaultdict(set)
    pubsub = client.pubsub(ignore_subscribe_messages=True)
    pubsub.psubscribe("videohar:frames:camera_*_latest_frame")
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        message = pubsub.get_message(timeout=0.1)
        if message and message["type"] == "pmessage":
            camera = int(message["channel"].decode().split("_")[1])
            seen[camera].add(json.loads(message["data"])["extra"]["by"])
    pubsub.close()
    return seen


def test_two_processes_split_six_cameras_and_survive_a_kill(redis_client, ingest_process, demo_clip: Path):
    cameras = [
        {"id": i, "url": str(demo_clip), "loop": True, "stream_fps": 2, "max_width": 192, "max_height": 192}
        for i in CAMERAS
    ]
    first = ingest_process(cameras, "p1")
    wait_for(lambda: set(_owners(redis_client).values()) == {"p1"}, 15, what="p1 to own all six")
    ingest_process(cameras, "p2")

    def split_evenly() -> bool:
        counts = collections.Counter(_owners(redis_client).values())
        return counts == {"p1": 3, "p2": 3}

    wait_for(split_evenly, 10, what="a 3 + 3 split")
    # Settled: each camera is published by exactly one process (the one holding its lease).
    owners = _owners(redis_client)
    publishers = _publishers(redis_client, 2.0)
    assert set(publishers) == set(CAMERAS)
    assert all(publishers[c] == {owners[c]} for c in CAMERAS), (publishers, owners)

    first.send_signal(signal.SIGKILL)
    first.wait(5)
    killed_at = time.monotonic()
    wait_for(lambda: set(_owners(redis_client).values()) == {"p2"}, 10, what="p2 to own all six")
    publishers = wait_for(
        lambda: (p := _publishers(redis_client, 1.0)) and set(p) == set(CAMERAS) and p, 10, what="publishing"
    )
    assert time.monotonic() - killed_at < 10
    assert all(publishers[c] == {"p2"} for c in CAMERAS)
