"""Datasets and labelling in a real Chromium: create a dataset, upload a video and watch its skeletons being
extracted (a trainer thread runs the job), then label a segment with the keyboard only and nudge its end."""

from __future__ import annotations

from pathlib import Path

import av
import pytest

from peers.waiting import wait_for
from videohar.supervisor import DEMO_CLIP

# The pages behave the same on either database; the browser journeys run once, on SQLite.
pytestmark = [pytest.mark.browser, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]


def cut_demo(dst: Path, start_s: float = 8.0, seconds: float = 3.0) -> Path:
    """A few seconds of the demo clip as a user's H.264 upload."""
    with av.open(str(DEMO_CLIP)) as inp, av.open(str(dst), "w") as out:
        stream = out.add_stream("libx264", rate=10)
        stream.width, stream.height, stream.pix_fmt = 768, 576, "yuv420p"
        for frame in inp.decode(video=0):
            t = float(frame.time)
            if start_s <= t < start_s + seconds:
                image = av.VideoFrame.from_ndarray(frame.to_ndarray(format="bgr24"), format="bgr24")
                for packet in stream.encode(image):
                    out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return dst


def test_upload_then_label_a_segment_with_the_keyboard(page, ui, trainer, tmp_path) -> None:
    ui.create_account("lena")
    api = ui.api("lena")
    ui.login(page, "lena")
    page.goto("/ui/datasets")
    page.get_by_text("No datasets yet").wait_for()
    page.fill("#ds-name", "Walkway actions")
    page.select_option("#ds-label-set", "default")
    page.locator("#dataset-form .label-chip[data-label='stand']").wait_for()
    ui.shot(page, "datasets")
    page.click("#dataset-create")
    page.wait_for_url("**/ui/datasets?dataset=*")
    (dataset,) = api.get("/datasets").json()

    page.set_input_files("#upload-file", str(cut_demo(tmp_path / "walkway.mp4")))
    page.click("#upload-submit")
    page.get_by_text("skeletons are being extracted").wait_for()
    label_link = page.locator("tr[data-clip] a.button", has_text="Label")
    label_link.wait_for(timeout=90_000)
    ui.shot(page, "dataset-clips")
    (clip,) = api.get(f"/datasets/{dataset['id']}/clips").json()
    assert clip["status"] == "ready" and clip["track_ids"], clip

    label_link.click()
    page.wait_for_url("**/ui/label?*")
    page.locator("body[data-ready='1']").wait_for()
    page.wait_for_function("() => document.querySelector('#label-video').readyState >= 2", timeout=20_000)
    track = clip["track_ids"][0]
    page.click(f".lane[data-track='{track}'] .lane-name")
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    page.wait_for_function("() => document.querySelector('#frame-now').textContent === '3'")
    page.keyboard.press("[")
    page.get_by_text("start mark at frame 3").wait_for()
    for _ in range(5):
        page.keyboard.press("ArrowRight")
    page.keyboard.press("s")  # the default label set's hotkey for "stand"
    page.keyboard.press("]")
    page.locator(f".lane[data-track='{track}'] .segment[data-label='stand']").wait_for()
    segments = api.get(f"/datasets/{dataset['id']}/clips/{clip['id']}/segments").json()
    assert [(s["track_id"], s["start_frame"], s["end_frame"], s["label"]) for s in segments] == [(track, 3, 9, "stand")]

    page.keyboard.press("Shift+ArrowRight")  # nudge the selected segment's end by one frame
    page.locator("#sel-frames", has_text="3 – 9").wait_for()
    assert wait_for(
        lambda: api.get(f"/datasets/{dataset['id']}/clips/{clip['id']}/segments").json()[0]["end_frame"] == 10, 5
    )
    page.keyboard.press("w")  # relabel the selected segment as "walk"
    page.locator(".segment[data-label='walk']").wait_for()
    ui.shot(page, "labelling")
    assert api.get(f"/datasets/{dataset['id']}/clips/{clip['id']}").json()["label_status"] == "labelled"
    assert not page.console_errors, page.console_errors
