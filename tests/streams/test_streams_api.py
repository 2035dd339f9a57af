"""Seed camera-service endpoints against a real ingest of the demo clip and a real server."""

from __future__ import annotations

import os
import threading

import httpx
import numpy as np
import pytest
import simplejpeg

from peers.waiting import wait_for
from videohar.supervisor import DEMO_CLIP

# Streams and recognition do not depend on the database engine: these run once, on SQLite.
pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

PASSWORD = "correct horse battery"


def login(base: str, username: str, role: str = "operator") -> dict[str, str]:
    from videohar.auth.users import create_user
    from videohar.db.models import Role
    from videohar.db.session import session_scope

    with session_scope() as db:
        create_user(db, username=username, email=f"{username}@example.com", password=PASSWORD, role=Role(role))
    r = httpx.post(f"{base}/login", json={"username": username, "password": PASSWORD})
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def add_demo(base: str, h: dict[str, str]) -> int:
    r = httpx.post(f"{base}/cameras", headers=h, json={"name": "demo", "stream_url": DEMO_CLIP.resolve().as_uri()})
    assert r.status_code == 201, r.text
    return r.json()["id"]


def read_parts(base: str, path: str, h: dict[str, str], count: int, timeout: float = 20) -> list[bytes]:
    """Read `count` JPEG parts from an MJPEG response."""
    parts: list[bytes] = []
    with httpx.stream("GET", f"{base}{path}", headers=h, timeout=timeout) as r:
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("multipart/x-mixed-replace")
        assert "boundary=frame" in r.headers["content-type"]
        buf = b""
        for chunk in r.iter_bytes():
            buf += chunk
            while True:
                start = buf.find(b"\xff\xd8")
                end = buf.find(b"\xff\xd9", start + 2)
                if start < 0 or end < 0:
                    break
                parts.append(buf[start : end + 2])
                buf = buf[end + 2 :]
                if len(parts) >= count:
                    return parts
    return parts


def test_snapshot_status_and_stream_of_the_demo_camera(live_server, ingest_service):
    base = live_server
    h = login(base, "owner")
    cam = add_demo(base, h)
    assert httpx.get(f"{base}/get_snapshot/{cam}", headers=h).status_code == 404  # no frame yet
    assert httpx.get(f"{base}/camera_status", headers=h).json() == {f"camera_{cam}": "inactive"}
    ingest_service()
    wait_for(lambda: httpx.get(f"{base}/get_snapshot/{cam}", headers=h).status_code == 200, 20, what="first frame")
    snap = httpx.get(f"{base}/get_snapshot/{cam}", headers=h)
    assert snap.headers["content-type"] == "image/jpeg"
    img = simplejpeg.decode_jpeg(snap.content)
    assert img.shape == (576, 768, 3)
    wait_for(
        lambda: httpx.get(f"{base}/camera_status", headers=h).json() == {f"camera_{cam}": "active"},
        10,
        what="active status",
    )
    detail = httpx.get(f"{base}/cameras/{cam}/status", headers=h).json()
    assert detail["state"] == "online"
    frames = read_parts(base, f"/get_stream/{cam}", h, 5)
    assert len(frames) == 5 and len(set(frames)) == 5  # distinct frames, never one twice
    decoded = [simplejpeg.decode_jpeg(f).astype(np.int16) for f in frames]
    assert np.abs(decoded[0] - decoded[-1]).mean() > 0.5  # the picture moves


