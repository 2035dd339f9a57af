"""Cameras and focus areas in a real Chromium: add, edit, escape hostile names, draw and reload areas."""

from __future__ import annotations

import socket

import pytest

# The pages behave the same on either database; the browser journeys run once, on SQLite.
pytestmark = [pytest.mark.browser, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]

HOSTILE = "<img src=x onerror=alert(1)>"


def _add_camera(page, name: str, group: str = "") -> None:  # type: ignore[no-untyped-def]
    page.goto("/ui/cameras")
    page.click("#camera-new")
    page.fill("#cam-name", name)
    page.fill("#cam-url", "rtsp://viewer:s3cret@192.0.2.10:554/stream1")
    page.fill("#cam-group", group)
    page.click("#camera-save")
    page.locator(".toast.ok").first.wait_for()


def test_add_and_edit_a_camera(page, ui) -> None:
    ui.create_account("olivia")
    ui.login(page, "olivia")
    page.goto("/ui/cameras")
    page.get_by_text("No cameras yet").wait_for()
    ui.shot(page, "cameras-empty")

    page.click("#camera-new")
    page.fill("#cam-name", "Front door")
    page.fill("#cam-url", "rtsp://viewer:s3cret@192.0.2.10:554/stream1")
    page.fill("#cam-group", "Lobby")
    page.fill("#cam-analysis-fps", "5")
    page.uncheck("input[data-action='running']")
    page.fill("input[data-threshold='fall']", "0.7")
    page.click("#camera-save")
    row = page.locator("tr[data-camera]", has_text="Front door")
    row.wait_for()
    assert "s3cret" not in row.inner_text()  # the list shows the masked URL

    api = ui.api("olivia")
    (camera,) = api.get("/cameras").json()
    assert camera["group"] == "Lobby"
    assert camera["settings"]["analysis_fps"] == 5
    assert "running" not in camera["settings"]["actions"] and "fall" in camera["settings"]["actions"]
    assert camera["settings"]["thresholds"] == {"fall": 0.7}
    ui.shot(page, "cameras")

    row.get_by_role("button", name="Edit").click()
    assert page.input_value("#cam-name") == "Front door"
    page.fill("#cam-name", "Back door")
    page.uncheck("#cam-recognition")
    page.click("#camera-save")
    page.locator("tr[data-camera]", has_text="Back door").wait_for()
    edited = api.get(f"/cameras/{camera['id']}").json()
    assert edited["name"] == "Back door" and edited["recognition"] is False
    # The masked URL was not sent back, so the stored password survived the edit.
    assert edited["stream_url"] == camera["stream_url"]

    row = page.locator("tr[data-camera]", has_text="Back door")
    row.get_by_role("button", name="Delete").click()
    row.get_by_role("button", name="Click again to confirm").click()
    page.get_by_text("No cameras yet").wait_for()
    assert api.get("/cameras").json() == []
    assert not page.dialogs and not page.console_errors


def test_hostile_camera_name_renders_as_text(page, ui) -> None:
    ui.create_account("mallory")
    ui.login(page, "mallory")
    _add_camera(page, HOSTILE, group=HOSTILE)
    page.locator(".camera-name", has_text=HOSTILE).wait_for()
    assert page.locator("img[src='x']").count() == 0

    page.goto("/ui/dashboard")
    page.locator(".card-title", has_text=HOSTILE).wait_for()
    assert page.locator("img[src='x']").count() == 0
    ui.shot(page, "dashboard-hostile-name")

    camera_id = ui.api("mallory").get("/cameras").json()[0]["id"]
    page.goto(f"/snapshot_ui/{camera_id}")
    page.locator("#camera-name", has_text=HOSTILE).wait_for()
    assert page.locator("img[src='x']").count() == 0
    assert page.dialogs == [], page.dialogs


def _canvas_point(box: dict, fx: float, fy: float) -> tuple[float, float]:
    return box["x"] + box["width"] * fx, box["y"] + box["height"] * fy


