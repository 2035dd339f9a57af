"""Real peers for the ingest tests: an HTTP MJPEG camera, a GStreamer RTSP camera, ingest services
in threads and ingest processes; helpers that wait on conditions instead of sleeping."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

from videohar.cameras.ingest import CameraSpec, IngestService, IngestSettings

PEERS = Path(__file__).resolve().parent.parent / "peers"
sys.path.insert(0, str(PEERS))

from mjpeg_server import MjpegCamera, demo_jpegs  # noqa: E402

FAST = IngestSettings(lease_ms=3000, sync_interval_s=0.5, read_timeout_s=2.0, backoff_max_s=1.0)
SYSTEM_PYTHON = "/usr/bin/python3"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def demo_frames(demo_clip: Path) -> list[bytes]:
    return demo_jpegs(demo_clip, count=20, width=384)


@pytest.fixture
def mjpeg_camera(demo_frames: list[bytes]) -> Iterator[Callable[..., MjpegCamera]]:
    started: list[MjpegCamera] = []

    def start(port: int = 0, fps: float = 10.0) -> MjpegCamera:
        camera = MjpegCamera(demo_frames, fps=fps, port=port).start()
        started.append(camera)
        return camera

    yield start
    for camera in started:
        if not camera.stopping.is_set():
            camera.stop()


class RtspCamera:
    """GStreamer RTSP server subprocess on a fixed port, restartable."""

    def __init__(self, clip: Path) -> None:
        self.clip = clip
        self.port = free_port()
        self.url = f"rtsp://127.0.0.1:{self.port}/cam"
        self.proc: subprocess.Popen[str] | None = None

    def start(self) -> RtspCamera:
        script = str(PEERS / "rtsp_server.py")
        self.proc = subprocess.Popen(
            [SYSTEM_PYTHON, script, str(self.clip), str(self.port)], stdout=subprocess.PIPE, text=True
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        assert line.strip() == "ready", f"RTSP server did not start: {line!r}"
        return self

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)


def _has_rtsp_server() -> bool:
    if not os.path.exists(SYSTEM_PYTHON):
        return False
    probe = "import gi; gi.require_version('GstRtspServer', '1.0'); from gi.repository import GstRtspServer"
    return subprocess.run([SYSTEM_PYTHON, "-c", probe], capture_output=True).returncode == 0


@pytest.fixture
def rtsp_camera(demo_clip: Path) -> Iterator[RtspCamera]:
    if not _has_rtsp_server():
        pytest.fail("GStreamer RTSP server missing: run scripts/setup-system-packages as root")
    camera = RtspCamera(demo_clip)
    yield camera
    camera.kill()


@pytest.fixture
def ingest(redis_client: redis.Redis) -> Iterator[Callable[..., IngestService]]:
    """Start IngestServices in threads over a mutable camera list (`service.cameras`)."""
    running: list[tuple[IngestService, threading.Event, threading.Thread]] = []

    def start(cameras: list[CameraSpec], member_id: str = "t1", settings: IngestSettings = FAST) -> Any:
        box = {"cameras": list(cameras)}
        service = IngestService(redis_client, lambda: box["cameras"], member_id, settings)
        service.cameras = box  # type: ignore[attr-defined]
        stop = threading.Event()
        thread = threading.Thread(target=service.run, args=(stop,), daemon=True)
        thread.start()
        running.append((service, stop, thread))
        return service

    yield start
    for _, stop, _thread in running:
        stop.set()
    for _, _, thread in running:
        thread.join(10)


@pytest.fixture
def ingest_process(redis_url: str, tmp_path: Path) -> Iterator[Callable[..., subprocess.Popen]]:
    """Start real ingest processes (tests/peers/ingest_process.py) over a JSON camera list."""
    procs: list[subprocess.Popen] = []

    def start(cameras: list[dict], member_id: str, lease_ms: int = 3000) -> subprocess.Popen:
        path = tmp_path / "cameras.json"
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(cameras))
        os.replace(tmp, path)
        command = [sys.executable, str(PEERS / "ingest_process.py"), redis_url, str(path), member_id]
        command += ["--lease-ms", str(lease_ms), "--sync-interval", "0.5"]
        proc = subprocess.Popen(command, stderr=subprocess.DEVNULL)
        procs.append(proc)
        return proc

    yield start
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    for proc in procs:
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