def test_concurrent_viewers_get_distinct_frames(live_server, ingest_service):
    base = live_server
    h = login(base, "owner")
    cam = add_demo(base, h)
    ingest_service()
    wait_for(lambda: httpx.get(f"{base}/get_snapshot/{cam}", headers=h).status_code == 200, 20, what="first frame")
    results: list[list[bytes]] = [[] for _ in range(20)]

    def view(i: int) -> None:
        results[i] = read_parts(base, f"/get_stream/{cam}", h, 4)

    threads = [threading.Thread(target=view, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    for frames in results:
        assert len(frames) == 4 and len(set(frames)) == 4


def test_stream_and_snapshot_need_access(live_server):
    base = live_server
    a = login(base, "alice")
    b = login(base, "bob")
    cam = add_demo(base, a)
    for path in (f"/get_snapshot/{cam}", f"/get_stream/{cam}", f"/recognized_stream/{cam}", f"/cameras/{cam}/status"):
        assert httpx.get(f"{base}{path}", headers=b, timeout=5).status_code == 404, path
        assert httpx.get(f"{base}{path}", timeout=5).status_code == 401, path
    assert httpx.get(f"{base}/camera_status", headers=b).json() == {}


def test_image_serves_only_media_files(live_server, app_env):
    from videohar.config import get_settings

    base = live_server
    h = login(base, "owner")
    media = get_settings().media_path
    (media / "events").mkdir(parents=True, exist_ok=True)
    jpeg = simplejpeg.encode_jpeg(np.zeros((8, 8, 3), np.uint8))
    (media / "events" / "a.jpg").write_bytes(jpeg)
    outside = app_env / "secret.jpg"
    outside.write_bytes(b"top secret")
    link = media / "events" / "link.jpg"
    if not link.exists():
        os.symlink(outside, link)
    r = httpx.get(f"{base}/image/events/a.jpg", headers=h)
    assert r.status_code == 200 and r.content == jpeg
    for bad in (
        "../secret.jpg",
        "..%2fsecret.jpg",
        "%2e%2e/secret.jpg",
        "%252e%252e%252fsecret.jpg",
        "events/../../secret.jpg",
        "/etc/passwd",
        "%2fetc%2fpasswd",
        "events/link.jpg",
        "events/..%5c..%5csecret.jpg",
        "events/a.jpg%00.png",
    ):
        r = httpx.get(f"{base}/image/{bad}", headers=h)
        assert r.status_code in (404, 400), (bad, r.status_code)
        assert b"top secret" not in r.content
    assert httpx.get(f"{base}/image/events/a.jpg").status_code == 401


def test_a_signed_link_opens_one_image_without_a_session_until_it_expires(live_server, app_env, monkeypatch):
    """LINE's servers fetch alert images without logging in: the alert carries a signed link."""
    from datetime import UTC, datetime
    from urllib.parse import urlsplit

    from videohar.config import get_settings, reset_settings
    from videohar.db.models import Camera, Event
    from videohar.media import signed_urls
    from videohar.notify.dispatch import event_payload

    base = live_server
    media = get_settings().media_path
    (media / "events").mkdir(parents=True, exist_ok=True)
    jpeg = simplejpeg.encode_jpeg(np.full((8, 8, 3), 200, np.uint8))
    (media / "events" / "snap.jpg").write_bytes(jpeg)
    (media / "events" / "other.jpg").write_bytes(jpeg)

    monkeypatch.setenv("VIDEOHAR_PUBLIC_URL", "https://har.example.com")
    reset_settings()
    try:
        event = Event(
            id=7, camera_id=1, label="fall", score=0.9, snapshot_path="events/snap.jpg", started_at=datetime.now(UTC)
        )
        url = event_payload(event, Camera(id=1, name="door"), timezone="UTC")["snapshot_url"]
    finally:
        monkeypatch.delenv("VIDEOHAR_PUBLIC_URL")
        reset_settings()
    parts = urlsplit(url)
    assert url.startswith("https://har.example.com/image/events/snap.jpg?exp=") and "&sig=" in url
    r = httpx.get(f"{base}{parts.path}?{parts.query}")  # no session, no token
    assert r.status_code == 200 and r.content == jpeg

    query = dict(p.split("=", 1) for p in parts.query.split("&"))
    secret = get_settings().secret()
    for path, q in (
        ("events/other.jpg", parts.query),  # the signature opens only its own file
        ("events/snap.jpg", f"exp={int(query['exp']) + 1}&sig={query['sig']}"),  # a longer life is refused
        ("events/snap.jpg", f"exp={query['exp']}&sig={query['sig'][:-2]}AA"),  # a changed signature too
        ("events/snap.jpg", f"exp={query['exp']}"),
        ("events/snap.jpg", signed_urls.sign(secret, "events/snap.jpg", ttl_s=-5)),  # expired
        ("events/snap.jpg", signed_urls.sign("another key", "events/snap.jpg")),
    ):
        r = httpx.get(f"{base}/image/{path}?{q}")
        assert r.status_code == 401, (path, q, r.status_code)
        assert r.content != jpeg
    assert httpx.get(f"{base}/image/events/snap.jpg?exp=1&sig={'x' * 65}").status_code == 422
    # a signed link to a path outside the media folder still opens nothing
    r = httpx.get(f"{base}/image/%2e%2e/secret.jpg?{signed_urls.sign(secret, '../secret.jpg')}")
    assert r.status_code in (400, 404)
