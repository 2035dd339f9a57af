"""Sharing items (cameras) fairly among any number of processes of one role through Redis leases.

Each process calls `sync(wanted)` about once a second. It heartbeats its membership, renews the
leases it holds (SET NX PX, renewed only while the value is still its own id), releases what is no
longer wanted or above its fair share, and claims free items up to that share:
`ceil(len(wanted) / live members)`. A process that dies stops renewing; its leases and membership
expire after `lease_ms` and the survivors claim the items on their next sync.

    allocator = LeaseAllocator(redis, role="ingest", member_id="host-1234", lease_ms=5000)
    owned = allocator.sync({1, 2, 3})   # call every ~lease_ms / 5
"""

from __future__ import annotations

import logging
import math
import random
import threading
import time
from collections.abc import Callable, Iterable

import redis

from videohar.bus.keys import lease_key, members_key

log = logging.getLogger(__name__)

# Heartbeat this member, forget expired ones, return how many are alive (Redis clock, not ours).
_HEARTBEAT_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]) * 10)
return redis.call('ZCARD', KEYS[1])
"""

# Renew the given leases where we still hold them; 1 = renewed, 0 = lost.
_RENEW_LUA = """
local out = {}
for i, key in ipairs(KEYS) do
  if redis.call('GET', key) == ARGV[1] then
    redis.call('PEXPIRE', key, ARGV[2])
    out[i] = 1
  else
    out[i] = 0
  end
end
return out
"""

# Delete the given leases where we hold them.
_RELEASE_LUA = """
for _, key in ipairs(KEYS) do
  if redis.call('GET', key) == ARGV[1] then redis.call('DEL', key) end
end
return 0
"""

# Claim free leases in the given order until `limit` were claimed; 1 = claimed.
_ACQUIRE_LUA = """
local out, got = {}, 0
local limit = tonumber(ARGV[3])
for i, key in ipairs(KEYS) do
  out[i] = 0
  if got < limit and redis.call('SET', key, ARGV[1], 'NX', 'PX', ARGV[2]) then
    out[i] = 1
    got = got + 1
  end
end
return out
"""


class LeaseAllocator:
    """Fair, failure-tolerant ownership of integer items for one process of one role."""

    def __init__(self, client: redis.Redis, role: str, member_id: str, lease_ms: int = 5000) -> None:
        self.role = role
        self.member_id = member_id
        self.lease_ms = lease_ms
        self.owned: set[int] = set()
        self.members = 1
        self._heartbeat = client.register_script(_HEARTBEAT_LUA)
        self._renew = client.register_script(_RENEW_LUA)
        self._release = client.register_script(_RELEASE_LUA)
        self._acquire = client.register_script(_ACQUIRE_LUA)
        self._redis = client
        self._last_sync_ok = time.monotonic()

    def share(self, wanted_count: int) -> int:
        return math.ceil(wanted_count / max(self.members, 1))

    def sync(self, wanted_ids: set[int]) -> set[int]:
        """Bring ownership in line with `wanted_ids` and the live member count; returns what we own.
        Raises redis errors: the caller should then treat nothing as owned once its leases run out."""
        me, ttl = self.member_id, self.lease_ms
        self.members = int(self._heartbeat(keys=[members_key(self.role)], args=[me, ttl]))
        held = sorted(self.owned)
        if held:
            kept = self._renew(keys=self._keys(held), args=[me, ttl])
            self.owned = {i for i, ok in zip(held, kept, strict=True) if int(ok)}
        share = self.share(len(wanted_ids))
        surplus = [i for i in self.owned if i not in wanted_ids]
        keep = [i for i in self.owned if i in wanted_ids]
        if len(keep) > share:
            random.shuffle(keep)
            surplus += keep[share:]
            keep = keep[:share]
        if surplus:
            self._release(keys=self._keys(surplus), args=[me])
        self.owned = set(keep)
        room = share - len(self.owned)
        if room > 0:
            candidates = [i for i in wanted_ids if i not in self.owned]
            random.shuffle(candidates)  # processes starting together rarely race for the same items
            if candidates:
                got = self._acquire(keys=self._keys(candidates), args=[me, ttl, room])
                self.owned |= {i for i, ok in zip(candidates, got, strict=True) if int(ok)}
        return set(self.owned)

    def sync_or_keep(self, wanted_ids: set[int], running: set[int]) -> set[int]:
        """`sync`, riding out a Redis outage: what is running stays ours while our leases cannot have
        expired yet (80 % of their time since the last good sync), then nothing is."""
        try:
            owned = self.sync(wanted_ids)
        except redis.RedisError as exc:
            log.warning("%s lease sync failed: %s", self.role, exc)
            if time.monotonic() - self._last_sync_ok > self.lease_ms / 1000 * 0.8:
                return set()
            return running & wanted_ids
        self._last_sync_ok = time.monotonic()
        return owned

    def _keys(self, ids: Iterable[int]) -> list[str]:
        return [lease_key(self.role, i) for i in ids]

    def release_all(self) -> None:
        """Give everything back and leave, so others take over at once (clean shutdown)."""
        if self.owned:
            self._release(keys=self._keys(self.owned), args=[self.member_id])
        self._redis.zrem(members_key(self.role), self.member_id)
        self.owned = set()


def lease_owners(client: redis.Redis, role: str, item_ids: list[int]) -> dict[int, str | None]:
    """Who holds each item's lease now (None = nobody)."""
    if not item_ids:
        return {}
    values = client.mget([lease_key(role, i) for i in item_ids])
    return {i: (v.decode() if v is not None else None) for i, v in zip(item_ids, values, strict=True)}


def live_members(client: redis.Redis, role: str) -> list[str]:
    """Member ids whose heartbeat has not expired (by the Redis clock)."""
    seconds, micros = client.time()
    now_ms = seconds * 1000 + micros // 1000
    return [m.decode() for m in client.zrangebyscore(members_key(role), now_ms, "+inf")]


def run_periodically(stop: threading.Event, interval_s: float, step: Callable[[], None]) -> None:
    """Call `step` every `interval_s` seconds (start to start) until `stop` is set."""
    while not stop.is_set():
        started = time.monotonic()
        step()
        stop.wait(max(0.0, interval_s - (time.monotonic() - started)))
