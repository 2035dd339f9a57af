"""Cameras and focus areas: seed paths, ownership, roles, URL validation and masking, atomic areas."""

from __future__ import annotations

import logging

import pytest

from videohar.supervisor import DEMO_CLIP

DEMO_URL = DEMO_CLIP.resolve().as_uri()


def test_seed_camera_crud_and_masking(client, make_user, caplog):
    h = make_user(client, "owner")
    caplog.set_level(logging.INFO)
    r = client.post(
        "/cameras",
        json={"name": "Gate", "stream_url": "rtsp://admin:s3cr3tPass@10.1.2.3:554/live", "location": "north"},
        headers=h,
    )
    assert r.status_code == 201, r.text
    cam = r.json()
    assert cam["stream_url"] == "rtsp://admin:***@10.1.2.3:554/live"
    assert cam["recognition"] is True and cam["enabled"] is True and cam["location"] == "north"
    listed = client.get("/cameras", headers=h)
    assert [c["id"] for c in listed.json()] == [cam["id"]]
    assert "s3cr3tPass" not in listed.text
    r = client.patch(f"/cameras/{cam['id']}", json={"name": "Gate 2", "settings": {"analysis_fps": 5}}, headers=h)
    assert r.status_code == 200 and r.json()["name"] == "Gate 2" and r.json()["settings"]["analysis_fps"] == 5
    assert r.json()["version"] == cam["version"] + 1
    assert client.get(f"/cameras/{cam['id']}", headers=h).json()["name"] == "Gate 2"
    assert client.delete(f"/cameras/{cam['id']}", headers=h).status_code == 200
    assert client.get(f"/cameras/{cam['id']}", headers=h).status_code == 404
    assert "s3cr3tPass" not in caplog.text


@pytest.mark.parametrize(
    "url",
    [
        "ftp://host/video",
        "javascript:alert(1)",
        "file:///etc/passwd",
        "/etc/passwd",
        "file:///tmp/../etc/shadow.mp4",
        "relative/path.mp4",
        "rtsp://",
        "http://host:99999/x",
        "gopher://x",
        "rtsp://host/\x00",
    ],
)
def test_bad_stream_urls_are_422_and_change_nothing(client, make_user, url):
    h = make_user(client, "owner")
    r = client.post("/cameras", json={"name": "x", "stream_url": url}, headers=h)
    assert r.status_code == 422, (url, r.text)
    assert r.json()["message"]
    assert client.get("/cameras", headers=h).json() == []


def test_allowed_sources(client, make_user):
    h = make_user(client, "owner")
    for url in (
        DEMO_URL,
        str(DEMO_CLIP.resolve()),
        "/dev/video0",
        "https://cam.example/mjpg",
        "rtsps://h:322/s",
    ):
        r = client.post("/cameras", json={"name": "ok", "stream_url": url}, headers=h)
        assert r.status_code == 201, (url, r.text)


def test_other_users_camera_is_404_and_admin_sees_all(client, make_user):
    a = make_user(client, "alice")
    b = make_user(client, "bob")
    admin = make_user(client, "root", "admin")
    cam = client.post("/cameras", json={"name": "A", "stream_url": "rtsp://h/a"}, headers=a).json()
    for method, path in (("GET", ""), ("PATCH", ""), ("DELETE", ""), ("GET", "/areas")):
        r = client.request(
            method,
            f"/cameras/{cam['id']}{path}",
            headers=b,
            json={"name": "x"} if method == "PATCH" else None,
        )
        assert r.status_code == 404, (method, path)
    assert client.post(f"/rectangles/{cam['id']}", json=[], headers=b).status_code == 404
    assert client.get("/cameras", headers=b).json() == []
    assert [c["id"] for c in client.get("/cameras", headers=admin).json()] == [cam["id"]]
    assert client.patch(f"/cameras/{cam['id']}", json={"name": "by admin"}, headers=admin).status_code == 200


