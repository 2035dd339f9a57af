"""Bad input gets a clear 4xx and changes nothing; mmaction2 round trip; job claims and leases."""

from __future__ import annotations

import json
import os
import pickle
from datetime import UTC, datetime, timedelta

import numpy as np


def _pickle(n: int = 3, frames: int = 20, label: int = 0) -> bytes:
    rng = np.random.default_rng(0)
    anns = [
        {
            "frame_dir": f"s{i}",
            "label": label,
            "img_shape": (480, 640),
            "original_shape": (480, 640),
            "total_frames": frames,
            "keypoint": rng.uniform(50, 400, (1, frames, 17, 2)).astype(np.float32),
            "keypoint_score": rng.uniform(0.3, 1, (1, frames, 17)).astype(np.float32),
        }
        for i in range(n)
    ]
    return pickle.dumps({"split": {"train": ["s0", "s1"], "val": ["s2"]}, "annotations": anns})


class Evil:
    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (os.system, ("touch /tmp/videohar-pwned",))


def _dataset(client, h):  # type: ignore[no-untyped-def]
    r = client.post("/datasets", json={"name": "d", "label_set": "default"}, headers=h)
    assert r.status_code == 201, r.text
    return r.json()


def _count_files(root) -> int:  # type: ignore[no-untyped-def]
    return sum(1 for p in root.rglob("*") if p.is_file()) if root.exists() else 0


def test_label_sets_and_mmaction_round_trip(client, make_user):
    h = make_user(client, "alice")
    sets = client.get("/label_sets", headers=h).json()
    assert {"default", "ntu60"} <= set(sets) and len(sets["ntu60"]) == 60
    ds = _dataset(client, h)
    assert ds["labels"][-1]["name"] == "other" and ds["labels"][0]["hotkey"] == "w"
    r = client.post(f"/datasets/{ds['id']}/import", files={"file": ("a.pkl", _pickle())}, data={"fps": "10"}, headers=h)
    assert r.status_code == 201 and r.json() == {"clips": 3, "segments": 3, "skipped_labels": []}
    clip = client.get(f"/datasets/{ds['id']}/clips", headers=h).json()[0]
    assert clip["frames"] == 20 and clip["track_ids"] == [1] and clip["label_status"] == "labelled"
    exported = client.get(f"/datasets/{ds['id']}/export", headers=h)
    assert exported.status_code == 200
    data = pickle.loads(exported.content)
    original = pickle.loads(_pickle())
    assert len(data["annotations"]) == 3 and sum(len(v) for v in data["split"].values()) == 3
    for got, want in zip(data["annotations"], original["annotations"], strict=True):
        assert got["label"] == 0 and got["keypoint"].shape == (1, 20, 17, 2) and got["img_shape"] == (480, 640)
        np.testing.assert_allclose(got["keypoint"], want["keypoint"], atol=0.06)  # skeleton files keep 0.1 px
        np.testing.assert_allclose(got["keypoint_score"], want["keypoint_score"], atol=6e-4)
    # and the export imports again
    ds2 = _dataset(client, h)
    r = client.post(f"/datasets/{ds2['id']}/import", files={"file": ("b.pkl", exported.content)}, headers=h)
    assert r.status_code == 201 and r.json()["segments"] == 3


def test_bad_uploads_and_pickles_change_nothing(client, make_user, clean_state, monkeypatch, tmp_path):
    from videohar.config import get_settings
    from videohar.datasets.settings import reset_dataset_settings

    h = make_user(client, "alice")
    ds = _dataset(client, h)
    media = get_settings().media_path
    before = _count_files(media)
    corrupt = b"\x00\x00\x00\x18ftypmp42" + os.urandom(4000)
    r = client.post(f"/datasets/{ds['id']}/uploads", files={"file": ("x.mp4", corrupt, "video/mp4")}, headers=h)
    assert r.status_code == 422 and "unsupported video" in r.json()["message"]
    r = client.post(f"/datasets/{ds['id']}/uploads", files={"file": ("x.mp4", b"", "video/mp4")}, headers=h)
    assert r.status_code == 422
    monkeypatch.setenv("VIDEOHAR_DATASETS_MAX_UPLOAD_MB", "0.01")
    reset_dataset_settings()
    try:
        r = client.post(f"/datasets/{ds['id']}/uploads", files={"file": ("big.mp4", b"0" * 200_000)}, headers=h)
        assert r.status_code == 413
    finally:
        monkeypatch.delenv("VIDEOHAR_DATASETS_MAX_UPLOAD_MB")
        reset_dataset_settings()
    r = client.post(f"/datasets/{ds['id']}/import", files={"file": ("e.pkl", pickle.dumps(Evil()))}, headers=h)
    assert r.status_code == 422 and "not allowed" in r.json()["message"]
    assert not os.path.exists("/tmp/videohar-pwned")
    bad_shape = pickle.dumps({"annotations": [{"label": 0, "keypoint": np.zeros((1, 5, 18, 2))}]})
    r = client.post(f"/datasets/{ds['id']}/import", files={"file": ("s.pkl", bad_shape)}, headers=h)
    assert r.status_code == 422
    r = client.post(f"/datasets/{ds['id']}/import", files={"file": ("g.pkl", b"garbage")}, headers=h)
    assert r.status_code == 422
    assert client.get(f"/datasets/{ds['id']}/clips", headers=h).json() == []
    assert client.get("/jobs", headers=h).json() == []
    assert _count_files(media) == before


