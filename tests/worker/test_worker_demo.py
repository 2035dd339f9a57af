"""The recognition worker on the real demo clip: skeletons and tracks live, areas filter, events with media."""

from __future__ import annotations

import json
import threading
import time

import av
import httpx
import pytest
import redis
import simplejpeg

from peers.roles import start_roles
from peers.waiting import wait_for
from videohar.bus import keys
from videohar.bus.frames import read_latest
from videohar.supervisor import DEMO_CLIP

# Streams and recognition do not depend on the database engine: these run once, on SQLite.
pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

PASSWORD = "correct horse battery"


def test_worker_tracks_people_filters_areas_and_raises_loitering_with_clip(clean_state, redis_url):
    from videohar.auth.users import create_user
    from videohar.cameras.schemas import CameraSettings
    from videohar.config import get_settings
    from videohar.db.models import Area, Camera, Event, Role
    from videohar.db.session import session_scope

    settings = get_settings()
    with session_scope() as db:
        owner = create_user(db, username="owner", email="o@example.com", password=PASSWORD, role=Role.operator)
        cam_settings = CameraSettings(analysis_fps=8, actions=["loitering", "fall", "lying"]).model_dump()
        cam = Camera(owner_id=owner.id, name="demo", stream_url=DEMO_CLIP.resolve().as_uri(), settings=cam_settings)
        db.add(cam)
        db.flush()
        # the walkway in the middle of the picture; people stay in it for seconds
        db.add(
            Area(
                camera_id=cam.id,
                name="walkway",
                kind="polygon",
                color="#00ff00",
                actions=["loitering"],
                dwell_seconds=2.0,
                points=[[150, 150], [650, 150], [650, 576], [150, 576]],
            )
        )
        camera_id = cam.id
    r = redis.Redis.from_url(redis_url)
    stop = threading.Event()
    threads = start_roles(redis_url, settings.media_path, stop)
    try:
        first = wait_for(lambda: read_latest(r, camera_id, keys.BOXED_IMAGE), 60, what="an annotated frame")
        assert simplejpeg.decode_jpeg(first.jpeg).shape == (576, 768, 3)
        # annotated frames keep coming (every analysed frame is drawn)
        wait_for(
            lambda: (f := read_latest(r, camera_id, keys.BOXED_IMAGE)) and f.meta.seq > first.meta.seq + 5,
            30,
            what="annotated frames to keep updating",
        )
        status = json.loads(wait_for(lambda: r.get(keys.worker_status_key(camera_id)), 10, what="worker status"))
        assert status["fps"] > 0 and {"pose", "tracking", "actions", "drawing"} <= set(status["latency_ms"])

        def loitering_with_clip():  # type: ignore[no-untyped-def]
            with session_scope() as db:
                events = db.query(Event).filter(Event.camera_id == camera_id).all()
                done = [e for e in events if e.label == "loitering" and e.clip_path]
                return done[0] if done else None

        event = wait_for(loitering_with_clip, 120, what="a loitering event with its clip", interval=0.5)
        assert event.area_name == "walkway" and event.snapshot_path and event.skeleton_path
        media = settings.media_path
        assert simplejpeg.decode_jpeg((media / event.snapshot_path).read_bytes()).shape[2] == 3
        with av.open(str(media / event.clip_path)) as clip:
            stream = clip.streams.video[0]
            assert stream.codec_context.name == "h264"
            frames = sum(1 for _ in clip.decode(video=0))
        assert frames >= 10
        skeleton = json.loads((media / event.skeleton_path).read_text())
        assert skeleton["version"] == 1 and len(skeleton["frames"]) == frames
        tracks = {p["track_id"] for f in skeleton["frames"] for p in f["people"]}
        assert event.track_id in tracks
        with session_scope() as db:
            labels = {e.label for e in db.query(Event).filter(Event.camera_id == camera_id)}
        assert not labels & {"fall", "lying"}, labels  # walking people are not falls
    finally:
        stop.set()
        for t in threads:
            t.join(30)


def test_area_outside_everyone_means_no_people(clean_state, redis_url):
    from videohar.auth.users import create_user
    from videohar.cameras.schemas import CameraSettings
    from videohar.config import get_settings
    from videohar.db.models import Area, Camera, Role
    from videohar.db.session import session_scope

    with session_scope() as db:
        owner = create_user(db, username="owner", email="o@example.com", password=PASSWORD, role=Role.operator)
        cam = Camera(
            owner_id=owner.id,
            name="demo",
            stream_url=DEMO_CLIP.resolve().as_uri(),
            settings=CameraSettings(analysis_fps=8).model_dump(),
        )
        db.add(cam)
        db.flush()
        # a corner of the sky where nobody walks
        db.add(Area(camera_id=cam.id, name="corner", kind="rect", points=[[0, 0], [60, 0], [60, 40], [0, 40]]))
        camera_id = cam.id
    r = redis.Redis.from_url(redis_url)
    stop = threading.Event()
    threads = start_roles(redis_url, get_settings().media_path, stop)
    try:
        wait_for(lambda: (f := read_latest(r, camera_id, keys.BOXED_IMAGE)) and f.meta.seq > 20, 60, what="20 frames")
        status = json.loads(r.get(keys.worker_status_key(camera_id)))
        assert status["tracks"] > 0  # people are tracked ...
        seen = [read_latest(r, camera_id, keys.BOXED_IMAGE).meta.extra["people"] for _ in range(5)]
        assert seen == [0] * 5  # ... but nobody counts outside the areas
    finally:
        stop.set()
        for t in threads:
            t.join(30)


