"""Live journeys in a real Chromium: events arriving over SSE, and the demo camera through ingest + recognition
(dashboard frames change, system page lists the processes, a loitering event's clip plays)."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
import redis

from peers.page_scripts import FRAME_DIGEST, wait_for_live_frames
from peers.waiting import wait_for
from videohar.supervisor import DEMO_CLIP

# The pages behave the same on either database; the browser journeys run once, on SQLite.
pytestmark = [pytest.mark.browser, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]


def test_an_event_arrives_live_on_the_events_page(page, ui) -> None:
    ui.create_account("eve")
    api = ui.api("eve")
    camera = api.post("/cameras", json={"name": "Hall", "stream_url": "rtsp://192.0.2.40/cam"}).json()
    ui.login(page, "eve")
    page.goto("/ui/events")
    page.get_by_text("Nothing matches these filters yet.").wait_for()
    # the SSE connection is open once the page has loaded; the event is created behind the page's back
    r = api.post("/events", json={"camera_id": camera["id"], "label": "hands_up", "score": 0.8, "area_name": "Desk"})
    assert r.status_code == 201, r.text
    event_id = r.json()["id"]
    toast = page.locator(".toast.event", has_text="hands up")
    toast.wait_for()
    assert "Desk" in toast.inner_text() and "Hall" in toast.inner_text()  # the camera's name, not "camera 1"
    page.locator(f".event-row[data-event='{event_id}']").wait_for()
    ui.shot(page, "events-live-toast")
    assert page.evaluate("performance.getEntriesByType('navigation').length") == 1  # no reload happened
    assert not page.console_errors and not page.dialogs


HOSTILE = "<img src=x onerror=alert(1)>"


def test_live_toast_names_the_camera_as_text(page, ui) -> None:
    ui.create_account("tom")
    api = ui.api("tom")
    camera = api.post("/cameras", json={"name": HOSTILE, "stream_url": "rtsp://192.0.2.41/cam"}).json()
    ui.login(page, "tom")
    page.locator(".card-title", has_text=HOSTILE).wait_for()
    r = api.post("/events", json={"camera_id": camera["id"], "label": "fall", "score": 0.9, "area_name": "Stairs"})
    assert r.status_code == 201, r.text
    toast = page.locator(".toast.event", has_text="Stairs")
    toast.wait_for()
    assert HOSTILE in toast.inner_text()  # shown literally: the name is text, never markup
    assert page.locator("img[src='x']").count() == 0
    # the dashboard card of that camera shows the event as its latest action
    action = page.locator(f".card[data-camera='{camera['id']}'] [data-stat='action']")
    assert action.inner_text().lower().startswith("fall")
    ui.shot(page, "dashboard-live-toast")
    assert not page.dialogs and not page.console_errors


@pytest.fixture
def ingest_only(site, redis_url: str) -> Iterator[None]:  # type: ignore[no-untyped-def]
    """Just the ingest role in a thread (raw frames; no recognition CPU)."""
    from videohar.cameras.ingest import IngestService, IngestSettings
    from videohar.cameras.provider import load_camera_specs

    service = IngestService(
        redis.Redis.from_url(redis_url), load_camera_specs, settings=IngestSettings(sync_interval_s=0.3)
    )
    stop = threading.Event()
    thread = threading.Thread(target=service.run, args=(stop,), daemon=True)
    thread.start()
    yield
    stop.set()
    thread.join(30)


# Records whether any dashboard card ever said "No signal".
WATCH_NO_SIGNAL = """() => {
  window.sawNoSignal = false;
  new MutationObserver(() => {
    if (document.querySelector('#camera-grid').textContent.includes('No signal')) window.sawNoSignal = true;
  }).observe(document.querySelector('#camera-grid'), { subtree: true, childList: true, characterData: true });
}"""


def test_an_expired_access_cookie_does_not_flash_no_signal(page, ui, ingest_only) -> None:
    # An <img> cannot refresh the 15-minute access cookie; the dashboard used to show "No signal" whenever a
    # stream was (re)opened after it expired, until its next status poll. Now it refreshes and retries.
    ui.create_account("nina")
    api = ui.api("nina")
    body = {"name": "Walkway", "stream_url": DEMO_CLIP.resolve().as_uri(), "recognition": False}
    camera = api.post("/cameras", json=body).json()
    ui.login(page, "nina")
    page.click("#view-raw")
    img = f".card[data-camera='{camera['id']}'] .media img"
    page.evaluate(f"window.frameDigest = {FRAME_DIGEST}")
    first = page.wait_for_function(
        "(sel) => window.frameDigest(document.querySelector(sel))", arg=img, timeout=30_000
    ).json_value()
    page.evaluate(WATCH_NO_SIGNAL)

    page.context.clear_cookies(name="vh_access")  # what the browser does when the cookie's max-age ends
    page.click("#view-recognized")  # opens a new stream without a cookie: 401
    wait_for(
        lambda: any(c["name"] == "vh_access" for c in page.context.cookies()), 15, what="the session to be refreshed"
    )
    page.click("#view-raw")
    page.wait_for_function(
        "([sel, first]) => ![null, first].includes(window.frameDigest(document.querySelector(sel)))",
        arg=[img, first],
        timeout=20_000,
    )
    assert page.evaluate("window.sawNoSignal") is False
    assert not page.console_errors


def test_a_camera_outside_its_schedule_streams_and_says_so(page, ui, pipeline) -> None:
    from datetime import UTC, datetime

    ui.create_account("sam")
    api = ui.api("sam")
    days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    away = days[(datetime.now(UTC).weekday() + 3) % 7]  # a whole day, days from now
    schedule = {"timezone": "UTC", "windows": [{"days": [away], "start": "00:00", "end": "00:00"}]}
    body = {"name": "Night gate", "stream_url": DEMO_CLIP.resolve().as_uri(), "settings": {"schedule": schedule}}
    camera = api.post("/cameras", json=body).json()
    ui.login(page, "sam")
    page.click("#view-recognized")
    card = f".card[data-camera='{camera['id']}']"
    paused = page.locator(f"{card} [data-schedule]", has_text="outside schedule")
    paused.wait_for(timeout=30_000)
    assert away in paused.get_attribute("title")
    # the recognized view still shows the camera: its frames keep changing
    img = f"{card} .media img"
    wait_for_live_frames(page, img)
    assert page.locator(f"{card} [data-stat='people']").inner_text() == "0"
    ui.shot(page, "dashboard-outside-schedule")
    assert not page.console_errors


def test_demo_camera_streams_shows_processes_and_plays_an_event_clip(page, ui, pipeline) -> None:
    ui.create_account("root", role="admin")
    api = ui.api("root")
    ui.login(page, "root")

    # add the demo camera through the form, as a user would
    page.goto("/ui/cameras")
    page.click("#camera-new")
    page.fill("#cam-name", "Walkway")
    page.fill("#cam-url", DEMO_CLIP.resolve().as_uri())
    page.fill("#cam-analysis-fps", "8")
    page.click("#camera-save")
    page.locator("tr[data-camera]", has_text="Walkway").wait_for()
    (camera,) = api.get("/cameras").json()
    # people stay in the middle of the walkway for seconds: loitering after 2 s
    area = {
        "name": "walkway",
        "kind": "polygon",
        "color": "#00ff00",
        "actions": ["loitering"],
        "dwell_seconds": 2.0,
        "points": [[150, 150], [650, 150], [650, 576], [150, 576]],
    }
    assert api.put(f"/cameras/{camera['id']}/areas", json=[area]).status_code == 200

    # dashboard: the recognized stream's frames change, and the card shows live figures
    page.goto("/ui/dashboard")
    img = f".card[data-camera='{camera['id']}'] .media img"
    wait_for_live_frames(page, img, first_timeout_ms=60_000)
    page.locator(f".card[data-camera='{camera['id']}'] .badge.active").wait_for(timeout=20_000)
    fps = f".card[data-camera='{camera['id']}'] [data-stat='fps']"
    page.wait_for_function("(sel) => /^[0-9]/.test(document.querySelector(sel).textContent)", arg=fps, timeout=20_000)
    ui.shot(page, "dashboard-live")

    # system: both processes hold the camera; per-stage latency is shown
    page.goto("/ui/system")
    for role in ("ingest", "worker"):
        page.locator(f"tr[data-role='{role}'] .chip[data-camera='{camera['id']}']").wait_for(timeout=15_000)
    pose_cell = f"#latency-body tr[data-camera='{camera['id']}'] td[data-stage='pose']"
    pose = page.locator(pose_cell)
    page.wait_for_function(
        "(sel) => /^[0-9]/.test(document.querySelector(sel)?.textContent.trim() ?? '')", arg=pose_cell, timeout=15_000
    )
    assert float(pose.inner_text().split()[0]) > 0
    ui.shot(page, "system")

    # events: the loitering event arrives live; once its clip is written it plays
    page.goto("/ui/events")
    row = page.locator(".event-row", has_text="loitering").first
    row.wait_for(timeout=120_000)

    def loitering_with_clip() -> dict | None:
        events = api.get("/events", params={"label": "loitering"}).json()["items"]
        return next((e for e in events if e["has_clip"]), None)

    event = wait_for(
        loitering_with_clip,
        120,
        interval=0.5,
        what="a loitering event with its clip",
    )
    page.goto(f"/ui/events?event={event['id']}")
    page.wait_for_function("() => document.querySelector('#event-detail video')?.readyState >= 2", timeout=20_000)
    page.eval_on_selector("#event-detail video", "v => { v.muted = true; return v.play(); }")
    page.wait_for_function("() => document.querySelector('#event-detail video').currentTime > 0.3", timeout=20_000)
    ui.shot(page, "events-clip")
    assert not page.console_errors, page.console_errors
