"""Ingest and recognition services in threads of the test process, as `videohar up` runs them."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import redis


def start_roles(redis_url: str, media: Path, stop: threading.Event) -> list[threading.Thread]:
    """Start an ingest and a worker service (fast sync rounds); they run until `stop` is set."""
    from videohar.cameras.ingest import IngestService, IngestSettings
    from videohar.cameras.provider import load_camera_specs
    from videohar.worker.service import WorkerService, WorkerSettings

    ingest = IngestService(
        redis.Redis.from_url(redis_url), load_camera_specs, settings=IngestSettings(sync_interval_s=0.3)
    )
    worker = WorkerService(redis.Redis.from_url(redis_url), media, settings=WorkerSettings(sync_interval_s=0.3))
    threads = [threading.Thread(target=s.run, args=(stop,), daemon=True) for s in (ingest, worker)]
    for t in threads:
        t.start()
    return threads


@contextmanager
def running_roles(redis_url: str, media: Path | None = None) -> Iterator[None]:
    """The two roles for the duration of a `with` block (media defaults to the configured folder)."""
    if media is None:
        from videohar.config import get_settings

        media = get_settings().media_path
    stop = threading.Event()
    threads = start_roles(redis_url, media, stop)
    try:
        yield
    finally:
        stop.set()
        for t in threads:
            t.join(30)
