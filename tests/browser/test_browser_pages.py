"""Every page renders for a signed-in admin without script errors, and is saved as a screenshot."""

from __future__ import annotations

import httpx
import pytest

# The pages behave the same on either database; the browser journeys run once, on SQLite.
pytestmark = [pytest.mark.browser, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]

PAGES = ["dashboard", "cameras", "events", "notifications", "datasets", "training", "system", "users", "profile"]


def test_every_page_renders(page, ui) -> None:
    ui.create_account("root", role="admin")
    api = ui.api("root")
    for name, group in (("Entrance", "Building A"), ("Parking", "Outside"), ("Corridor", "Building A")):
        r = api.post("/cameras", json={"name": name, "group": group, "stream_url": "rtsp://192.0.2.30/cam"})
        assert r.status_code == 201, r.text
    ui.login(page, "root")
    for name in PAGES:
        response = page.goto(f"/ui/{name}")
        assert response is not None and response.status == 200, name
        page.wait_for_load_state("networkidle") if name != "dashboard" else page.locator(".card").first.wait_for()
        ui.shot(page, f"page-{name}")
    cam_id = api.get("/cameras").json()[0]["id"]
    page.goto(f"/snapshot_ui/{cam_id}")
    page.locator("#camera-name", has_text="Entrance").wait_for()
    ui.shot(page, "page-area-editor-empty")
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
