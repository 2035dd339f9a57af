"""The camera list as ingest and workers see it, read from the database each sync round."""

from __future__ import annotations

import logging

from sqlalchemy import select

from videohar.cameras.ingest import CameraSpec
from videohar.cameras.schemas import CameraSettings
from videohar.cameras.urls import InvalidStreamURL, classify
from videohar.config import get_settings
from videohar.db.models import Camera
from videohar.db.session import session_scope

log = logging.getLogger("videohar.cameras")
_warned: set[tuple[int, int]] = set()  # (camera id, version) already reported: sync runs every second


def load_camera_specs() -> list[CameraSpec]:
    """Every camera with its ingest settings; a source that is no longer allowed is disabled."""
    allowed = get_settings().allowed_media_dirs
    specs = []
    with session_scope() as db:
        for cam in db.scalars(select(Camera).order_by(Camera.id)):
            settings = CameraSettings.model_validate(cam.settings or {})
            enabled = cam.enabled
            try:
                classify(cam.stream_url, allowed)
            except InvalidStreamURL as exc:
                if (cam.id, cam.version) not in _warned:
                    _warned.add((cam.id, cam.version))
                    log.warning("camera %s disabled: %s", cam.id, exc)
                enabled = False
            specs.append(
                CameraSpec(
                    id=cam.id,
                    url=cam.stream_url,
                    enabled=enabled,
                    stream_fps=settings.stream_fps,
                    max_width=settings.max_width,
                    jpeg_quality=settings.jpeg_quality,
                    loop=settings.loop,
                    version=str(cam.version),
                )
            )
    return specs