def test_segments_are_validated_and_datasets_are_private(client, make_user):
    h = make_user(client, "alice")
    other = make_user(client, "bob")
    viewer = make_user(client, "vic", "viewer")
    ds = _dataset(client, h)
    client.post(f"/datasets/{ds['id']}/import", files={"file": ("a.pkl", _pickle(1))}, headers=h)
    clip = client.get(f"/datasets/{ds['id']}/clips", headers=h).json()[0]
    url = f"/datasets/{ds['id']}/clips/{clip['id']}/segments"
    good = {"track_id": 1, "start_frame": 2, "end_frame": 10, "label": "fall"}
    for bad, why in (
        ({**good, "label": "dance"}, "not in the dataset"),
        ({**good, "end_frame": 21}, "clip's length"),
        ({**good, "start_frame": 10, "end_frame": 10}, "start_frame < end_frame"),
        ({**good, "track_id": 7}, "does not exist"),
    ):
        r = client.post(url, json=bad, headers=h)
        assert r.status_code == 422 and why in r.json()["message"], r.text
    assert client.post(url, json=good, headers=other).status_code == 404
    assert client.get(f"/datasets/{ds['id']}", headers=other).status_code == 404
    assert client.post(url, json=good, headers=viewer).status_code == 403  # viewers never write
    assert len(client.get(url, headers=h).json()) == 1  # the imported one only
    seg = client.post(url, json=good, headers=h).json()
    r = client.patch(f"{url}/{seg['id']}", json={"end_frame": 99}, headers=h)
    assert r.status_code == 422
    r = client.patch(f"{url}/{seg['id']}", json={"label": "sit"}, headers=h)
    assert r.status_code == 200 and r.json()["label"] == "sit"
    assert client.delete(f"{url}/{seg['id']}", headers=other).status_code == 404
    assert client.delete(f"{url}/{seg['id']}", headers=h).status_code == 200
    r = client.patch(f"/datasets/{ds['id']}/clips/{clip['id']}", json={"label_status": "reviewed"}, headers=h)
    assert r.json()["label_status"] == "reviewed"
    r = client.post("/jobs", json={"dataset_id": ds["id"], "epochs": 1}, headers=other)
    assert r.status_code == 404
    assert client.post("/models/import", files={"file": ("m.onnx", b"not onnx")}, headers=h).status_code == 422


def test_jobs_are_claimed_once_reclaimed_after_the_lease_and_cancelled(client, make_user):
    from videohar.db.session import session_scope
    from videohar.db.training_models import Job
    from videohar.training.jobs import claim, enqueue, run_job

    h = make_user(client, "alice")
    ds = _dataset(client, h)
    r = client.post("/jobs", json={"dataset_id": ds["id"], "epochs": 1, "size": "tiny"}, headers=h)
    job_id = r.json()["id"]
    assert claim("a") == job_id
    assert claim("b") is None  # held under a live lease
    with session_scope() as db:
        db.get(Job, job_id).lease_expires_at = datetime.now(UTC) - timedelta(seconds=1)  # trainer "a" died
    assert claim("b") == job_id
    assert run_job(job_id, "b") == "failed"  # no labelled segments: a clear failure, not a crash
    job = client.get(f"/jobs/{job_id}", headers=h).json()
    assert job["attempts"] == 2 and "no training data" in job["error"]
    assert client.post(f"/jobs/{job_id}/cancel", headers=h).status_code == 409
    with session_scope() as db:
        queued = enqueue(db, "train", {"dataset_id": ds["id"]}, None).id
    assert client.post(f"/jobs/{queued}/cancel", headers=h).status_code == 404  # not hers
    with session_scope() as db:
        db.get(Job, queued).owner_id = None
        mine = enqueue(db, "train", {"dataset_id": ds["id"]}, db.get(Job, job_id).owner_id).id
    r = client.post(f"/jobs/{mine}/cancel", headers=h)
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    assert json.loads(json.dumps(r.json()))["cancel_requested"] is True
