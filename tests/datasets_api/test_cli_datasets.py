"""`videohar dataset-export`, `dataset-import` and `train` as real subprocesses on the test database
and data folder: the pyskl round trip, a trained and registered model with per-epoch progress, and
bad input that exits non-zero with one clear line and changes nothing."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from peers.skeletons import labelled_dataset, synthetic_annotations

VIDEOHAR = str(Path(sys.executable).with_name("videohar"))
pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # the CLI is engine-independent


def videohar(*args: str, timeout: float = 180) -> subprocess.CompletedProcess:
    """The installed `videohar` command with this test's DATABASE_URL, REDIS_URL and VIDEOHAR_DATA_DIR."""
    return subprocess.run([VIDEOHAR, *args], env=dict(os.environ), capture_output=True, text=True, timeout=timeout)


def assert_one_line_error(result: subprocess.CompletedProcess, *words: str) -> None:
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert all(w in lines[0] for w in words), (lines[0], words)


def _count_files(root: Path) -> int:
    return sum(1 for p in root.rglob("*") if p.is_file()) if root.exists() else 0


def test_cli_exports_imports_and_trains_with_progress(client, make_user, tmp_path):
    h = make_user(client, "alice")
    admin = make_user(client, "root", "admin")
    source = labelled_dataset(client, h, n=4, seed=0)

    exported = tmp_path / "out" / "moves.pkl"
    r = videohar("dataset-export", str(source["id"]), str(exported))
    assert r.returncode == 0 and f"wrote {exported}" in r.stdout, r.stderr
    data = pickle.loads(exported.read_bytes())
    # the same generated sequences the dataset was imported from (walk = 0, fall = 1)
    original = synthetic_annotations("walk", 0, 4, 0) + synthetic_annotations("fall", 1, 4, 1)
    names = [name for split in data["split"].values() for name in split]
    assert len(data["annotations"]) == 8 and sorted(names) == sorted(a["frame_dir"] for a in data["annotations"])
    for got, want in zip(data["annotations"], original, strict=True):
        assert got["label"] == want["label"] and got["img_shape"] == (576, 768)
        assert got["keypoint"].shape == want["keypoint"].shape == (1, 40, 17, 2)
        np.testing.assert_allclose(got["keypoint"], want["keypoint"], atol=0.06)  # skeleton files keep 0.1 px
        np.testing.assert_allclose(got["keypoint_score"], want["keypoint_score"], atol=6e-4)

    r = client.post("/datasets", json={"name": "copy", "labels": [{"name": "walk"}, {"name": "fall"}]}, headers=h)
    copy = r.json()
    r = videohar("dataset-import", str(copy["id"]), str(exported), "--fps", "10")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "imported 8 clips, 8 segments; skipped labels []"
    clips = client.get(f"/datasets/{copy['id']}/clips", headers=h).json()
    assert len(clips) == 8 and all(c["label_status"] == "labelled" and c["frames"] == 40 for c in clips)
    again = pickle.loads(client.get(f"/datasets/{copy['id']}/export", headers=h).content)
    for a, b in zip(again["annotations"], data["annotations"], strict=True):
        assert a["label"] == b["label"]
        np.testing.assert_allclose(a["keypoint"], b["keypoint"], atol=0.06)

    tiny = ("--epochs", "3", "--size", "tiny", "--batch-size", "16", "--lr", "0.003", "--name", "cli")
    r = videohar("train", str(copy["id"]), *tiny)
    assert r.returncode == 0, (r.stdout, r.stderr)
    lines = r.stdout.splitlines()
    epochs = [line for line in lines if line.startswith("epoch ")]  # not a terminal: one line per epoch
    assert [e.split()[1] for e in epochs] == ["1/3", "2/3", "3/3"] and all("loss" in e for e in epochs), r.stdout
    assert lines[-1].startswith("model ") and "(version 1): accuracy" in lines[-1]
    model_id = int(lines[-1].split()[1])
    model = client.get(f"/models/{model_id}", headers=h).json()
    assert model["name"] == "cli" and model["dataset_id"] == copy["id"] and len(model["metrics"]["history"]) == 3
    jobs = client.get("/jobs", headers=admin).json()
    assert [(j["status"], j["result"]["model_id"], j["progress"]["epoch"]) for j in jobs] == [
        ("succeeded", model_id, 3)
    ]


def test_cli_bad_input_exits_with_one_clear_line_and_changes_nothing(client, make_user, tmp_path):
    from videohar.config import get_settings

    h = make_user(client, "alice")
    admin = make_user(client, "root", "admin")
    ds = labelled_dataset(client, h, n=2)
    empty = client.post("/datasets", json={"name": "empty", "label_set": "default"}, headers=h).json()
    good = tmp_path / "good.pkl"
    assert videohar("dataset-export", str(ds["id"]), str(good)).returncode == 0
    media = get_settings().media_path
    files_before = _count_files(media)
    clips_before = client.get(f"/datasets/{ds['id']}/clips", headers=h).json()

    assert_one_line_error(videohar("dataset-export", "999", str(tmp_path / "x.pkl")), "no dataset 999")
    assert not (tmp_path / "x.pkl").exists()
    assert_one_line_error(videohar("dataset-export", str(empty["id"]), str(tmp_path / "x.pkl")), "no labelled")
    assert_one_line_error(videohar("dataset-export", str(ds["id"]), str(tmp_path)), "cannot write")
    assert_one_line_error(videohar("dataset-import", "999", str(good)), "no dataset 999")
    missing = tmp_path / "missing.pkl"
    assert_one_line_error(videohar("dataset-import", str(ds["id"]), str(missing)), str(missing), "No such file")
    text = tmp_path / "notes.txt"
    text.write_text("this is not a pickle\n" * 20)
    assert_one_line_error(videohar("dataset-import", str(ds["id"]), str(text)), "not a readable annotation pickle")
    evil = tmp_path / "evil.pkl"
    evil.write_bytes(pickle.dumps(os.system))  # a reference to a callable: refused before it is loaded
    assert_one_line_error(videohar("dataset-import", str(ds["id"]), str(evil)), "not allowed")
    assert_one_line_error(videohar("dataset-import", str(ds["id"]), str(good), "--fps", "0"), "--fps")
    assert_one_line_error(videohar("train", "999", "--epochs", "1"), "no dataset 999")

    assert client.get(f"/datasets/{ds['id']}/clips", headers=h).json() == clips_before
    assert client.get(f"/datasets/{empty['id']}/clips", headers=h).json() == []
    assert client.get("/jobs", headers=admin).json() == [] and client.get("/models", headers=admin).json() == []
    assert _count_files(media) == files_before
