"""The whole loop through the API: upload video -> skeletons (job) -> labels -> train (job) ->
activate on a camera -> a live worker emits events with the trained label -> roll back."""

from __future__ import annotations

import io
import threading
from pathlib import Path

import av
import pytest

from peers.roles import start_roles
from peers.skeletons import synthetic_pickle
from peers.waiting import wait_for


def cut_video(src: Path, dst: Path, start_s: float, seconds: float) -> Path:
    """A few seconds of the demo clip, re-encoded (H.264) the way a user's upload would be."""
    with av.open(str(src)) as inp, av.open(str(dst), "w") as out:
        stream = out.add_stream("libx264", rate=10)
        stream.width, stream.height, stream.pix_fmt = 768, 576, "yuv420p"
        for frame in inp.decode(video=0):
            t = float(frame.time)
            if t < start_s:
                continue
            if t >= start_s + seconds:
                break
            for packet in stream.encode(av.VideoFrame.from_ndarray(frame.to_ndarray(format="bgr24"), format="bgr24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return dst


def upload(client, headers, dataset_id: int, path: Path):  # type: ignore[no-untyped-def]
    with path.open("rb") as fh:
        return client.post(
            f"/datasets/{dataset_id}/uploads", files={"file": (path.name, fh, "video/mp4")}, headers=headers
        )


# The full loop runs once, on SQLite (a minute of CPU); the API and job claims run on both databases.
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_upload_label_train_activate_and_a_worker_emits_the_trained_label(
    client, make_user, redis_url, demo_clip, tmp_path, database_url
):
    from videohar.config import get_settings
    from videohar.db.models import Event
    from videohar.db.session import session_scope
    from videohar.training.jobs import run_pending

    h = make_user(client, "alice", "operator")
    r = client.post("/datasets", json={"name": "walkway", "labels": [{"name": "stroll"}, {"name": "lying"}]}, headers=h)
    assert r.status_code == 201, r.text
    ds = r.json()
    assert [lab["name"] for lab in ds["labels"]] == ["stroll", "lying", "other"]

    # two uploads -> two extraction jobs with progress
    jobs = []
    for i, start in enumerate((0.0, 14.0)):
        r = upload(client, h, ds["id"], cut_video(demo_clip, tmp_path / f"cut{i}.mp4", start, 4.0))
        assert r.status_code == 202, r.text
        assert r.json()["status"] == "processing"
        jobs.append(r.json()["job_id"])
    assert run_pending("test-trainer") == jobs
    for job_id in jobs:
        job = client.get(f"/jobs/{job_id}", headers=h).json()
        assert job["status"] == "succeeded", job
        assert job["progress"]["fraction"] == 1.0 and job["progress"]["frames"] >= 35
    clips = client.get(f"/datasets/{ds['id']}/clips", headers=h).json()
    assert [c["status"] for c in clips] == ["ready", "ready"]
    assert all(c["track_ids"] and c["has_video"] and c["label_status"] == "unlabelled" for c in clips)
    video = client.get(f"/datasets/{ds['id']}/clips/{clips[0]['id']}/media/video", headers=h)
    with av.open(io.BytesIO(video.content)) as container:
        assert container.streams.video[0].codec_context.name == "h264"
    assert not list((get_settings().media_path / "datasets" / str(ds["id"]) / "uploads").iterdir())

    # every walker is labelled "stroll" through the API
    for clip in clips:
        for track_id in clip["track_ids"]:
            body = {"track_id": track_id, "start_frame": 0, "end_frame": clip["frames"], "label": "stroll"}
            r = client.post(f"/datasets/{ds['id']}/clips/{clip['id']}/segments", json=body, headers=h)
            assert r.status_code == 201, r.text
    assert client.get(f"/datasets/{ds['id']}/clips/{clips[0]['id']}", headers=h).json()["label_status"] == "labelled"
    # ... and generated people lying down come in as mmaction2 annotations (a second class to tell walkers from)
    r = client.post(
        f"/datasets/{ds['id']}/import",
        files={"file": ("lying.pkl", synthetic_pickle("lie", 1, 16, 0))},
        data={"fps": "10"},
        headers=h,
    )
    assert r.status_code == 201, r.text
    assert r.json()["clips"] == 16

    # train (a job run by the trainer loop in this process)
    params = {"dataset_id": ds["id"], "epochs": 12, "size": "tiny", "lr": 0.003, "batch_size": 16, "name": "walkers"}
    r = client.post("/jobs", json=params, headers=h)
    assert r.status_code == 202, r.text
    job_id = r.json()["id"]
    assert run_pending("test-trainer") == [job_id]
    job = client.get(f"/jobs/{job_id}", headers=h).json()
    assert job["status"] == "succeeded", job["error"]
    assert job["progress"]["epoch"] == 12 and job["progress"]["val_accuracy"] is not None
    model = client.get(f"/models/{job['result']['model_id']}", headers=h).json()
    assert model["labels"] == ["stroll", "lying", "other"] and model["version"] == 1
    assert model["metrics"]["onnx_parity_max_abs_diff"] < 1e-4
    assert model["metrics"]["accuracy"] > 0.6, model["metrics"]
    assert {"model.onnx", "confusion.png", "curves.png", "metrics.json"} <= set(model["artifacts"])
    png = client.get(f"/models/{model['id']}/artifacts/confusion.png", headers=h)
    assert png.status_code == 200 and png.content.startswith(b"\x89PNG")

    # a camera on the demo clip that alerts on the trained label; activate the model for it
    settings = {"analysis_fps": 8, "actions": ["stroll"]}
    cam = client.post(
        "/cameras",
        json={"name": "walkway", "stream_url": demo_clip.resolve().as_uri(), "settings": settings},
        headers=h,
    ).json()
    r = client.post(f"/models/{model['id']}/activate", json={"camera_id": cam["id"]}, headers=h)
    assert r.status_code == 200, r.text
    assert client.get(f"/models/active?camera_id={cam['id']}", headers=h).json()["model_id"] == model["id"]
    assert client.post(f"/models/{model['id']}/activate", json={}, headers=h).status_code == 403  # default: admin

    stop = threading.Event()
    threads = start_roles(redis_url, get_settings().media_path, stop)
    try:

        def stroll_event():  # type: ignore[no-untyped-def]
            with session_scope() as db:
                return db.query(Event).filter(Event.camera_id == cam["id"], Event.label == "stroll").first()

        event = wait_for(stroll_event, 90, what="an event with the trained label", interval=0.3)
        assert event.track_id is not None
        # roll back: the camera runs no trained model any more
        r = client.post("/models/rollback", json={"camera_id": cam["id"]}, headers=h)
        assert r.status_code == 200 and r.json()["model_id"] is None
        assert client.post("/models/rollback", json={"camera_id": cam["id"]}, headers=h).status_code == 409
    finally:
        stop.set()
        for t in threads:
            t.join(30)
