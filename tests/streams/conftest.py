"""A real API server (uvicorn in a thread) and a real ingest service for stream tests."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator

import pytest
import uvicorn

from peers.waiting import wait_for


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def live_server(clean_state) -> Iterator[str]:
    from videohar.api.app import create_app

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_for(lambda: server.started, 20, what="uvicorn to start")
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


@pytest.fixture
def ingest_service(clean_state, redis_url) -> Iterator[Callable[[], object]]:
    """Start an in-process ingest service on the DB's cameras (call the fixture's value to start)."""
    import redis

    from videohar.cameras.ingest import IngestService, IngestSettings
    from videohar.cameras.provider import load_camera_specs

    stop = threading.Event()
    threads: list[threading.Thread] = []

    def start() -> IngestService:
        service = IngestService(
            redis.Redis.from_url(redis_url), load_camera_specs, settings=IngestSettings(sync_interval_s=0.3)
        )
        t = threading.Thread(target=service.run, args=(stop,), daemon=True)
        t.start()
        threads.append(t)
        return service

    yield start
    stop.set()
    for t in threads:
        t.join(10)
