"""Training jobs through the API with real trainers: cancel, a stopping trainer, a trainer killed
mid-training (real processes), and the comparison with the model in service."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import torch

from peers.skeletons import labelled_dataset
from peers.waiting import wait_for

TINY = {"size": "tiny", "batch_size": 16, "lr": 0.003}
VIDEOHAR = str(Path(sys.executable).with_name("videohar"))


@contextmanager
def trainer_thread(idle_s: float = 0.1) -> Iterator[threading.Event]:
    """The `trainer` role in a thread of this process (as `videohar trainer` runs it); yields its stop flag."""
    from videohar.training.jobs import Trainer

    stop = threading.Event()
    thread = threading.Thread(target=Trainer(idle_s=idle_s).run, args=(stop,), daemon=True)
    thread.start()
    try:
        yield stop
    finally:
        stop.set()
        thread.join(30)
        assert not thread.is_alive(), "the trainer did not stop"


def job_of(client, h, job_id: int) -> dict:  # type: ignore[no-untyped-def]
    r = client.get(f"/jobs/{job_id}", headers=h)
    assert r.status_code == 200, r.text
    return r.json()


def checkpoint_epoch(job_id: int) -> int:
    """The epoch of the job's checkpoint on disk (0 when there is none yet)."""
    from videohar.training.jobs import job_work_dir

    path = job_work_dir(job_id) / "checkpoint" / "last.pt"
    if not path.is_file():
        return 0
    return int(torch.load(path, map_location="cpu", weights_only=False)["epoch"])


def test_cancel_a_running_training_through_the_api(client, make_user):
    from videohar.training.jobs import job_work_dir

    h = make_user(client, "alice")
    ds = labelled_dataset(client, h, n=4)
    r = client.post("/jobs", json={"dataset_id": ds["id"], "epochs": 500, **TINY}, headers=h)
    assert r.status_code == 202, r.text
    job_id = r.json()["id"]
    with trainer_thread():
        job = wait_for(
            lambda: (j := job_of(client, h, job_id))["progress"].get("epoch", 0) >= 1 and j, 60, what="epoch 1"
        )
        assert job["status"] == "running" and job["attempts"] == 1
        assert checkpoint_epoch(job_id) >= 1  # there is something to clean up
        asked = time.monotonic()
        r = client.post(f"/jobs/{job_id}/cancel", headers=h)
        assert r.status_code == 200 and r.json()["cancel_requested"] is True
        job = wait_for(
            lambda: (j := job_of(client, h, job_id))["status"] != "running" and j, 10, what="the job to stop"
        )
        took = time.monotonic() - asked
    assert job["status"] == "cancelled", job
    assert took < 5, f"cancelling took {took:.1f} s"
    assert job["progress"]["epoch"] < 500 and job["result"] == {}
    assert client.get("/models", headers=h).json() == []
    assert not job_work_dir(job_id).exists()  # frozen windows and checkpoint removed with the job
    r = client.post(f"/jobs/{job_id}/cancel", headers=h)
    assert r.status_code == 409 and "already ended" in r.json()["message"]


def test_a_stopping_trainer_hands_its_training_back_and_the_next_resumes_it(client, make_user):
    from videohar.training.jobs import job_work_dir

    h = make_user(client, "alice")
    ds = labelled_dataset(client, h, n=4)
    job_id = client.post("/jobs", json={"dataset_id": ds["id"], "epochs": 8, **TINY}, headers=h).json()["id"]
    with trainer_thread() as stop:
        wait_for(lambda: checkpoint_epoch(job_id) >= 2, 60, what="a checkpoint")
        stop.set()  # SIGTERM of `videohar trainer`
    job = job_of(client, h, job_id)
    assert job["status"] == "queued" and job["attempts"] == 0, job  # handed back: no attempt used up
    stopped_at = checkpoint_epoch(job_id)
    assert 2 <= stopped_at < 8 and job_work_dir(job_id).is_dir()
    with trainer_thread():
        job = wait_for(
            lambda: (j := job_of(client, h, job_id))["status"] not in ("queued", "running") and j, 60, what="the end"
        )
    assert job["status"] == "succeeded", job
    assert job["attempts"] == 1 and job["progress"]["resumed_from_epoch"] == stopped_at
    model = client.get(f"/models/{job['result']['model_id']}", headers=h).json()
    assert model["metrics"]["resumed_from_epoch"] == stopped_at and len(model["metrics"]["history"]) == 8
    assert not job_work_dir(job_id).exists()


