"""Fixtures for the notification API and outbox tests.

The real peers (aiosmtpd with STARTTLS + AUTH, the scriptable local HTTP server) are the
ones of `tests/notify/conftest.py`, loaded from that file rather than copied.
"""

from __future__ import annotations

import importlib.util
import sys
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "peers"))


def _load(filename: str) -> Any:
    """A module of tests/notify by path (its peers and stand-ins are shared, not copied)."""
    name = "videohar_tests_notify_" + filename.removesuffix(".py")
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, HERE.parent / "notify" / filename)
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


peers = _load("conftest.py")
_line = _load("test_notify_line.py")
_webhook = _load("test_notify_webhook.py")
LineStandIn = _line.LineStandIn
WebhookReceiver = _webhook.Receiver
tls_files = peers.tls_files
snapshot_jpeg = peers.snapshot_jpeg
smtp_starttls = peers.smtp_starttls
smtp_peer = peers.smtp_peer
http_peer = peers.http_peer
closed_port = peers.closed_port
HttpPeer = peers.HttpPeer
Request = peers.Request
SMTP_USER = peers.SMTP_USER
SMTP_PASSWORD = peers.SMTP_PASSWORD

LINE_TOKEN = _line.TOKEN
LINE_USER = _line.USER
WEBHOOK_SECRET = _webhook.SECRET


@pytest.fixture
def line_api(http_peer) -> tuple[Any, Any]:
    """(LINE stand-in checking requests as LINE documents them, its HTTP peer)."""
    stand_in = LineStandIn()
    return stand_in, http_peer(stand_in)


@pytest.fixture
def webhook(http_peer) -> tuple[Any, Any]:
    """(receiver verifying signatures and remembering idempotency keys, its HTTP peer)."""
    receiver = WebhookReceiver(WEBHOOK_SECRET)
    return receiver, http_peer(receiver)


@pytest.fixture
def notify_env(client, monkeypatch, smtp_peer, tls_files, line_api) -> Iterator[Any]:
    """Fast retries, the SMTP peer as the mail server; settings re-read for this test."""
    from videohar.notify.settings import reset_notify_settings

    values = {
        "VIDEOHAR_NOTIFY_LINE_BASE_URL": line_api[1].base_url,
        "VIDEOHAR_NOTIFY_BACKOFF_BASE_S": "0.05",
        "VIDEOHAR_NOTIFY_BACKOFF_MAX_S": "0.2",
        "VIDEOHAR_NOTIFY_MAX_ATTEMPTS": "4",
        "VIDEOHAR_NOTIFY_HTTP_TIMEOUT": "3",
        "VIDEOHAR_NOTIFY_TIMEZONE": "Asia/Tokyo",
        "VIDEOHAR_SMTP_HOST": smtp_peer.host,
        "VIDEOHAR_SMTP_PORT": str(smtp_peer.port),
        "VIDEOHAR_SMTP_SECURITY": "starttls",
        "VIDEOHAR_SMTP_USERNAME": SMTP_USER,
        "VIDEOHAR_SMTP_PASSWORD": SMTP_PASSWORD,
        "VIDEOHAR_SMTP_SENDER": "VideoHAR <alerts@example.com>",
        "VIDEOHAR_SMTP_CA_FILE": str(tls_files.cert),
        "VIDEOHAR_SMTP_TIMEOUT": "5",
    }
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    reset_notify_settings()
    yield client
    monkeypatch.undo()
    reset_notify_settings()


@pytest.fixture
def camera(notify_env, make_user) -> Callable[..., tuple[dict[str, str], int]]:
    """Factory: (headers of a new operator, id of a camera they own)."""

    def make(username: str = "owner", name: str = "Front gate") -> tuple[dict[str, str], int]:
        headers = make_user(notify_env, username)
        r = notify_env.post("/cameras", json={"name": name, "stream_url": "rtsp://cam.local/1"}, headers=headers)
        assert r.status_code == 201, r.text
        return headers, r.json()["id"]

    return make


@pytest.fixture
def open_event(clean_state) -> Callable[..., tuple[int, int]]:
    """Store an event the way a worker does and run `on_event`; returns (event id, deliveries enqueued)."""
    from videohar.db.models import Event
    from videohar.db.session import session_scope
    from videohar.notify.dispatch import on_event

    def make(
        camera_id: int,
        label: str = "fall",
        score: float = 0.9,
        at: datetime | None = None,
        snapshot: bytes | None = None,
        area_id: int | None = None,
    ) -> tuple[int, int]:
        with session_scope() as db:
            event = Event(
                camera_id=camera_id, label=label, score=score, started_at=at or datetime.now(UTC), area_id=area_id
            )
            if snapshot is not None:
                rel = f"events/{camera_id}/{label}-{datetime.now(UTC).timestamp()}.jpg"
                path = clean_state / "media" / rel
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(snapshot)
                event.snapshot_path = rel
            db.add(event)
            db.flush()
            return event.id, on_event(db, event)

    return make


@pytest.fixture
def deliver(notify_env) -> Iterator[Callable[..., list[dict[str, Any]]]]:
    """Run notifier rounds in this process until `done(rows)` holds; returns the delivery rows."""
    from sqlalchemy import select

    from videohar.db.notify_models import NotifyDelivery
    from videohar.db.session import session_scope
    from videohar.notify.service import ChannelFactory, process_due

    factory = ChannelFactory(timeout=3)
    pool = ThreadPoolExecutor(4)

    def rows() -> list[dict[str, Any]]:
        with session_scope() as db:
            return [
                {c: getattr(d, c) for c in ("id", "status", "attempts", "kind", "last_error", "idempotency_key")}
                for d in db.scalars(select(NotifyDelivery).order_by(NotifyDelivery.id))
            ]

    def run(done: Callable[[list[dict[str, Any]]], bool] | None = None, timeout: float = 15) -> list[dict[str, Any]]:
        import time

        done = done or (lambda rs: all(r["status"] in ("sent", "failed", "dead") for r in rs))
        deadline = time.monotonic() + timeout
        while True:
            process_due(factory, pool, "test-notifier")
            current = rows()
            if done(current):
                return current
            if time.monotonic() > deadline:
                pytest.fail(f"deliveries did not settle: {current}")
            threading.Event().wait(0.02)

    run.rows = rows  # type: ignore[attr-defined]
    yield run
    pool.shutdown()
    factory.close()


@pytest.fixture
def known() -> Any:
    """The secrets the peers accept, to send and to look for in responses and logs."""
    from types import SimpleNamespace

    return SimpleNamespace(
        line_token=LINE_TOKEN, line_user=LINE_USER, webhook_secret=WEBHOOK_SECRET, smtp_password=SMTP_PASSWORD
    )
