"""Events page in a real Chromium: a manual event is listed, opened and marked reviewed."""

from __future__ import annotations

import pytest

# The pages behave the same on either database; the browser journeys run once, on SQLite.
pytestmark = [pytest.mark.browser, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]


def test_review_an_event(page, ui) -> None:
    ui.create_account("eve")
    api = ui.api("eve")
    camera = api.post("/cameras", json={"name": "Hall", "stream_url": "rtsp://192.0.2.40/cam"}).json()
    r = api.post("/events", json={"camera_id": camera["id"], "label": "fall", "score": 0.91, "area_name": "Stairs"})
    assert r.status_code == 201, r.text
    event_id = r.json()["id"]

    ui.login(page, "eve")
    page.goto("/ui/events")
    page.locator(f".event-row[data-event='{event_id}']").click()
    page.locator("#event-detail").get_by_text("Stairs").wait_for()
    ui.shot(page, "events")
    page.click("#mark-reviewed")
    page.locator(f".event-row[data-event='{event_id}'] [data-state='reviewed']").wait_for()
    assert api.get(f"/events/{event_id}").json()["state"] == "reviewed"

    page.select_option("#f-state", "new")
    page.get_by_role("button", name="Filter").click()
    page.get_by_text("Nothing matches these filters yet.").wait_for()
    assert not page.console_errors and not page.dialogs
