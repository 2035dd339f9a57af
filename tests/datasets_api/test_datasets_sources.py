"""Dataset clips from a live camera (a `record` job fed by a real ingest of the demo clip) and from
an event a real camera pipeline raised on the demo clip ("add to dataset"); bad input on both."""

from __future__ import annotations

import io
import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import av
import pytest
import redis
import simplejpeg

from peers.waiting import wait_for

WALKWAY = [[150, 150], [650, 150], [650, 576], [150, 576]]


@contextmanager
def ingest_running(redis_url: str) -> Iterator[None]:
    """The ingest role in a thread: it publishes every enabled camera's frames to Redis."""
    from videohar.cameras.ingest import IngestService, IngestSettings
    from videohar.cameras.provider import load_camera_specs

    service = IngestService(
        redis.Redis.from_url(redis_url), load_camera_specs, settings=IngestSettings(sync_interval_s=0.3)
    )
    stop = threading.Event()
    thread = threading.Thread(target=service.run, args=(stop,), daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(30)


@pytest.fixture(autouse=True)
def no_stale_clip_files(clean_state):  # type: ignore[no-untyped-def]
    """The data folder lives for the session while ids restart with every test: drop other tests' clips."""
    import shutil

    from videohar.config import get_settings

    shutil.rmtree(get_settings().media_path / "datasets", ignore_errors=True)


def _dataset(client, h) -> dict:  # type: ignore[no-untyped-def]
    r = client.post("/datasets", json={"name": "d", "label_set": "default"}, headers=h)
    assert r.status_code == 201, r.text
    return r.json()


def _camera(client, h, url: str, **settings) -> dict:  # type: ignore[no-untyped-def]
    r = client.post("/cameras", json={"name": "cam", "stream_url": url, "settings": settings}, headers=h)
    assert r.status_code == 201, r.text
    return r.json()


def _clip_files(dataset_id: int) -> list[Path]:
    from videohar.config import get_settings

    folder = get_settings().media_path / "datasets" / str(dataset_id) / "clips"
    return sorted(p for p in folder.iterdir()) if folder.exists() else []


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nothing listens once the socket is closed


# --- recording from a camera --------------------------------------------------------------------------
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_camera_recording_becomes_a_ready_clip(client, make_user, redis_url, demo_clip, database_url):
    from videohar.bus.frames import read_latest
    from videohar.training.jobs import run_pending

    h = make_user(client, "alice")
    ds = _dataset(client, h)
    cam = _camera(client, h, demo_clip.resolve().as_uri(), analysis_fps=8)
    r = redis.Redis.from_url(redis_url)
    with ingest_running(redis_url):
        wait_for(lambda: read_latest(r, cam["id"]), 30, what="frames of the demo camera")
        resp = client.post(f"/datasets/{ds['id']}/clips", json={"camera_id": cam["id"], "seconds": 3}, headers=h)
        assert resp.status_code == 201, resp.text
        clip = resp.json()
        assert clip["status"] == "processing" and clip["source"] == "recording" and clip["job_id"]
        assert run_pending("test-recorder") == [clip["job_id"]]
    job = client.get(f"/jobs/{clip['job_id']}", headers=h).json()
    assert job["status"] == "succeeded", job["error"]
    assert job["kind"] == "record" and job["progress"]["fraction"] == 1.0
    clip = client.get(f"/datasets/{ds['id']}/clips/{clip['id']}", headers=h).json()
    assert clip["status"] == "ready" and clip["has_video"] and clip["camera_id"] == cam["id"]
    assert 4 <= clip["frames"] <= 25 and clip["frames"] == job["result"]["frames"]  # 3 s at up to 8 fps
    assert clip["track_ids"] and (clip["width"], clip["height"]) == (768, 576)
    video = client.get(f"/datasets/{ds['id']}/clips/{clip['id']}/media/video", headers=h)
    with av.open(io.BytesIO(video.content)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264"
        assert sum(1 for _ in container.decode(stream)) == clip["frames"]
    doc = client.get(f"/datasets/{ds['id']}/clips/{clip['id']}/media/skeleton", headers=h).json()
    assert doc["version"] == 1 and len(doc["frames"]) == clip["frames"]
    assert 1.5 <= doc["frames"][-1]["t"] <= 3.5, doc["frames"][-1]["t"]  # the frames span the 3 s recorded
    tracks = {p["track_id"] for f in doc["frames"] for p in f["people"]}
    assert tracks == set(clip["track_ids"])
    person = next(p for f in doc["frames"] for p in f["people"])
    assert len(person["keypoints"]) == 17 and len(person["box"]) == 4
    assert [p.name for p in _clip_files(ds["id"])] == [f"{clip['id']}.json", f"{clip['id']}.mp4"]


def test_recording_bad_input_is_refused(client, make_user):
    h = make_user(client, "alice")
    bob = make_user(client, "bob")
    viewer = make_user(client, "vic", "viewer")
    ds = _dataset(client, h)
    mine = _camera(client, h, f"http://127.0.0.1:{_closed_port()}/video.mjpg")
    theirs = _camera(client, bob, f"http://127.0.0.1:{_closed_port()}/video.mjpg")
    url = f"/datasets/{ds['id']}/clips"
    for body, status, why in (
        ({"camera_id": mine["id"], "seconds": 121}, 422, "at most 120 s"),
        ({"camera_id": mine["id"], "seconds": 5000}, 422, "seconds"),
        ({"camera_id": mine["id"], "seconds": 0}, 422, "seconds"),
        ({"camera_id": mine["id"], "event_id": 1}, 422, "either event_id or camera_id"),
        ({"seconds": 3}, 422, "either event_id or camera_id"),
        ({"camera_id": theirs["id"], "seconds": 3}, 404, "camera not found"),
        ({"camera_id": 999_999, "seconds": 3}, 404, "camera not found"),
    ):
        r = client.post(url, json=body, headers=h)
        assert r.status_code == status and why in r.json()["message"], (body, r.text)
    r = client.post(url, json={"camera_id": mine["id"], "seconds": 3}, headers=viewer)
    assert r.status_code == 403
    r = client.post(f"/datasets/{ds['id']}/clips", json={"camera_id": mine["id"], "seconds": 3}, headers=bob)
    assert r.status_code == 404  # not her dataset
    client.patch(f"/cameras/{mine['id']}", json={"enabled": False}, headers=h)
    r = client.post(url, json={"camera_id": mine["id"], "seconds": 3}, headers=h)
    assert r.status_code == 409 and "disabled" in r.json()["message"]
    assert client.get(url, headers=h).json() == [] and client.get("/jobs", headers=h).json() == []


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_camera_without_frames_fails_the_job_and_leaves_nothing(client, make_user, redis_url, database_url):
    from videohar.training.jobs import run_pending

    h = make_user(client, "alice")
    ds = _dataset(client, h)
    cam = _camera(client, h, f"http://127.0.0.1:{_closed_port()}/video.mjpg")
    with ingest_running(redis_url):  # it tries to connect, and keeps failing
        r = client.post(f"/datasets/{ds['id']}/clips", json={"camera_id": cam["id"], "seconds": 3}, headers=h)
        assert r.status_code == 201, r.text
        clip = r.json()
        started = time.monotonic()
        assert run_pending("test-recorder") == [clip["job_id"]]
        assert time.monotonic() - started < 15
    job = client.get(f"/jobs/{clip['job_id']}", headers=h).json()
    assert job["status"] == "failed" and f"camera {cam['id']} sent no frames" in job["error"], job
    assert client.get(f"/datasets/{ds['id']}/clips/{clip['id']}", headers=h).status_code == 404
    assert client.get(f"/datasets/{ds['id']}/clips", headers=h).json() == []
    assert _clip_files(ds["id"]) == []


# --- add to dataset from an event ---------------------------------------------------------------------
def _demo_frames(path: Path, seconds: float, fps: float) -> list[tuple[float, bytes]]:
    """(time, JPEG) of the demo clip at the camera's analysis rate, like ingest publishes them."""
    out, next_t = [], 0.0
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            t = float(frame.time)
            if t > seconds:
                break
            if t + 1e-6 >= next_t:
                next_t += 1.0 / fps
                out.append((t, simplejpeg.encode_jpeg(frame.to_ndarray(format="bgr24"), colorspace="BGR")))
    return out


def event_with_clip(camera_id: int, redis_url: str, demo_clip: Path) -> int:
    """Run the worker's camera pipeline on the demo clip until a loitering event opened, then release
    the camera (closing the event and writing its clip) -- exactly what a worker does."""
    from videohar.bus.frames import Frame, FrameMeta
    from videohar.config import get_settings
    from videohar.db.models import Area, Event
    from videohar.db.session import session_scope
    from videohar.worker.camera import CameraPipeline
    from videohar.worker.config import load_worker_cameras

    with session_scope() as db:
        db.add(Area(camera_id=camera_id, name="walkway", kind="polygon", points=WALKWAY, dwell_seconds=1.0))
    camera = next(c for c in load_worker_cameras() if c.id == camera_id)
    pipe = CameraPipeline(camera, redis.Redis.from_url(redis_url), get_settings().media_path)
    base, opened_at = time.time() - 30, None
    for seq, (t, jpeg) in enumerate(_demo_frames(demo_clip, 12.0, 8.0), start=1):
        pipe.process(Frame(jpeg, FrameMeta(seq, base + t, base + t, 768, 576)), now=base + t)
        if opened_at is None:
            with session_scope() as db:
                if db.query(Event).filter(Event.camera_id == camera_id).count():
                    opened_at = t
        elif t - opened_at >= 2.0:
            break
    pipe.close()
    with session_scope() as db:
        event = db.query(Event).filter(Event.camera_id == camera_id, Event.clip_path.is_not(None)).first()
        assert event is not None and event.skeleton_path, "the pipeline raised no event with a clip"
        return event.id


def test_add_to_dataset_from_an_event_copies_its_clip(client, make_user, redis_url, demo_clip):
    from videohar.config import get_settings
    from videohar.db.models import Event
    from videohar.db.session import session_scope

    h = make_user(client, "alice")
    bob = make_user(client, "bob")
    viewer = make_user(client, "vic", "viewer")
    ds = _dataset(client, h)
    cam = _camera(client, h, demo_clip.resolve().as_uri(), analysis_fps=8, actions=["loitering"])
    assert client.put(f"/cameras/{cam['id']}/shares", json={"usernames": ["vic"]}, headers=h).status_code == 200
    event_id = event_with_clip(cam["id"], redis_url, demo_clip)
    media = get_settings().media_path
    with session_scope() as db:
        event = db.get(Event, event_id)
        event_mp4, event_skeleton = media / event.clip_path, media / event.skeleton_path
    source_video, source_doc = event_mp4.read_bytes(), json.loads(event_skeleton.read_text())

    r = client.post(f"/events/{event_id}/to_dataset", json={"dataset_id": ds["id"]}, headers=h)
    assert r.status_code == 201, r.text
    first = r.json()
    r = client.post(f"/datasets/{ds['id']}/clips", json={"event_id": event_id}, headers=h)
    assert r.status_code == 201, r.text
    second = r.json()
    for clip in (first, second):
        assert clip["status"] == "ready" and clip["source"] == "event" and clip["event_id"] == event_id
        assert clip["has_video"] and clip["track_ids"] and clip["frames"] == len(source_doc["frames"])
        assert clip["label_status"] == "unlabelled" and clip["camera_id"] == cam["id"]

    # bad input: no clip yet, someone else's event, a viewer, an unknown dataset
    manual = client.post("/events", json={"camera_id": cam["id"], "label": "fall"}, headers=h).json()
    r = client.post(f"/events/{manual['id']}/to_dataset", json={"dataset_id": ds["id"]}, headers=h)
    assert r.status_code == 409 and "no finished clip" in r.json()["message"]
    r = client.post(f"/datasets/{ds['id']}/clips", json={"event_id": manual["id"]}, headers=h)
    assert r.status_code == 409
    bobs_cam = _camera(client, bob, demo_clip.resolve().as_uri())
    bobs_event = client.post("/events", json={"camera_id": bobs_cam["id"], "label": "fall"}, headers=bob).json()
    r = client.post(f"/events/{bobs_event['id']}/to_dataset", json={"dataset_id": ds["id"]}, headers=h)
    assert r.status_code == 404 and r.json()["message"] == "event not found"
    r = client.post(f"/datasets/{ds['id']}/clips", json={"event_id": bobs_event["id"]}, headers=h)
    assert r.status_code == 404
    assert client.get(f"/events/{event_id}", headers=viewer).status_code == 200  # shared with her
    r = client.post(f"/events/{event_id}/to_dataset", json={"dataset_id": ds["id"]}, headers=viewer)
    assert r.status_code == 403 and "viewers" in r.json()["message"]
    r = client.post(f"/events/{event_id}/to_dataset", json={"dataset_id": ds["id"]}, headers=bob)
    assert r.status_code == 404  # neither her event nor her dataset
    r = client.post(f"/events/{event_id}/to_dataset", json={"dataset_id": 999_999}, headers=h)
    assert r.status_code == 404
    assert len(client.get(f"/datasets/{ds['id']}/clips", headers=h).json()) == 2

    # the clips are copies: the event, its camera and its files going away leave them intact
    assert client.delete(f"/cameras/{cam['id']}", headers=h).status_code == 200
    event_mp4.unlink()
    event_skeleton.unlink()
    with session_scope() as db:
        assert db.get(Event, event_id) is None
    for clip in (first, second):
        base = f"/datasets/{ds['id']}/clips/{clip['id']}"
        got = client.get(base, headers=h).json()
        assert got["status"] == "ready" and got["event_id"] is None and got["camera_id"] is None
        assert client.get(f"{base}/media/video", headers=h).content == source_video
        assert client.get(f"{base}/media/skeleton", headers=h).json() == source_doc
        segment = {"track_id": got["track_ids"][0], "start_frame": 0, "end_frame": got["frames"], "label": "walk"}
        assert client.post(f"{base}/segments", json=segment, headers=h).status_code == 201
