"""Ingest against real streams: a looped file, an HTTP MJPEG camera, a GStreamer RTSP camera."""

from __future__ import annotations

from pathlib import Path

import redis
import simplejpeg
from waiting import wait_for

from videohar.bus.frames import read_latest
from videohar.cameras.ingest import CameraSpec, read_status


def frames_advance(client: redis.Redis, camera_id: int, count: int, timeout: float) -> list:
    """Collect `count` distinct published frames, checking each decodes to its announced size."""
    seen: dict[int, object] = {}

    def collect() -> bool:
        frame = read_latest(client, camera_id)
        if frame is not None and frame.meta.seq not in seen:
            image = simplejpeg.decode_jpeg(frame.jpeg)
            assert image.shape == (frame.meta.height, frame.meta.width, 3)
            seen[frame.meta.seq] = frame
        return len(seen) >= count

    wait_for(collect, timeout, interval=0.02, what=f"{count} frames of camera {camera_id}")
    frames = [seen[s] for s in sorted(seen)]
    captured = [f.meta.captured_at for f in frames]
    assert captured == sorted(captured), "capture times go backwards"
    return frames


def test_looped_file_is_published_downscaled_and_rate_capped(redis_client, ingest, demo_clip: Path):
    ingest([CameraSpec(1, str(demo_clip), loop=True, stream_fps=5, max_width=384, max_height=384)])
    frames = frames_advance(redis_client, 1, 6, timeout=15)
    assert {(f.meta.width, f.meta.height) for f in frames} == {(384, 288)}
    assert frames[0].jpeg != frames[-1].jpeg
    status = wait_for(lambda: read_status(redis_client, [1])[1].get("decoded_fps", 0) > 0, 5, what="fps")
    status = read_status(redis_client, [1])[1]
    assert status["state"] == "online" and status["owner"] == "t1"
    # 10 fps clip capped at 5 fps: about half of the decoded frames are skipped, none dropped.
    assert status["published_fps"] <= 6.0
    assert status["skipped_frames"] > 0


def test_mjpeg_camera_goes_offline_and_comes_back(redis_client, ingest, mjpeg_camera):
    camera = mjpeg_camera()
    ingest([CameraSpec(2, camera.url, stream_fps=10)])
    frames = frames_advance(redis_client, 2, 5, timeout=10)
    assert (frames[0].meta.width, frames[0].meta.height) == (384, 288)
    assert read_status(redis_client, [2])[2]["state"] == "online"

    camera.stop()
    status = wait_for(lambda: (s := read_status(redis_client, [2])[2])["state"] == "offline" and s, 5, what="offline")
    assert status["reason"]
    wait_for(lambda: read_latest(redis_client, 2) is None, 5, what="the frame to expire")

    last_seq = frames[-1].meta.seq
    mjpeg_camera(port=camera.port)  # the camera comes back on the same address
    wait_for(lambda: read_status(redis_client, [2])[2]["state"] == "online", 10, what="online again")
    again = frames_advance(redis_client, 2, 3, timeout=10)
    assert again[0].meta.seq > last_seq
    assert read_status(redis_client, [2])[2]["reconnects"] >= 1


def test_rtsp_camera_killed_and_restarted(redis_client, ingest, rtsp_camera):
    rtsp_camera.start()
    ingest([CameraSpec(3, rtsp_camera.url, stream_fps=10, max_width=640)])
    frames = frames_advance(redis_client, 3, 5, timeout=15)
    assert (frames[-1].meta.width, frames[-1].meta.height) == (640, 480)

    rtsp_camera.kill()
    wait_for(lambda: read_status(redis_client, [3])[3]["state"] == "offline", 6, what="offline")
    rtsp_camera.start()
    wait_for(lambda: read_status(redis_client, [3])[3]["state"] == "online", 15, what="online again")
    assert frames_advance(redis_client, 3, 3, timeout=10)[0].meta.seq > frames[-1].meta.seq


def test_bad_sources_report_a_reason_without_the_url(redis_client, ingest, mjpeg_camera):
    camera = mjpeg_camera()
    secret = "http://user:hunter2@127.0.0.1:1/video"
    ingest([CameraSpec(4, secret), CameraSpec(5, camera.url.replace("/video", "/missing"))])
    gone = wait_for(
        lambda: (s := read_status(redis_client, [4])[4]).get("owner") and s["reason"] and s, 5, what="reason"
    )
    assert gone["state"] == "offline" and "hunter2" not in str(gone)
    missing = wait_for(
        lambda: (s := read_status(redis_client, [5])[5]).get("owner") and s["reason"] and s, 5, what="404"
    )
    assert missing["state"] == "error" and "404" in missing["reason"], missing


def test_camera_changes_are_picked_up_without_restart(redis_client, ingest, mjpeg_camera, demo_clip):
    camera = mjpeg_camera()
    service = ingest([CameraSpec(6, str(demo_clip), loop=True, stream_fps=5, max_width=320)])
    wait_for(lambda: (f := read_latest(redis_client, 6)) and f.meta.width == 320, 10, what="file frames")

    service.cameras["cameras"] = [CameraSpec(6, camera.url, stream_fps=5, version="2")]  # URL changed
    wait_for(lambda: (f := read_latest(redis_client, 6)) and f.meta.width == 384, 5, what="new URL used")

    service.cameras["cameras"] = [CameraSpec(6, camera.url, enabled=False, version="3")]
    wait_for(lambda: 6 not in service.readers, 5, what="disabled camera's reader to stop")
    wait_for(lambda: read_latest(redis_client, 6) is None, 5, what="disabled camera to stop publishing")
