"""Pre-labels: the active model proposes segments in a `prelabel` job; a user accepts or rejects
them; accepted ones count as labels (label status, mmaction2 export, training windows), pending
and rejected ones do not; a new run replaces only the pending proposals."""

from __future__ import annotations

import pickle

import numpy as np

from datasets_api.posture_onnx import export, spec_for


def _two_people_pickle(seconds: float = 8.0, fps: float = 10.0) -> bytes:
    """One pyskl annotation with two generated (not real) people seen from the side: person 0
    walks (track 1), person 1 lies on the ground (track 2)."""
    from videohar.datasets.synthetic import generate_sequence

    people = [
        generate_sequence(action, seconds=seconds, fps=fps, rng=np.random.default_rng(0), view_angle=90, camera_tilt=20)
        for action in ("walk", "lie")
    ]
    kps = np.stack(people)  # (M, T, V, 3)
    ann = {
        "frame_dir": "yard",
        "label": 0,
        "img_shape": (576, 768),
        "original_shape": (576, 768),
        "total_frames": kps.shape[1],
        "keypoint": kps[..., :2].astype(np.float32),
        "keypoint_score": kps[..., 2].astype(np.float32),
    }
    return pickle.dumps({"split": {"train": ["yard"]}, "annotations": [ann]})


def _import_model(client, h, labels=("walk", "lying", "other"), name="posture") -> dict:  # type: ignore[no-untyped-def]
    data = export("NCTV", spec_for("NCTV", labels))
    r = client.post("/models/import", files={"file": ("m.onnx", data)}, data={"name": name}, headers=h)
    assert r.status_code == 201, r.text
    return r.json()


def test_prelabel_accept_reject_and_what_counts_as_a_label(client, make_user):
    from videohar.config import get_settings
    from videohar.datasets.labels import dataset_windows
    from videohar.db.session import session_scope
    from videohar.db.training_models import Dataset
    from videohar.training.jobs import run_pending

    h = make_user(client, "alice")
    admin = make_user(client, "root", "admin")
    bob = make_user(client, "bob")
    viewer = make_user(client, "vic", "viewer")
    ds = client.post("/datasets", json={"name": "yard", "label_set": "default"}, headers=h).json()
    r = client.post(f"/datasets/{ds['id']}/import", files={"file": ("y.pkl", _two_people_pickle())}, headers=h)
    assert r.status_code == 201 and r.json()["clips"] == 1
    clip = client.get(f"/datasets/{ds['id']}/clips", headers=h).json()[0]
    base = f"/datasets/{ds['id']}/clips/{clip['id']}"
    for seg in client.get(f"{base}/segments", headers=h).json():  # start from an unlabelled clip
        assert client.delete(f"{base}/segments/{seg['id']}", headers=h).status_code == 200
    assert client.get(base, headers=h).json()["label_status"] == "unlabelled"

    # bad input first: nothing active, unknown model, other people, a model with none of our labels
    r = client.post(f"{base}/prelabel", json={}, headers=h)
    assert r.status_code == 409 and "no model is active" in r.json()["message"]
    assert client.post(f"{base}/prelabel", json={"model_id": 999}, headers=h).status_code == 404
    foreign = _import_model(client, h, ("sweep", "mop", "other"), name="cleaning")
    r = client.post(f"{base}/prelabel", json={"model_id": foreign["id"]}, headers=h)
    assert r.status_code == 422 and "knows none of the dataset's labels" in r.json()["message"]
    model = _import_model(client, h)
    assert client.post(f"/models/{model['id']}/activate", json={}, headers=admin).status_code == 200
    assert client.post(f"{base}/prelabel", json={}, headers=bob).status_code == 404
    assert client.post(f"{base}/prelabel", json={}, headers=viewer).status_code == 403
    r = client.post(f"{base}/prelabel", json={"min_score": 2}, headers=h)
    assert r.status_code == 422
    assert client.get("/jobs", headers=h).json() == []

    def prelabel() -> dict:
        r = client.post(f"{base}/prelabel", json={}, headers=h)
        assert r.status_code == 202, r.text
        assert r.json()["model_id"] == model["id"] and r.json()["clip_id"] == clip["id"]
        assert run_pending("test-prelabel") == [r.json()["job_id"]]
        job = client.get(f"/jobs/{r.json()['job_id']}", headers=h).json()
        assert job["kind"] == "prelabel" and job["status"] == "succeeded", job
        assert job["progress"]["fraction"] == 1.0 and job["progress"]["of"] == 2
        return job["result"]

    def segments() -> dict[int, dict]:
        return {s["track_id"]: s for s in client.get(f"{base}/segments", headers=h).json()}

    assert prelabel()["proposals"] == 2
    proposals = segments()
    assert {t: s["label"] for t, s in proposals.items()} == {1: "walk", 2: "lying"}
    for s in proposals.values():
        assert s["source"] == "model" and s["accepted"] is None and s["truth"] is False and s["score"] > 0.9
        assert s["end_frame"] - s["start_frame"] >= 60  # most of the 80-frame track
    assert client.get(base, headers=h).json()["label_status"] == "unlabelled"  # pending ones do not count
    assert client.get(f"/datasets/{ds['id']}/export", headers=h).status_code == 409

    # accept the walk; a new run replaces only the pending proposal
    walk = proposals[1]
    r = client.patch(f"{base}/segments/{walk['id']}", json={"accepted": True}, headers=h)
    assert r.status_code == 200 and r.json()["accepted"] is True and r.json()["truth"] is True
    assert client.get(base, headers=h).json()["label_status"] == "labelled"
    assert prelabel()["proposals"] == 1
    again = segments()
    assert again[1] == {**walk, "accepted": True, "truth": True}  # untouched
    assert again[2]["id"] != proposals[2]["id"] and again[2]["accepted"] is None

    # reject the lying one; decided proposals are not proposed again
    r = client.patch(f"{base}/segments/{again[2]['id']}", json={"accepted": False}, headers=h)
    assert r.status_code == 200 and r.json()["accepted"] is False and r.json()["truth"] is False
    assert prelabel()["proposals"] == 0
    assert segments() == {1: again[1], 2: {**again[2], "accepted": False}}

    # only the accepted one is a label: in the export and in the training windows
    exported = pickle.loads(client.get(f"/datasets/{ds['id']}/export", headers=h).content)
    assert [(a["label"], a["total_frames"]) for a in exported["annotations"]] == [
        (0, walk["end_frame"] - walk["start_frame"])
    ]
    with session_scope() as db:
        windows = dataset_windows(db, get_settings().media_path, db.get(Dataset, ds["id"]))
    counts = dict(zip(windows.labels, np.bincount(windows.y, minlength=len(windows.labels)), strict=True))
    assert counts["walk"] > 0 and counts["lying"] == 0
    assert set(np.unique(windows.y)) <= {windows.labels.index("walk"), windows.labels.index("other")}

    # accept / reject is for pre-labels only; a user's own segment is simply a label
    own = {"track_id": 2, "start_frame": 0, "end_frame": 20, "label": "lying"}
    mine = client.post(f"{base}/segments", json=own, headers=h).json()
    assert mine["source"] == "user" and mine["truth"] is True
    r = client.patch(f"{base}/segments/{mine['id']}", json={"accepted": False}, headers=h)
    assert r.status_code == 422 and "only model pre-labels" in r.json()["message"]
    r = client.patch(f"{base}/segments/{again[2]['id']}", json={"accepted": True}, headers=viewer)
    assert r.status_code == 403
