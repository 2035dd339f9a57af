"""Datasets in a real Chromium: an event's clip goes into a dataset from the events page, annotations come in through
the import control, and a model's pre-labels are accepted and rejected in the labelling view."""

from __future__ import annotations

import pytest

# The pages behave the same on either database; the browser journeys run once, on SQLite.
pytestmark = [pytest.mark.browser, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]

LABELS = [{"name": "walk", "hotkey": "w"}, {"name": "lie", "hotkey": "l"}]


def test_add_an_event_clip_to_a_dataset(page, ui) -> None:
    ui.create_account("eve")
    api = ui.api("eve")
    camera = api.post("/cameras", json={"name": "Hall", "stream_url": "rtsp://192.0.2.40/cam"}).json()
    event = api.post("/events", json={"camera_id": camera["id"], "label": "fall", "score": 0.9}).json()
    ui.give_event_a_clip(event["id"], ("walk", "lie"))
    api.post("/datasets", json={"name": "Other set", "labels": LABELS})
    target = api.post("/datasets", json={"name": "Hall falls", "labels": LABELS}).json()

    ui.login(page, "eve")
    page.goto(f"/ui/events?event={event['id']}")
    page.wait_for_function("() => document.querySelector('#event-detail video')?.readyState >= 1")
    page.locator("#to-dataset option", has_text="Hall falls").wait_for(state="attached")
    page.select_option("#to-dataset", label="Hall falls")
    page.click("#add-to-dataset")
    page.locator(".toast.ok", has_text="Added to Hall falls").wait_for()
    ui.shot(page, "events-add-to-dataset")
    page.click("#open-dataset")
    page.wait_for_url(f"**/ui/datasets?dataset={target['id']}")
    row = page.locator("tr[data-clip]", has_text=f"event {event['id']} (fall)")
    row.wait_for()
    assert row.locator("[data-status='ready']").count() == 1
    assert row.locator("td").nth(4).inner_text() == "2"  # two people to label
    (clip,) = api.get(f"/datasets/{target['id']}/clips").json()
    assert clip["event_id"] == event["id"] and clip["has_video"] and clip["track_ids"] == [1, 2]

    row.get_by_role("link", name="Label").click()
    page.locator("body[data-ready='1']").wait_for()
    page.wait_for_function("() => document.querySelector('#label-video').readyState >= 2")
    assert page.locator(".lane").count() == 2
    for _ in range(clip["frames"] + 2):  # stepping stops at the last frame
        page.keyboard.press("ArrowRight")
    page.locator("#frame-now", has_text=str(clip["frames"] - 1)).wait_for()
    assert not page.console_errors and not page.dialogs, (page.console_errors, page.dialogs)


def test_import_annotations_from_the_datasets_page(page, ui, tmp_path) -> None:
    ui.create_account("ivan")
    api = ui.api("ivan")
    dataset = api.post("/datasets", json={"name": "Imported", "labels": LABELS}).json()
    pkl = tmp_path / "moves.pkl"
    pkl.write_bytes(ui.synthetic_pickle([("walk", 0, 2), ("lie", 1, 2), ("fall", 7, 1)]))

    ui.login(page, "ivan")
    page.goto(f"/ui/datasets?dataset={dataset['id']}")
    page.get_by_text("No clips yet").wait_for()
    page.set_input_files("#import-file", str(pkl))
    page.fill("#import-fps", "10")
    page.click("#import-submit")
    message = page.locator("#import-message")
    message.get_by_text("Imported 4 clips with 4 segments; skipped label indexes 7").wait_for()
    page.locator("tr[data-clip]").nth(3).wait_for()
    assert page.locator("tr[data-clip]").count() == 4
    assert [c["label_status"] for c in api.get(f"/datasets/{dataset['id']}/clips").json()] == ["labelled"] * 4

    page.set_input_files("#import-file", {"name": "bad.pkl", "mimeType": "application/octet-stream", "buffer": b"no"})
    page.click("#import-submit")
    message.get_by_text("cannot import").wait_for()
    assert "error" in message.get_attribute("class")
    assert len(api.get(f"/datasets/{dataset['id']}/clips").json()) == 4
    assert not page.console_errors and not page.dialogs, (page.console_errors, page.dialogs)