def test_viewer_reads_shared_cameras_only(client, make_user):
    owner = make_user(client, "owner")
    viewer = make_user(client, "watcher", "viewer")
    assert client.post("/cameras", json={"name": "V", "stream_url": "rtsp://h/v"}, headers=viewer).status_code == 403
    cam = client.post("/cameras", json={"name": "C", "stream_url": "rtsp://u:pw@h/c"}, headers=owner).json()
    assert client.get(f"/cameras/{cam['id']}", headers=viewer).status_code == 404
    r = client.put(f"/cameras/{cam['id']}/shares", json={"usernames": ["watcher"]}, headers=owner)
    assert r.status_code == 200 and r.json()["usernames"] == ["watcher"]
    assert client.put(f"/cameras/{cam['id']}/shares", json={"usernames": ["nobody"]}, headers=owner).status_code == 422
    got = client.get(f"/cameras/{cam['id']}", headers=viewer)
    assert got.status_code == 200 and got.json()["can_edit"] is False and "pw" not in got.text
    assert client.patch(f"/cameras/{cam['id']}", json={"name": "x"}, headers=viewer).status_code == 403
    assert client.delete(f"/cameras/{cam['id']}", headers=viewer).status_code == 403
    assert client.post(f"/rectangles/{cam['id']}", json=[], headers=viewer).status_code == 403


def test_bad_camera_bodies(client, make_user):
    h = make_user(client, "owner")
    cases = [
        {},
        {"name": "", "stream_url": "rtsp://h/x"},
        {"name": "x" * 101, "stream_url": "rtsp://h/x"},
        {"name": "x", "stream_url": "rtsp://h/x", "settings": {"analysis_fps": -1}},
        {"name": "x", "stream_url": "rtsp://h/x", "settings": {"unknown": 1}},
        {"name": "x", "stream_url": "rtsp://h/x", "settings": {"thresholds": {"fall": 3}}},
        {"name": "x", "stream_url": "rtsp://h/x", "owner_id": 1},
    ]
    for body in cases:
        r = client.post("/cameras", json=body, headers=h)
        assert r.status_code == 422, (body, r.text)
        assert r.json()["message"]
    cam = client.post("/cameras", json={"name": "ok", "stream_url": "rtsp://h/x"}, headers=h).json()
    r = client.patch(f"/cameras/{cam['id']}", json={"settings": {"max_width": 5}}, headers=h)
    assert r.status_code == 422
    assert client.get(f"/cameras/{cam['id']}", headers=h).json()["settings"]["max_width"] == 1280
    assert client.get("/cameras/abc", headers=h).status_code == 422
    assert client.get("/cameras/99999999999999999999", headers=h).status_code in (404, 422)


def test_pose_input_and_schedule_settings(client, make_user):
    h = make_user(client, "owner")
    cam = client.post("/cameras", json={"name": "c", "stream_url": "rtsp://h/x"}, headers=h).json()
    assert cam["settings"]["pose_input"] is None  # the backend's own size: unchanged behaviour
    assert cam["settings"]["schedule"] == {"timezone": "UTC", "windows": []}  # always on
    office = {
        "timezone": "Europe/Berlin",
        "windows": [
            {"days": ["fri", "mon", "mon"], "start": "08:00", "end": "18:00"},
            {"days": ["sat"], "start": "22:00", "end": "06:00"},  # past midnight
        ],
    }
    r = client.patch(f"/cameras/{cam['id']}", json={"settings": {"pose_input": 256, "schedule": office}}, headers=h)
    assert r.status_code == 200, r.text
    settings = r.json()["settings"]
    assert settings["pose_input"] == 256 and settings["schedule"]["timezone"] == "Europe/Berlin"
    assert settings["schedule"]["windows"][0]["days"] == ["mon", "fri"]  # de-duplicated, in week order
    version = r.json()["version"]
    for bad in (
        {"pose_input": 100},
        {"pose_input": 4096},
        {"pose_input": "big"},
        {"schedule": {"timezone": "Nowhere/City"}},
        {"schedule": {"timezone": "America"}},
        {"schedule": {"windows": [{"days": ["mon"], "start": "25:00", "end": "06:00"}]}},
        {"schedule": {"windows": [{"days": [], "start": "08:00", "end": "09:00"}]}},
        {"schedule": {"windows": [{"start": "08:00", "end": "09:00", "extra": True}]}},
        {"schedule": {"windows": [{"start": "08:00", "end": "09:00"}] * 51}},
    ):
        r = client.patch(f"/cameras/{cam['id']}", json={"settings": bad}, headers=h)
        assert r.status_code == 422, (bad, r.text)
        assert r.json()["message"]
    after = client.get(f"/cameras/{cam['id']}", headers=h).json()
    assert after["settings"] == settings and after["version"] == version  # nothing changed
    r = client.patch(f"/cameras/{cam['id']}", json={"settings": {"pose_input": None}}, headers=h)
    assert r.status_code == 200 and r.json()["settings"]["pose_input"] is None
    # both knobs are documented in the OpenAPI document
    doc = client.get("/openapi.json").json()["components"]["schemas"]
    props = doc["CameraSettings"]["properties"]
    assert "input size" in props["pose_input"]["description"] and "always on" in props["schedule"]["description"]
    assert "IANA" in doc["CameraSchedule"]["properties"]["timezone"]["description"]


