"""Training and models in a real Chromium: start a run from the form, watch its progress change while the trainer
runs, read curves / confusion matrix / comparison with the active model, activate (default and per camera) and roll
back, all by clicking."""

from __future__ import annotations

import pytest

from peers.waiting import wait_for

# The pages behave the same on either database; the browser journeys run once, on SQLite.
pytestmark = [pytest.mark.browser, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]

EPOCHS = 3


def image_loaded(page, selector: str) -> None:  # type: ignore[no-untyped-def]
    page.wait_for_function("(s) => document.querySelector(s)?.naturalWidth > 0", arg=selector)


def start_run(page, api, dataset_id: int, name: str) -> int:  # type: ignore[no-untyped-def]
    """Fill the form (tiny model, few epochs) and start; the new job's id."""
    known = {j["id"] for j in api.get("/jobs").json()}
    page.select_option("#train-dataset", str(dataset_id))
    page.fill("#train-epochs", str(EPOCHS))
    page.select_option("#train-size", "tiny")
    page.fill("#train-name", name)
    page.click("#train-start")
    job = wait_for(lambda: next((j for j in api.get("/jobs").json() if j["id"] not in known), None), 5, what="a job")
    assert job["params"] | {"epochs": EPOCHS, "size": "tiny", "name": name} == job["params"], job["params"]
    page.locator("#train-message", has_text=f"Run #{job['id']} queued").wait_for()
    return job["id"]


def held_at(trainer, api, job_id: int, epoch: int) -> None:  # type: ignore[no-untyped-def]
    """Wait until the run waits after `epoch`; a run that ended instead fails the test with its error."""

    def there() -> bool:
        ended = api.get(f"/jobs/{job_id}").json()["status"] not in ("queued", "running")
        return trainer.reached[epoch].is_set() or ended

    wait_for(there, 60, what=f"epoch {epoch} of job {job_id}")
    job = api.get(f"/jobs/{job_id}").json()
    assert trainer.reached[epoch].is_set(), f"job {job_id} ended before epoch {epoch}: {job['status']} {job['error']}"


def finished(page, api, job_id: int) -> int:  # type: ignore[no-untyped-def]
    """Wait until the page shows the run succeeded; the model it registered."""
    page.locator(f"#job-detail[data-job='{job_id}'] #job-status", has_text="succeeded").wait_for(timeout=60_000)
    return api.get(f"/jobs/{job_id}").json()["result"]["model_id"]


def test_train_watch_compare_activate_and_roll_back(page, ui, trainer) -> None:
    ui.create_account("root", role="admin")
    api = ui.api("root")
    labels = [{"name": "walk", "hotkey": "w"}, {"name": "lie", "hotkey": "l"}]
    dataset = api.post("/datasets", json={"name": "Synthetic moves", "labels": labels}).json()
    pkl = ui.synthetic_pickle([("walk", 0, 6), ("lie", 1, 6)])
    r = api.post(f"/datasets/{dataset['id']}/import", files={"file": ("moves.pkl", pkl)}, data={"fps": "10"})
    assert r.status_code == 201 and r.json()["clips"] == 12, r.text
    camera = api.post("/cameras", json={"name": "Hall", "stream_url": "rtsp://192.0.2.40/cam"}).json()

    trainer.hold_after(1, 2)
    ui.login(page, "root")
    page.goto("/ui/training")
    page.get_by_text("No training runs yet").wait_for()
    page.get_by_text("No models yet").wait_for()
    job_id = start_run(page, api, dataset["id"], "walkers")

    # the run is held after epoch 1, then after epoch 2: the page shows each state without a reload
    for epoch in (1, 2):
        held_at(trainer, api, job_id, epoch)
        page.locator("#job-epoch", has_text=f"{epoch} / {EPOCHS}").wait_for()
        assert page.locator("#job-status").inner_text().lower() == "running"
        float(page.locator("#job-loss").inner_text())  # a number
        assert page.locator("#job-val-acc").inner_text().endswith("%")
        assert page.locator("#job-eta").inner_text().endswith(" s")
        page.wait_for_function("(n) => Number(document.querySelector('#job-curves')?.dataset.epochs) === n", arg=epoch)
        if epoch == 1:
            ui.shot(page, "page-training-run")
        trainer.release(epoch)
    first = finished(page, api, job_id)
    assert page.evaluate("performance.getEntriesByType('navigation').length") == 1

    # the finished run's model: curves and confusion matrix, no comparison (nothing was active)
    page.locator(f"tr[data-model='{first}']").wait_for()
    page.get_by_role("button", name=f"Open model #{first}").click()
    image_loaded(page, "#confusion-img")
    image_loaded(page, "#model-detail img[alt='Training curves']")
    assert "nothing to compare" in page.locator("#model-comparison").inner_text()
    page.locator("#per-class tr[data-label='lie']").wait_for()

    # activate it as the default
    page.click(f"[data-activate='{first}']")
    page.locator(f"tr[data-model='{first}'] .badge.active").wait_for()
    assert api.get("/models/active").json()["model_id"] == first
    page.locator("#active-model", has_text=f"Default: model #{first}").wait_for()

    # a second run is compared with the active model
    second = finished(page, api, start_run(page, api, dataset["id"], "walkers"))
    row = page.locator(f"tr[data-model='{second}']")
    row.wait_for()
    assert " vs " in row.locator("td").nth(5).inner_text()
    row.get_by_role("button", name="Details").click()
    page.locator("#model-comparison", has_text=f"model #{first}").wait_for()
    assert page.locator("#model-comparison .delta-accuracy").inner_text().endswith("pts")
    assert api.get(f"/models/{second}").json()["metrics"]["comparison"]["old_model_id"] == first
    ui.shot(page, "page-models")

    # activate the new one for the camera only, then as the default; roll each back
    page.select_option("#model-scope", str(camera["id"]))
    page.locator("#active-model", has_text=f"Hall runs model #{first} (the default)").wait_for()
    page.get_by_role("button", name="Activate for Hall").first.click()
    page.locator("#active-model", has_text=f"Hall runs model #{second}").wait_for()
    assert api.get("/models/active", params={"camera_id": camera["id"]}).json()["model_id"] == second
    assert api.get("/models/active").json()["model_id"] == first

    page.select_option("#model-scope", "")
    page.click(f"[data-activate='{second}']")
    page.locator("#active-model", has_text=f"Default: model #{second}").wait_for()
    page.click("#rollback")
    page.locator(".toast.ok", has_text=f"Rolled back the default: model #{first} is active").wait_for()
    page.locator("#active-model", has_text=f"Default: model #{first}").wait_for()
    assert api.get("/models/active").json()["model_id"] == first

    page.select_option("#model-scope", str(camera["id"]))
    page.click("#rollback")
    page.locator("#active-model", has_text=f"Hall runs model #{first} (the default)").wait_for()
    assert api.get("/models/active", params={"camera_id": camera["id"]}).json()["model_id"] == first
    ui.shot(page, "training-rolled-back")
    assert not page.console_errors and not page.dialogs, (page.console_errors, page.dialogs)
