"""Login failure limiting in Redis, so every API process shares the count."""

from __future__ import annotations

import hashlib

import redis


def _key(username: str, client: str) -> str:
    digest = hashlib.sha256(f"{username.lower()}|{client}".encode()).hexdigest()[:32]
    return f"videohar:login_failures:{digest}"


def retry_after(r: redis.Redis, username: str, client: str, max_failures: int) -> int:
    """Seconds the caller must wait, or 0 when a login attempt is allowed."""
    key = _key(username, client)
    count = r.get(key)
    if count is not None and int(count) >= max_failures:
        return max(1, int(r.ttl(key)))
    return 0


def record_failure(r: redis.Redis, username: str, client: str, window_seconds: int) -> None:
    key = _key(username, client)
    pipe = r.pipeline()
    pipe.set(key, 0, ex=window_seconds, nx=True)  # the window starts at the first failure
    pipe.incr(key)
    pipe.execute()


def clear(r: redis.Redis, username: str, client: str) -> None:
    r.delete(_key(username, client))