def start_trainer(tmp_path: Path, name: str) -> tuple[subprocess.Popen, object]:
    env = {
        **os.environ,  # DATABASE_URL, REDIS_URL and VIDEOHAR_DATA_DIR of the test
        "VIDEOHAR_DATASETS_JOB_LEASE_SECONDS": "2",
        "VIDEOHAR_DATASETS_JOB_MAX_ATTEMPTS": "2",
    }
    log = open(tmp_path / f"{name}.log", "wb")  # noqa: SIM115 - closed by the caller
    return subprocess.Popen([VIDEOHAR, "trainer"], env=env, stdout=log, stderr=subprocess.STDOUT), log


def kill(proc: subprocess.Popen, log) -> None:  # type: ignore[no-untyped-def]
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)
    log.close()


def test_a_killed_trainer_process_is_resumed_from_its_checkpoint_and_gives_up_after_max_attempts(
    client, make_user, tmp_path
):
    from videohar.training.jobs import job_work_dir

    h = make_user(client, "alice")
    ds = labelled_dataset(client, h, n=4)
    first = client.post("/jobs", json={"dataset_id": ds["id"], "epochs": 6, **TINY}, headers=h).json()["id"]
    procs = []
    try:
        a = start_trainer(tmp_path, "a")
        procs.append(a)
        wait_for(lambda: checkpoint_epoch(first) >= 1, 60, what="the first checkpoint")
        kill(*a)
        killed_at = checkpoint_epoch(first)
        job = job_of(client, h, first)
        assert job["status"] == "running" and job["attempts"] == 1  # nobody knows yet that it died
        assert 1 <= killed_at < 6, killed_at

        b = start_trainer(tmp_path, "b")
        procs.append(b)
        job = wait_for(
            lambda: (j := job_of(client, h, first))["status"] != "running" and j, 60, what="the resumed job to end"
        )
        assert job["status"] == "succeeded", job
        assert job["attempts"] == 2 and job["progress"]["attempt"] == 2
        assert job["progress"]["resumed_from_epoch"] == killed_at  # not from 0
        metrics = client.get(f"/models/{job['result']['model_id']}", headers=h).json()["metrics"]
        assert metrics["resumed_from_epoch"] == killed_at and [e["epoch"] for e in metrics["history"]] == list(
            range(1, 7)
        )
        assert not job_work_dir(first).exists()

        # a job whose trainers keep dying: B and then C are killed, D gives up on the 3rd claim
        second = client.post("/jobs", json={"dataset_id": ds["id"], "epochs": 500, **TINY}, headers=h).json()["id"]
        wait_for(lambda: checkpoint_epoch(second) >= 1, 60, what="a checkpoint of the second job")
        kill(*b)
        c = start_trainer(tmp_path, "c")
        procs.append(c)
        wait_for(lambda: job_of(client, h, second)["attempts"] == 2, 60, what="C to claim the second job")
        kill(*c)  # resuming was shown above: this death only has to use up the 2nd attempt
        d = start_trainer(tmp_path, "d")
        procs.append(d)
        job = wait_for(
            lambda: (j := job_of(client, h, second))["status"] != "running" and j, 30, what="the job to be given up"
        )
        assert job["status"] == "failed" and job["attempts"] == 3, job
        assert job["error"].startswith("gave up after 2 attempts: the trainer running this job stopped"), job
        assert not job_work_dir(second).exists()
        assert len(client.get("/models", headers=h).json()) == 1
        d[0].send_signal(signal.SIGTERM)
        assert d[0].wait(15) == 0
    finally:
        for proc, log in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait(10)
            log.close()