def test_recognized_stream_is_served(clean_state, redis_url):
    """`/recognized_stream` fans out the worker's frames like the raw stream."""
    import socket

    import uvicorn

    from videohar.api.app import create_app
    from videohar.auth.users import create_user
    from videohar.config import get_settings
    from videohar.db.models import Camera, Role
    from videohar.db.session import session_scope

    with session_scope() as db:
        owner = create_user(db, username="owner", email="o@example.com", password=PASSWORD, role=Role.operator)
        db.add(Camera(owner_id=owner.id, name="demo", stream_url=DEMO_CLIP.resolve().as_uri(), settings={}))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_level="warning"))
    st = threading.Thread(target=server.run, daemon=True)
    st.start()
    wait_for(lambda: server.started, 20, what="server")
    stop = threading.Event()
    threads = start_roles(redis_url, get_settings().media_path, stop)
    base = f"http://127.0.0.1:{port}"
    try:
        token = httpx.post(f"{base}/login", json={"username": "owner", "password": PASSWORD}).json()["access_token"]
        h = {"Authorization": f"Bearer {token}"}
        cam_id = httpx.get(f"{base}/cameras", headers=h).json()[0]["id"]
        got: list[bytes] = []
        with httpx.stream("GET", f"{base}/recognized_stream/{cam_id}", headers=h, timeout=60) as resp:
            assert resp.status_code == 200
            buf = b""
            for chunk in resp.iter_bytes():
                buf += chunk
                while (s := buf.find(b"\xff\xd8")) >= 0 and (e := buf.find(b"\xff\xd9", s)) >= 0:
                    got.append(buf[s : e + 2])
                    buf = buf[e + 2 :]
                if len(got) >= 3:
                    break
        assert len(set(got)) == 3
        detail = httpx.get(f"{base}/cameras/{cam_id}/status", headers=h).json()
        assert "recognition" in detail["detail"]
    finally:
        stop.set()
        for t in threads:
            t.join(30)
        server.should_exit = True
        st.join(10)


def test_metrics_and_system_views(client, make_user, redis_url):
    admin = make_user(client, "root", "admin")
    op = make_user(client, "oper")
    client.cookies.clear()
    cam = client.post("/cameras", json={"name": "c", "stream_url": "rtsp://h/x"}, headers=op).json()
    r = redis.Redis.from_url(redis_url)
    r.set(
        keys.worker_status_key(cam["id"]),
        json.dumps({"fps": 7.5, "people": 3, "tracks": 4, "skipped": 2, "latency_ms": {"pose": 31.5}}),
    )
    text = client.get("/metrics", headers=op).text
    assert f'videohar_analysed_fps{{camera="{cam["id"]}"}} 7.5' in text
    assert f'videohar_stage_latency_ms{{camera="{cam["id"]}",stage="pose"}} 31.5' in text
    assert f'videohar_camera_online{{camera="{cam["id"]}"}} 0.0' in text
    assert client.get("/system", headers=op).status_code == 403
    body = client.get("/system", headers=admin).json()
    assert cam["id"] in body["unassigned"]["ingest"] and body["storage_bytes"] >= 0


def test_a_killed_worker_hands_its_camera_over(clean_state, redis_url):
    import os
    import signal
    import subprocess
    import sys

    from videohar.auth.users import create_user
    from videohar.bus.leases import lease_owners
    from videohar.cameras.ingest import IngestService, IngestSettings
    from videohar.cameras.provider import load_camera_specs
    from videohar.config import get_settings
    from videohar.db.models import Camera, Role
    from videohar.db.session import session_scope
    from videohar.worker.service import WORKER_ROLE, WorkerService, WorkerSettings

    with session_scope() as db:
        owner = create_user(db, username="owner", email="o@example.com", password=PASSWORD, role=Role.operator)
        cam = Camera(owner_id=owner.id, name="demo", stream_url=DEMO_CLIP.resolve().as_uri(), settings={})
        db.add(cam)
        db.flush()
        camera_id = cam.id
    r = redis.Redis.from_url(redis_url)
    stop = threading.Event()
    ingest = IngestService(r, load_camera_specs, settings=IngestSettings(sync_interval_s=0.3))
    threads = [threading.Thread(target=ingest.run, args=(stop,), daemon=True)]
    threads[0].start()
    first = subprocess.Popen([sys.executable, "-m", "videohar.cli", "worker"], env=os.environ.copy())
    try:
        wait_for(lambda: lease_owners(r, WORKER_ROLE, [camera_id])[camera_id], 60, what="the first worker's lease")
        killed_owner = lease_owners(r, WORKER_ROLE, [camera_id])[camera_id]
        wait_for(lambda: read_latest(r, camera_id, keys.BOXED_IMAGE), 60, what="frames from the first worker")
        second = WorkerService(r, get_settings().media_path, settings=WorkerSettings(sync_interval_s=0.3))
        threads.append(threading.Thread(target=second.run, args=(stop,), daemon=True))
        threads[-1].start()
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        killed_at = time.monotonic()
        wait_for(
            lambda: lease_owners(r, WORKER_ROLE, [camera_id])[camera_id] == second.member_id,
            15,
            what="the survivor to take the camera",
        )
        assert time.monotonic() - killed_at < 10
        assert killed_owner != second.member_id
        seq = read_latest(r, camera_id, keys.BOXED_IMAGE)
        wait_for(
            lambda: (
                (f := read_latest(r, camera_id, keys.BOXED_IMAGE)) and (seq is None or f.meta.seq > seq.meta.seq + 3)
            ),
            30,
            what="annotated frames from the survivor",
        )
    finally:
        if first.poll() is None:
            first.kill()
        stop.set()
        for t in threads:
            t.join(30)