def test_seed_rectangles_replace_atomically(client, make_user):
    h = make_user(client, "owner")
    cam = client.post("/cameras", json={"name": "c", "stream_url": "rtsp://h/x"}, headers=h).json()
    rects = [{"x": 100, "y": 200, "width": 50, "height": 60}, {"x": 0, "y": 0, "width": 10, "height": 10}]
    r = client.post(f"/rectangles/{cam['id']}", json=rects, headers=h)
    assert r.status_code == 200 and r.json() == "Rectangles saved"
    assert client.get(f"/rectangles/{cam['id']}", headers=h).json() == rects
    bad_bodies = [
        [{"x": 1, "y": 2, "width": -5, "height": 3}],
        [{"x": 1, "y": 2, "width": 5}],
        [rects[0], {"x": "a", "y": 0, "width": 1, "height": 1}],
        {"x": 1},
        b'[{"x": 1e309, "y": 0, "width": 1, "height": 1}]',
        b'[{"x": NaN, "y": 0, "width": 1, "height": 1}]',
        [{"x": 1, "y": 1, "width": 1, "height": 1, "evil": "<script>"}],
        [rects[0]] * 65,
    ]
    for body in bad_bodies:
        if isinstance(body, bytes):
            r = client.post(f"/rectangles/{cam['id']}", content=body, headers={**h, "Content-Type": "application/json"})
        else:
            r = client.post(f"/rectangles/{cam['id']}", json=body, headers=h)
        assert r.status_code == 422, (body, r.text)
        assert client.get(f"/rectangles/{cam['id']}", headers=h).json() == rects
    r = client.post(f"/rectangles/{cam['id']}", content=b"[{", headers={**h, "Content-Type": "application/json"})
    assert r.status_code == 422
    assert client.delete(f"/rectangles/{cam['id']}", headers=h).json() == "All rectangles cleared"
    assert client.get(f"/rectangles/{cam['id']}", headers=h).json() == []


def test_polygon_areas(client, make_user):
    h = make_user(client, "owner")
    cam = client.post("/cameras", json={"name": "c", "stream_url": "rtsp://h/x"}, headers=h).json()
    areas = [
        {
            "name": "<img src=x onerror=alert(1)>",
            "kind": "polygon",
            "points": [[0, 0], [100, 0], [50, 80]],
            "color": "#00ff00",
            "actions": ["loitering"],
            "dwell_seconds": 5,
        }
    ]
    r = client.put(f"/cameras/{cam['id']}/areas", json=areas, headers=h)
    assert r.status_code == 200, r.text
    got = client.get(f"/cameras/{cam['id']}/areas", headers=h).json()
    assert got[0]["name"] == areas[0]["name"] and got[0]["points"] == [[0, 0], [100, 0], [50, 80]]
    assert client.get(f"/rectangles/{cam['id']}", headers=h).json() == [{"x": 0, "y": 0, "width": 100, "height": 80}]
    for bad in (
        [{**areas[0], "points": [[0, 0], [1, 1]]}],
        [{**areas[0], "points": [[0, 0], [1, 1], [2, 2]]}],
        [{**areas[0], "color": "red"}],
        [{**areas[0], "dwell_seconds": -1}],
        [{**areas[0], "actions": [""]}],
    ):
        assert client.put(f"/cameras/{cam['id']}/areas", json=bad, headers=h).status_code == 422
    assert len(client.get(f"/cameras/{cam['id']}/areas", headers=h).json()) == 1
