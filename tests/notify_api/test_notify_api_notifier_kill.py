"""The notifier as a real process, SIGKILLed mid-batch while the peer is slow: nothing is lost,
and the only duplicates are resends of one delivery under its own idempotency key."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections import Counter

from waiting import wait_for

NOTIFIER = (
    "import logging, signal, threading\n"
    "from videohar.notify.service import run_notifier\n"
    "logging.basicConfig(level=logging.DEBUG)\n"
    "stop = threading.Event()\n"
    "signal.signal(signal.SIGTERM, lambda *_: stop.set())\n"
    "run_notifier(stop)\n"
)


def _start(tmp_path, name: str) -> tuple[subprocess.Popen, object]:
    env = {
        **os.environ,  # DATABASE_URL, REDIS_URL and VIDEOHAR_DATA_DIR of the test (same secret key file)
        "VIDEOHAR_NOTIFY_LEASE_S": "1.5",
        "VIDEOHAR_NOTIFY_POLL_S": "0.1",
        "VIDEOHAR_NOTIFY_BATCH_SIZE": "4",
        "VIDEOHAR_NOTIFY_CONCURRENCY": "4",
        "VIDEOHAR_NOTIFY_HTTP_TIMEOUT": "5",
    }
    log = open(tmp_path / f"{name}.log", "wb")  # noqa: SIM115 - closed by the caller
    return subprocess.Popen([sys.executable, "-c", NOTIFIER], env=env, stdout=log, stderr=subprocess.STDOUT), log


def test_killed_notifier_loses_nothing(notify_env, camera, open_event, deliver, http_peer, known, tmp_path):
    from videohar.notify.channels import verify_signature

    received: list[str] = []
    in_flight = [0]
    lock = threading.Lock()

    def slow_receiver(request):
        assert verify_signature(
            known.webhook_secret,
            request.headers["x-videohar-timestamp"],
            request.body,
            request.headers["x-videohar-signature"],
        )
        with lock:
            received.append(request.headers["idempotency-key"])
            in_flight[0] += 1
        threading.Event().wait(0.3)
        with lock:
            in_flight[0] -= 1
        return 200, {}, b""

    peer = http_peer(slow_receiver)
    h, cam = camera()
    notify_env.post("/webhooks", json={"url": peer.base_url + "/h", "secret": known.webhook_secret}, headers=h)
    notify_env.post("/notification_rules", json={"camera_id": cam, "cooldown_s": 0}, headers=h)
    total = 12
    assert sum(open_event(cam)[1] for _ in range(total)) == total

    first, log1 = _start(tmp_path, "first")
    try:
        wait_for(lambda: len(received) >= 5 and in_flight[0] > 0, 30, what="a send in flight")
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    finally:
        first.kill()
        log1.close()
    killed_at = len(received)
    assert killed_at < total, "the notifier finished before it could be killed"

    second, log2 = _start(tmp_path, "second")
    try:
        rows = wait_for(
            lambda: (rs := deliver.rows()) and all(r["status"] == "sent" for r in rs) and rs, 30, what="all sent"
        )
    finally:
        second.send_signal(signal.SIGTERM)
        assert second.wait(15) == 0
        log2.close()

    keys = {r["idempotency_key"] for r in rows}
    assert len(rows) == total and len(keys) == total
    counts = Counter(received)
    assert set(counts) == keys  # every delivery arrived, nothing unknown arrived
    resent = {k for k, n in counts.items() if n > 1}
    assert resent, "the send in flight at the kill should have been resent under its key"
    assert all(r["attempts"] >= 2 for r in rows if r["idempotency_key"] in resent)
    logs = (tmp_path / "first.log").read_text() + (tmp_path / "second.log").read_text()
    assert "sent on attempt" in logs and known.webhook_secret not in logs
