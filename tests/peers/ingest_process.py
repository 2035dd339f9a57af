"""Runs one ingest process for tests and benchmarks, as the `videohar ingest` role would.

    python tests/peers/ingest_process.py REDIS_URL CAMERAS.json MEMBER_ID [--lease-ms 3000]

CAMERAS.json is a list of CameraSpec dicts, re-read every sync (edit it to add or remove cameras).
SIGTERM/SIGINT stop it cleanly; SIGKILL is the crash case.
"""

from __future__ import annotations

import argparse
import json
import logging
import signal
import threading
from pathlib import Path

import redis

from videohar.cameras.ingest import CameraSpec, IngestService, IngestSettings


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("redis_url")
    parser.add_argument("cameras", type=Path)
    parser.add_argument("member_id")
    parser.add_argument("--lease-ms", type=int, default=IngestSettings().lease_ms)
    parser.add_argument("--sync-interval", type=float, default=IngestSettings().sync_interval_s)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format=f"{args.member_id} %(levelname)s %(message)s")

    def cameras() -> list[CameraSpec]:
        return [CameraSpec.from_dict(item) for item in json.loads(args.cameras.read_text())]

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    settings = IngestSettings(lease_ms=args.lease_ms, sync_interval_s=args.sync_interval, backoff_max_s=2.0)
    service = IngestService(redis.Redis.from_url(args.redis_url), cameras, args.member_id, settings)
    service.run(stop)


if __name__ == "__main__":
    main()
