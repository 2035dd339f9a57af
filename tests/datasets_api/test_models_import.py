"""Importing an external ONNX skeleton model (an mmaction2 / pyskl-style NMTVC export without our
metadata): refused without a spec, registered with one (embedded in the stored file), loaded by the
worker's verified loader, scoring windows, and activated for a camera; bad files and specs are 422."""

from __future__ import annotations

import json

import numpy as np
import onnx
import redis

from datasets_api.posture_onnx import export, reference_scores, spec_for


def _windows(action: str, n: int, seed: int) -> np.ndarray:
    """Normalised (N, T, V, C) windows of generated (not real) motion, as the workers build them;
    seen from the side, so a lying body is wider than tall."""
    from videohar.actions.windows import WindowSpec
    from videohar.datasets.synthetic import generate_sequence
    from videohar.training.dataset import ClipTracks, Segment, TrackSeries, build_windows

    rng = np.random.default_rng(seed)
    kps = generate_sequence(action, seconds=3 + n * 0.5, fps=10, rng=rng, view_angle=90, camera_tilt=20)
    clip = ClipTracks("c", 10.0, {1: TrackSeries(np.arange(len(kps)), kps)})
    ws = build_windows([clip], [Segment("c", 1, 0, len(kps), "a")], ["a", "b"], spec=WindowSpec())
    return ws.x[:n]


def _import(client, h, data: bytes, spec: dict | str | None = None, name: str = "pyskl-stgcnpp"):  # type: ignore[no-untyped-def]
    form = {"name": name}
    if spec is not None:
        form["spec"] = spec if isinstance(spec, str) else json.dumps(spec)
    return client.post("/models/import", files={"file": ("stgcnpp.onnx", data)}, data=form, headers=h)


def test_an_export_without_metadata_imports_with_a_spec_and_runs_on_a_camera(client, make_user, redis_url):
    from videohar.config import get_settings
    from videohar.worker.models import ModelSlot, load_verified

    h = make_user(client, "alice")
    plain = export("NMTVC")  # no videohar_spec, like a file from mmaction2's deployment tools
    assert not onnx.load_from_string(plain).metadata_props
    r = _import(client, h, plain)
    assert r.status_code == 422 and "pass `spec`" in r.json()["message"], r.text

    r = _import(client, h, plain, spec_for("NMTVC"))
    assert r.status_code == 201, r.text
    model = r.json()
    assert model["source"] == "imported" and model["labels"] == ["walk", "lying", "other"]
    assert model["spec"]["layout"] == "NMTVC" and model["spec"]["M"] == 2 and model["version"] == 1
    stored = client.get(f"/models/{model['id']}/artifacts/model.onnx", headers=h).content
    props = {p.key: p.value for p in onnx.load_from_string(stored).metadata_props}
    assert json.loads(props["videohar_spec"]) == model["spec"]
    assert len(stored) == model["size_bytes"]

    # the worker's loader (hash-checked) runs it like one of our own models
    loaded = load_verified(model["id"], get_settings().media_path)
    walking, lying = _windows("walk", 4, 0), _windows("lie", 4, 0)  # seed 0 lies across the picture
    scores = loaded.score(np.concatenate([walking, lying]))
    np.testing.assert_allclose(scores, reference_scores(np.concatenate([walking, lying])), atol=1e-5)
    assert list(scores.argmax(axis=1)) == [0] * 4 + [1] * 4  # walk, then lying

    cam = client.post("/cameras", json={"name": "door", "stream_url": "rtsp://127.0.0.1:1/door"}, headers=h).json()
    r = client.post(f"/models/{model['id']}/activate", json={"camera_id": cam["id"]}, headers=h)
    assert r.status_code == 200, r.text
    assert client.get(f"/models/active?camera_id={cam['id']}", headers=h).json()["model_id"] == model["id"]
    slot = ModelSlot(redis.Redis.from_url(redis_url), get_settings().media_path)
    assert slot.poll(cam["id"], None, now=0.0) is True
    assert slot.model_id == model["id"] and slot.recognisers[0].labels == ("walk", "lying", "other")

    # the same export, tagged with its spec by the user's own tooling, imports as version 2 without `spec`
    r = _import(client, h, export("NMTVC", spec_for("NMTVC")))
    assert r.status_code == 201 and r.json()["version"] == 2


def test_bad_model_files_and_specs_are_refused_and_leave_nothing(client, make_user):
    from videohar.config import get_settings

    h = make_user(client, "alice")
    viewer = make_user(client, "vic", "viewer")
    data_dir = get_settings().data_path
    before = sorted(p for p in data_dir.rglob("*") if p.is_file())
    plain = export("NMTVC")
    tagged = export("NCTV", spec_for("NCTV"))
    for data, spec, why in (
        (b"\x08\x07garbage, not a protobuf" * 20, None, "cannot load ONNX model"),
        (b"\x08\x07garbage, not a protobuf" * 20, spec_for("NMTVC"), "cannot load ONNX model"),
        (plain, spec_for("NMTVC", ("walk", "lying", "sit", "other")), "outputs 3 scores for 4 labels"),
        (plain, spec_for("NMTVC", ("walk", "lying")), "outputs 3 scores for 2 labels"),
        (plain, spec_for("NCTV"), "layout NCTV needs 4"),
        (plain, {**spec_for("NMTVC"), "T": 30}, "does not run on a window of its spec"),
        (plain, {**spec_for("NMTVC"), "layout": "NXYZ"}, "spec: videohar_spec.layout"),
        (plain, {**spec_for("NMTVC"), "labels": []}, "labels must be a non-empty list"),
        (plain, "{not json", "not valid JSON"),
        (tagged, spec_for("NCTV"), "already declares"),
    ):
        r = _import(client, h, data, spec)
        assert r.status_code == 422, (why, r.text)
        assert r.json()["message"].startswith("not a usable skeleton model") and why in r.json()["message"], r.text
    assert _import(client, viewer, plain, spec_for("NMTVC")).status_code == 403
    r = client.post("/models/import", files={"file": ("m.onnx", b"")}, headers=h)
    assert r.status_code == 422 and "empty" in r.json()["message"]
    assert client.get("/models", headers=h).json() == []
    assert sorted(p for p in data_dir.rglob("*") if p.is_file()) == before