@pytest.fixture
def active_model(ui) -> int:  # type: ignore[no-untyped-def]
    """A tiny model trained on generated walkers and people lying down, active by default."""
    from videohar.training.jobs import run_now

    ui.create_account("root", role="admin")
    api = ui.api("root")
    dataset = api.post("/datasets", json={"name": "Training set", "labels": LABELS}).json()
    pkl = ui.synthetic_pickle([("walk", 0, 8), ("lie", 1, 8)], seed=1)
    assert api.post(f"/datasets/{dataset['id']}/import", files={"file": ("m.pkl", pkl)}, data={"fps": "10"}).is_success
    job = run_now("train", {"dataset_id": dataset["id"], "epochs": 8, "size": "tiny", "lr": 0.003, "batch_size": 16})
    assert job.status == "succeeded", job.error
    model_id = job.result["model_id"]
    assert api.post(f"/models/{model_id}/activate", json={}).status_code == 200
    return model_id


def test_accept_and_reject_pre_labels(page, ui, trainer, active_model) -> None:
    api = ui.api("root")
    camera = api.post("/cameras", json={"name": "Hall", "stream_url": "rtsp://192.0.2.40/cam"}).json()
    event = api.post("/events", json={"camera_id": camera["id"], "label": "fall", "score": 0.9}).json()
    ui.give_event_a_clip(event["id"], ("walk", "lie"), seconds=5)
    dataset = api.post("/datasets", json={"name": "To review", "labels": LABELS}).json()
    clip = api.post(f"/datasets/{dataset['id']}/clips", json={"event_id": event["id"]}).json()
    segments_url = f"/datasets/{dataset['id']}/clips/{clip['id']}/segments"

    ui.login(page, "root")
    page.goto(f"/ui/label?dataset={dataset['id']}&clip={clip['id']}")
    page.locator("body[data-ready='1']").wait_for()
    page.fill("#prelabel-min", "0")
    page.click("#prelabel")
    page.locator(".toast.ok", has_text="to review").wait_for()
    proposals = api.get(segments_url).json()
    assert len(proposals) >= 2 and all(s["source"] == "model" and s["accepted"] is None for s in proposals)
    assert page.locator(".segment.pending").count() == len(proposals)
    ui.shot(page, "labelling-pre-labels")

    # the first proposal is selected: Enter accepts it and selects the next; the Reject button rejects that one
    first = page.locator("#segment-detail")
    first.get_by_text("pending").wait_for()
    accepted_id = int(page.locator(".segment.selected").get_attribute("data-segment"))
    page.keyboard.press("Enter")
    page.wait_for_function(
        "(id) => document.querySelector('.segment.selected')?.dataset.segment !== String(id)", arg=accepted_id
    )
    rejected_id = int(page.locator(".segment.selected").get_attribute("data-segment"))
    page.click("#reject-segment")
    page.locator(f".segment.rejected[data-segment='{rejected_id}']").wait_for()

    by_id = {s["id"]: s for s in api.get(segments_url).json()}
    assert by_id[accepted_id]["accepted"] is True and by_id[rejected_id]["accepted"] is False

    page.reload()
    page.locator("body[data-ready='1']").wait_for()
    normal = page.locator(f".segment[data-segment='{accepted_id}']")
    assert normal.get_attribute("class").split() == ["segment"]  # neither pending nor rejected
    page.locator(f"[data-segment-item='{accepted_id}']").click()
    assert "accepted" in page.locator("#segment-detail").inner_text()
    rejected = page.locator(f".segment[data-segment='{rejected_id}']")
    assert rejected.count() == 0 or "rejected" in rejected.get_attribute("class").split()
    assert page.locator(".segment.pending").count() == len(proposals) - 2
    assert api.get(f"/datasets/{dataset['id']}/clips/{clip['id']}").json()["label_status"] == "labelled"
    ui.shot(page, "labelling-reviewed")
    assert not page.console_errors and not page.dialogs, (page.console_errors, page.dialogs)
