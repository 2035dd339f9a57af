"""Tell running ingest processes and workers that a camera changed, so they re-read it within seconds."""

from __future__ import annotations

import logging

import redis

from videohar.bus.connection import RedisNotConfigured, get_redis

CHANGES_CHANNEL = "videohar:cameras:changed"
log = logging.getLogger("videohar.cameras")


def announce_camera_change(camera_id: int) -> None:
    """Best effort: processes also re-read the camera list periodically, so a lost message costs seconds."""
    try:
        get_redis().publish(CHANGES_CHANNEL, str(camera_id))
    except (redis.RedisError, RedisNotConfigured) as exc:
        log.warning("could not announce change of camera %s: %s", camera_id, exc)