def test_draw_rectangle_and_polygon_then_reload(page, ui) -> None:
    ui.create_account("ada")
    api = ui.api("ada")
    r = api.post("/cameras", json={"name": "Yard", "stream_url": "rtsp://192.0.2.20/live"}, headers={})
    assert r.status_code == 201, r.text
    camera_id = r.json()["id"]
    ui.login(page, "ada")
    page.goto(f"/snapshot_ui/{camera_id}")
    page.get_by_text("No areas").wait_for()
    canvas = page.locator("#area-canvas")
    box = canvas.bounding_box()
    assert box is not None

    page.click("#tool-rect")
    page.mouse.move(*_canvas_point(box, 0.1, 0.1))
    page.mouse.down()
    page.mouse.move(*_canvas_point(box, 0.25, 0.2), steps=4)
    page.mouse.move(*_canvas_point(box, 0.4, 0.5), steps=4)
    page.mouse.up()

    page.click("#tool-polygon")
    for fx, fy in ((0.6, 0.2), (0.9, 0.3), (0.8, 0.8), (0.55, 0.7)):
        page.mouse.click(*_canvas_point(box, fx, fy))
    page.keyboard.press("Enter")
    assert page.locator(".area-item").count() == 2

    names = page.locator(".area-name")
    names.nth(0).fill("Gate")
    names.nth(1).fill("Lawn <b>")
    page.locator(".area-item").nth(1).get_by_label("fall").check()
    assert page.locator("#areas-dirty").is_visible()
    page.click("#areas-save")
    page.locator(".toast.ok", has_text="Saved 2 areas").wait_for()

    page.reload()
    page.locator(".area-item").nth(1).wait_for()
    assert [names.nth(i).input_value() for i in range(2)] == ["Gate", "Lawn <b>"]
    ui.shot(page, "area-editor")

    areas = api.get(f"/cameras/{camera_id}/areas").json()
    assert [(a["name"], a["kind"], len(a["points"])) for a in areas] == [
        ("Gate", "rect", 4),
        ("Lawn <b>", "polygon", 4),
    ]
    assert areas[1]["actions"] == ["fall"]
    # The rectangle spans 10-40 % of the 1280x720 placeholder frame (no snapshot yet).
    xs = sorted({round(p[0]) for p in areas[0]["points"]})
    ys = sorted({round(p[1]) for p in areas[0]["points"]})
    assert xs == pytest.approx([128, 512], abs=4) and ys == pytest.approx([72, 360], abs=4)
    # The seed's rectangle view sees both areas as their bounding boxes.
    assert len(api.get(f"/rectangles/{camera_id}").json()) == 2

    # Select the rectangle, drag it, delete the polygon with the keyboard, save.
    page.click("#tool-select")
    page.mouse.move(*_canvas_point(box, 0.25, 0.3))
    page.mouse.down()
    page.mouse.move(*_canvas_point(box, 0.3, 0.35), steps=4)
    page.mouse.up()
    page.mouse.click(*_canvas_point(box, 0.75, 0.5))
    page.keyboard.press("Delete")
    page.click("#areas-save")
    page.locator(".toast.ok", has_text="Saved 1 area").wait_for()
    (moved,) = api.get(f"/cameras/{camera_id}/areas").json()
    assert moved["name"] == "Gate"
    assert min(p[0] for p in moved["points"]) == pytest.approx(128 + 64, abs=4)
    assert not page.dialogs and not page.console_errors


def test_connection_test_pose_input_and_schedule_in_the_form(page, ui) -> None:
    from videohar.supervisor import DEMO_CLIP

    ui.create_account("tess")
    ui.login(page, "tess")
    page.goto("/ui/cameras")
    page.click("#camera-new")
    page.fill("#cam-name", "Walkway")
    page.fill("#cam-url", DEMO_CLIP.resolve().as_uri())
    page.click("#camera-test")
    result = page.locator("#camera-test-result.ok")
    result.wait_for(timeout=15_000)
    assert "768×576" in result.inner_text() and "h264" in result.inner_text()
    snapshot = "#camera-test-result img.test-snapshot"
    page.wait_for_function(f"() => document.querySelector('{snapshot}')?.naturalWidth === 480")
    ui.shot(page, "cameras-connection-test")

    # a source that fails: a clear message, and the password typed into the URL is not repeated
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    page.fill("#cam-url", f"rtsp://admin:Pa55word-x@127.0.0.1:{closed}/live")
    page.click("#camera-test")
    failed = page.locator("#camera-test-result.error")
    failed.wait_for(timeout=15_000)
    assert "connection refused" in failed.inner_text() and "Pa55word-x" not in failed.inner_text()
    assert page.locator("#camera-test-result img").count() == 0

    # recognition settings: pose input size and an overnight schedule window
    page.fill("#cam-url", DEMO_CLIP.resolve().as_uri())
    page.select_option("#cam-pose-input", "256")
    page.click("#cam-window-add")
    window = page.locator(".schedule-window").first
    window.locator("input[data-day='sat']").check()
    window.locator(".win-start").fill("22:00")
    window.locator(".win-end").fill("06:00")
    page.fill("#cam-timezone", "Asia/Tokyo")
    page.click("#camera-save")
    page.locator("tr[data-camera]", has_text="Walkway").wait_for()
    (camera,) = ui.api("tess").get("/cameras").json()
    assert camera["settings"]["pose_input"] == 256
    assert camera["settings"]["schedule"] == {
        "timezone": "Asia/Tokyo",
        "windows": [{"days": ["mon", "tue", "wed", "thu", "fri", "sat"], "start": "22:00", "end": "06:00"}],
    }

    # editing: the form shows what was saved, and the test of the (masked) saved URL runs on the server
    page.reload()
    page.locator("tr[data-camera]", has_text="Walkway").get_by_role("button", name="Edit").click()
    assert page.input_value("#cam-pose-input") == "256" and page.input_value("#cam-timezone") == "Asia/Tokyo"
    assert page.locator(".schedule-window .win-start").input_value() == "22:00"
    page.click("#camera-test")
    page.locator("#camera-test-result.ok").wait_for(timeout=15_000)
    ui.shot(page, "cameras-schedule")
    # a bad schedule is refused with the server's message and nothing changes
    page.locator(".schedule-window input[data-day]").evaluate_all("els => els.forEach((e) => (e.checked = false))")
    page.click("#camera-save")
    page.locator("#camera-message", has_text="schedule").wait_for()
    assert ui.api("tess").get(f"/cameras/{camera['id']}").json()["settings"] == camera["settings"]
    assert not page.dialogs and not page.console_errors
