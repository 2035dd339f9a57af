"""A new user's first session, only through the browser, against the stack `videohar up` runs (first admin, demo
camera, ingest, recognition, trainer): see the demo camera live, make a dataset, record a clip from the camera,
label a segment with the keyboard, bring in a second class from mmaction2 annotations, train, watch, activate."""

from __future__ import annotations

import re
import time

import pytest

from peers.page_scripts import wait_for_live_frames
from peers.waiting import wait_for

# The pages behave the same on either database; the browser journeys run once, on SQLite.
pytestmark = [pytest.mark.browser, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]


@pytest.fixture
def up(site, pipeline, trainer):  # type: ignore[no-untyped-def]
    """What `videohar up` prepares on a first run: the first admin (generated password) and the demo camera;
    the roles run in threads (`pipeline`, `trainer`). Returns (username, password, trainer)."""
    from videohar.config import get_settings
    from videohar.supervisor import prepare

    password = prepare(get_settings(), demo=None)
    assert password, "a first run generates the admin's password"
    return get_settings().admin_username, password, trainer


def test_from_up_to_a_labelled_segment_and_an_active_model(page, ui, up, tmp_path) -> None:
    began = time.monotonic()
    username, password, trainer = up
    annotations = tmp_path / "people_lying.pkl"
    annotations.write_bytes(ui.synthetic_pickle([("walk", 0, 4), ("lie", 1, 4)]))

    # log in with what `up` printed, and see the demo camera's recognized stream move
    ui.login(page, username, password)
    card = page.locator(".card", has_text="Demo walkway")
    card.wait_for()
    camera_id = card.get_attribute("data-camera")
    img = f".card[data-camera='{camera_id}'] .media img"
    wait_for_live_frames(page, img)
    ui.shot(page, "journey-1-dashboard")

    # a dataset with my own labels (hotkeys are given to them)
    page.click("nav [data-nav='datasets']")
    page.get_by_text("No datasets yet").wait_for()
    page.fill("#ds-name", "Walkway")
    page.select_option("#ds-label-set", "")
    page.fill("#ds-labels", "walk, lie")
    page.click("#dataset-create")
    page.wait_for_url("**/ui/datasets?dataset=*")
    page.locator(".label-chip[data-label='walk'] kbd", has_text="w").wait_for()

    # record 4 s of the demo camera; the trainer records it and extracts the skeletons
    page.select_option("#record-camera", label="Demo walkway")
    page.fill("#record-seconds", "4")
    page.click("#record-submit")
    page.locator("#record-message", has_text="Recording 4 s").wait_for()
    label_link = page.locator("tr[data-clip]", has_text="Demo walkway recording").get_by_role("link", name="Label")
    label_link.wait_for(timeout=40_000)
    ui.shot(page, "journey-2-recorded")

    # label a segment with the keyboard on the first person's lane
    label_link.click()
    page.locator("body[data-ready='1']").wait_for()
    page.wait_for_function("() => document.querySelector('#label-video').readyState >= 2", timeout=20_000)
    lane = page.locator(".lane").first
    track = lane.get_attribute("data-track")
    lane.locator(".lane-name").click()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("[")
    page.get_by_text("start mark at frame 1").wait_for()
    end = min(9, int(page.locator("#frame-total").inner_text()) - 1)  # a loaded machine records fewer frames
    for _ in range(end - 1):
        page.keyboard.press("ArrowRight")
    page.keyboard.press("w")
    page.keyboard.press("]")
    segment = page.locator(f".lane[data-track='{track}'] .segment[data-label='walk']")
    segment.wait_for()
    page.locator("#sel-frames", has_text=f"1 – {end}").wait_for()
    page.locator("#clip-label-status", has_text="labelled").wait_for()
    # the recorded people's skeletons are drawn over the paused video at the playhead: step to a frame with someone
    ids = re.search(r"dataset=(\d+)&clip=(\d+)", page.url)
    assert ids, page.url
    doc = page.request.get(f"/datasets/{ids[1]}/clips/{ids[2]}/media/skeleton").json()
    visible = [
        f["index"] for f in doc["frames"] if any(sum(k[2] >= 0.2 for k in p["keypoints"]) >= 5 for p in f["people"])
    ]
    assert visible, "the recording tracked nobody"
    # (recorded frames keep their uneven capture times: the playhead must show the picture of the frame it names)
    target = min(visible, key=lambda i: abs(i - end))
    for _ in range(abs(target - end)):
        page.keyboard.press("ArrowRight" if target > end else "ArrowLeft")
    page.locator("#frame-now", has_text=re.compile(f"^{target}$")).wait_for()
    page.wait_for_function(
        """() => {
          const c = document.querySelector('#label-player canvas');
          const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
          for (let i = 3; i < d.length; i += 4) if (d[i]) return true;
          return false;
        }""",
        timeout=10_000,
    )
    # ... and letterboxed like the video, so a skeleton lies on its person (a stretched canvas did not)
    boxes = page.evaluate(
        """() => {
          const fit = (el, w, h) => {
            const r = el.getBoundingClientRect(), s = Math.min(r.width / w, r.height / h);
            if (getComputedStyle(el).objectFit !== 'contain') return [r.left, r.top, r.width, r.height];
            return [r.left + (r.width - w * s) / 2, r.top + (r.height - h * s) / 2, w * s, h * s];
          };
          const v = document.querySelector('#label-video'), c = document.querySelector('#label-player canvas');
          return [fit(v, v.videoWidth, v.videoHeight), fit(c, c.width, c.height)];
        }"""
    )
    assert boxes[0] == pytest.approx(boxes[1], abs=2), boxes
    ui.shot(page, "journey-3-labelled")

    # a second class: people lying down, from mmaction2 annotations, through the import control
    page.click("#back-to-dataset")
    page.set_input_files("#import-file", str(annotations))
    page.fill("#import-fps", "10")
    page.click("#import-submit")
    page.locator("#import-message", has_text="Imported 8 clips").wait_for()

    # train a tiny model for 2 epochs and watch it
    trainer.hold_after(1)
    page.get_by_role("link", name="Train a model").click()
    page.wait_for_url("**/ui/training?dataset=*")
    page.fill("#train-epochs", "2")
    page.select_option("#train-size", "tiny")
    page.click("#train-start")
    page.locator("#train-message", has_text="queued").wait_for()
    assert wait_for(trainer.reached[1].is_set, 60, what="the first epoch")
    page.locator("#job-epoch", has_text="1 / 2").wait_for()
    assert page.locator("#job-status").inner_text().lower() == "running"
    assert page.locator("#job-eta").inner_text().endswith(" s")
    ui.shot(page, "journey-4-training")
    trainer.release(1)
    page.locator("#job-status", has_text="succeeded").wait_for(timeout=60_000)

    # activate the model it made
    activate = page.locator("[data-activate]")
    activate.wait_for()
    model_id = int(activate.get_attribute("data-activate"))
    activate.click()
    page.locator(f"tr[data-model='{model_id}'] .badge.active").wait_for()
    page.locator("#active-model", has_text=f"Default: model #{model_id}").wait_for()
    ui.shot(page, "journey-5-activated")

    # what the browser did, as the API sees it
    api = ui.api(username, password)
    (dataset,) = api.get("/datasets").json()
    assert dataset["clips"] == 9
    recorded = next(c for c in api.get(f"/datasets/{dataset['id']}/clips").json() if c["source"] == "recording")
    segments = api.get(f"/datasets/{dataset['id']}/clips/{recorded['id']}/segments").json()
    assert [(s["track_id"], s["start_frame"], s["end_frame"], s["label"]) for s in segments] == [
        (int(track), 1, end + 1, "walk")
    ]
    model = api.get(f"/models/{model_id}").json()
    assert model["dataset_id"] == dataset["id"] and model["labels"] == ["walk", "lie", "other"]
    assert api.get("/models/active").json()["model_id"] == model_id
    assert not page.console_errors and not page.dialogs, (page.console_errors, page.dialogs)
    print(f"journey took {time.monotonic() - began:.1f} s")