def test_the_next_training_is_compared_with_the_active_model_on_its_own_held_out_windows(client, make_user):
    from videohar.actions.onnx_model import OnnxSkeletonModel
    from videohar.config import get_settings
    from videohar.datasets.labels import dataset_windows
    from videohar.db.session import session_scope
    from videohar.db.training_models import Dataset
    from videohar.training.dataset import split_windows
    from videohar.training.evaluate import evaluate
    from videohar.training.jobs import run_pending

    h = make_user(client, "alice")
    admin = make_user(client, "root", "admin")
    ds = labelled_dataset(client, h)
    params = {"dataset_id": ds["id"], "epochs": 4, "name": "moves", **TINY}
    first = client.post("/jobs", json=params, headers=h).json()["id"]
    assert run_pending("test-trainer") == [first]
    job = job_of(client, h, first)
    assert job["status"] == "succeeded", job
    old = client.get(f"/models/{job['result']['model_id']}", headers=h).json()
    assert "comparison" not in old["metrics"] and "comparison.json" not in old["artifacts"]  # no model active yet
    assert "comparison" not in job["result"]
    assert client.post(f"/models/{old['id']}/activate", json={}, headers=admin).status_code == 200
    r = client.post("/jobs", json={**params, "compare_camera_id": 999}, headers=h)
    assert r.status_code == 404 and r.json()["message"] == "camera not found"
    assert len(client.get("/jobs", headers=h).json()) == 1

    # the second run holds out other clips (another seed), and trains longer
    second = client.post("/jobs", json={**params, "epochs": 8, "seed": 3}, headers=h).json()["id"]
    assert run_pending("test-trainer") == [second]
    job = job_of(client, h, second)
    assert job["status"] == "succeeded", job
    new = client.get(f"/models/{job['result']['model_id']}", headers=h).json()
    assert new["version"] == 2 and "comparison.json" in new["artifacts"]
    comparison = new["metrics"]["comparison"]
    assert comparison == client.get(f"/models/{new['id']}/artifacts/comparison.json", headers=h).json()
    assert comparison["old_model_id"] == old["id"] and "error" not in comparison
    assert comparison["new_accuracy"] == new["metrics"]["accuracy"] == comparison["new"]["accuracy"]
    assert job["result"]["comparison"]["old_accuracy"] == comparison["old_accuracy"] == comparison["old"]["accuracy"]
    assert comparison["windows"]["n"] == new["metrics"]["val_windows"] == comparison["old"]["n"]

    # the same held-out windows, rebuilt here: the old model's file scores exactly what the comparison says
    with session_scope() as db:
        windows = dataset_windows(db, get_settings().media_path, db.get(Dataset, ds["id"]))
    held_out = split_windows(windows, 0.25, by="clip", seed=3)[1]
    assert held_out.fingerprint() == comparison["windows"]["fingerprint"]
    assert sorted(set(held_out.clip_ids.tolist())) == comparison["windows"]["clips"]
    assert held_out.fingerprint() != split_windows(windows, 0.25, by="clip", seed=0)[1].fingerprint()
    old_file = client.get(f"/models/{old['id']}/artifacts/model.onnx", headers=h).content
    again = evaluate(OnnxSkeletonModel(old_file), held_out)
    assert (
        again.accuracy == comparison["old"]["accuracy"]
        and [list(r) for r in again.confusion] == comparison["old"]["confusion"]
    )
    new_file = client.get(f"/models/{new['id']}/artifacts/model.onnx", headers=h).content
    assert np.isclose(evaluate(OnnxSkeletonModel(new_file), held_out).accuracy, comparison["new_accuracy"], atol=0.05)
    assert client.post(f"/jobs/{second}/cancel", headers=h).status_code == 409  # it already ended
