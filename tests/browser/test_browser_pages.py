"""Every page renders for a signed-in admin without script errors, and is saved as a screenshot."""

from __future__ import annotations

import httpx
import pytest

# The pages behave the same on either database; the browser journeys run once, on SQLite.
pytestmark = [pytest.mark.browser, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]

PAGES = ["dashboard", "cameras", "events", "notifications", "datasets", "training", "system", "users", "profile"]


def test_every_page_renders(page, ui) -> None:
    """One screenshot per page with some data on it: test-output/screenshots/page-<name>.png."""
    page.goto("/ui/login")
    page.locator("#login-submit").wait_for()
    ui.shot(page, "page-login")
    page.goto("/ui/register")
    page.locator("#register-submit").wait_for()
    ui.shot(page, "page-register")

    ui.create_account("root", role="admin")
    ui.create_account("olga")
    api = ui.api("root")
    for name, group in (("Entrance", "Building A"), ("Parking", "Outside"), ("Corridor", "Building A")):
        r = api.post("/cameras", json={"name": name, "group": group, "stream_url": "rtsp://192.0.2.30/cam"})
        assert r.status_code == 201, r.text
    cam_id = api.get("/cameras").json()[0]["id"]
    area = {"name": "Door", "kind": "rect", "color": "#ff9e3b", "actions": ["fall"], "dwell_seconds": 0,
            "points": [[100, 100], [300, 100], [300, 400], [100, 400]]}  # fmt: skip
    assert api.put(f"/cameras/{cam_id}/areas", json=[area]).status_code == 200, "areas"
    api.post("/events", json={"camera_id": cam_id, "label": "hands_up", "score": 0.72, "area_name": "Door"})
    event = api.post("/events", json={"camera_id": cam_id, "label": "fall", "score": 0.91, "area_name": "Door"}).json()
    ui.give_event_a_clip(event["id"], ("walk", "lie"))
    labels = [{"name": "walk", "hotkey": "w"}, {"name": "lie", "hotkey": "l"}]
    dataset = api.post("/datasets", json={"name": "Entrance falls", "labels": labels}).json()
    clip = api.post(f"/datasets/{dataset['id']}/clips", json={"event_id": event["id"]}).json()
    segment = {"track_id": 1, "start_frame": 5, "end_frame": 30, "label": "walk"}
    assert api.post(f"/datasets/{dataset['id']}/clips/{clip['id']}/segments", json=segment).status_code == 201

    ui.login(page, "root")
    for name in PAGES:
        response = page.goto(f"/ui/{name}")
        assert response is not None and response.status == 200, name
        page.wait_for_load_state("networkidle") if name != "dashboard" else page.locator(".card").first.wait_for()
        ui.shot(page, f"page-{name}")
    page.goto(f"/ui/events?event={event['id']}")
    page.wait_for_function("() => document.querySelector('#event-detail video')?.readyState >= 2")
    ui.shot(page, "page-event-clip")
    page.goto(f"/ui/datasets?dataset={dataset['id']}")
    page.locator("tr[data-clip] [data-status='ready']").wait_for()
    ui.shot(page, "page-dataset-clips")
    page.goto(f"/ui/label?dataset={dataset['id']}&clip={clip['id']}")
    page.locator("body[data-ready='1'] .segment[data-label='walk']").wait_for()
    page.wait_for_function("() => document.querySelector('#label-video').readyState >= 2")
    ui.shot(page, "page-label")
    page.goto(f"/snapshot_ui/{cam_id}")
    page.locator("#camera-name", has_text="Entrance").wait_for()
    page.wait_for_load_state("networkidle")
    ui.shot(page, "page-area-editor")
    page.set_viewport_size({"width": 420, "height": 860})
    page.goto("/ui/dashboard")
    page.locator(".card").first.wait_for()
    ui.shot(page, "page-dashboard-narrow")
    assert page.console_errors == [], page.console_errors
    assert page.dialogs == []


def test_pages_are_not_in_the_openapi_document(site) -> None:
    paths = httpx.get(f"{site.url}/openapi.json").json()["paths"]
    assert not [p for p in paths if p.startswith(("/ui", "/snapshot_ui", "/static"))]
    assert "/" not in paths


def test_unknown_page_and_bad_ids_are_4xx(site) -> None:
    with httpx.Client(base_url=site.url) as client:
        assert client.get("/ui/nope").status_code in (303, 404)
        assert client.get("/snapshot_ui/abc").status_code == 422
        assert client.get("/snapshot_ui/99999999999999").status_code == 422
        assert client.get("/static/../pyproject.toml").status_code == 404
        assert client.get("/static/css/app.css").status_code == 200
