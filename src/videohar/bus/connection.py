"""Redis clients for the configured URL (sync for workers and routes, asyncio for streams)."""

from __future__ import annotations

from functools import lru_cache

import redis
import redis.asyncio as aioredis


class RedisNotConfigured(RuntimeError):
    """No REDIS_URL: only `up` starts an embedded Redis and passes its URL to every role."""


def redis_url() -> str:
    from videohar.config import get_settings

    url = get_settings().redis_url
    if not url:
        raise RedisNotConfigured("REDIS_URL is not set (run `videohar up`, or point REDIS_URL at a Redis server)")
    return url


@lru_cache(maxsize=4)
def _sync_client(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=3, health_check_interval=30)


def get_redis() -> redis.Redis:
    return _sync_client(redis_url())


def new_async_redis() -> aioredis.Redis:
    """A fresh asyncio client; each event loop needs its own."""
    return aioredis.Redis.from_url(redis_url(), socket_connect_timeout=3, health_check_interval=30)


def reset_clients() -> None:
    _sync_client.cache_clear()
