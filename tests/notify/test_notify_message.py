"""Alert rendering: local time, links, escaping, LINE objects, webhook payload."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from videohar.notify.message import AlertMessage, is_public_https_url

XSS = '<img src=x onerror="alert(1)">&'


def test_local_time_and_link(make_alert):
    msg = make_alert()
    assert msg.local_time.isoformat() == "2026-03-14T23:30:05+09:00"
    assert msg.local_time_text == "2026-03-14 23:30:05 JST (UTC+09:00)"
    assert msg.event_url == "https://har.example.com/events/42"
    assert make_alert(public_url="https://har.example.com/base/").event_url == (
        "https://har.example.com/base/events/42"
    )
    assert make_alert(public_url=None).event_url is None


def test_local_time_follows_dst(make_alert):
    summer = make_alert(occurred_at=datetime(2026, 7, 1, 12, tzinfo=UTC), timezone="Europe/Berlin")
    winter = make_alert(occurred_at=datetime(2026, 1, 1, 12, tzinfo=UTC), timezone="Europe/Berlin")
    assert summer.local_time_text == "2026-07-01 14:00:00 CEST (UTC+02:00)"
    assert winter.local_time_text == "2026-01-01 13:00:00 CET (UTC+01:00)"


def test_any_aware_input_zone_is_converted(make_alert):
    at = datetime(2026, 3, 14, 9, 30, 5, tzinfo=timezone(timedelta(hours=-5)))
    assert make_alert(occurred_at=at).local_time.isoformat() == "2026-03-14T23:30:05+09:00"


def test_naive_time_and_unknown_zone_are_refused(make_alert):
    with pytest.raises(ValueError):
        make_alert(occurred_at=datetime(2026, 1, 1, 12))
    with pytest.raises(ValueError):
        make_alert(timezone="Mars/Olympus_Mons")


def test_text_contents(make_alert):
    text = make_alert().as_text()
    for piece in ("Fall detected", "Camera: Front gate", "Area: Walkway", "Action: Fall", "Confidence: 91%"):
        assert piece in text
    assert "Open the event: https://har.example.com/events/42" in text
    assert "Area:" not in make_alert(area_name=None).as_text()


def test_html_escapes_every_user_string(make_alert):
    msg = make_alert(camera_name=XSS, area_name=XSS, action_label=XSS, title=XSS)
    html = msg.as_html(snapshot_cid='"><script>')
    assert "<img src=x" not in html and "<script>" not in html and 'onerror="' not in html
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;&amp;" in html
    assert html.count("<a href=") == 1


def test_event_link_in_html_is_escaped():
    msg = AlertMessage.build(
        event_id='1"><script>x</script>',
        camera_name="c",
        action_label="fall",
        score=0.5,
        occurred_at=datetime(2026, 1, 1, tzinfo=UTC),
        public_url="https://h.example.com",
    )
    assert "<script>" not in msg.as_html()


def test_subject_is_one_line(make_alert):
    msg = make_alert(camera_name="Gate\r\nBcc: evil@example.com", area_name="A\nB", title="Fall\r\nX")
    assert "\n" not in msg.subject() and "\r" not in msg.subject()
    assert msg.subject() == "[VideoHAR] Fall X — Gate Bcc: evil@example.com / A B"


def test_snapshot_repr_and_missing_file(make_alert, tmp_path, snapshot_jpeg):
    msg = make_alert()
    assert "snapshot_jpeg" not in repr(msg)
    assert msg.snapshot() == snapshot_jpeg
    assert make_alert(snapshot_jpeg=None, snapshot_path=tmp_path / "gone.jpg").snapshot() is None


def test_line_messages(make_alert):
    [text] = make_alert().as_line_messages()
    assert text["type"] == "text" and len(text["text"]) <= 5000
    url = "https://har.example.com/s/42.jpg"
    messages = make_alert(snapshot_url=url).as_line_messages()
    assert messages[1] == {"type": "image", "originalContentUrl": url, "previewImageUrl": url}
    for bad in ("http://har.example.com/s.jpg", "https://" + "a" * 2000 + ".com/x.jpg", "https:///x.jpg"):
        assert len(make_alert(snapshot_url=bad).as_line_messages()) == 1


def test_is_public_https_url():
    assert is_public_https_url("https://a.example.com/x.jpg")
    assert not is_public_https_url("https://a.example.com/x\n.jpg")
    assert not is_public_https_url(None)


def test_webhook_payload(make_alert):
    payload = make_alert(snapshot_url="https://har.example.com/s/42.jpg").as_webhook_payload()
    assert json.loads(json.dumps(payload)) == payload
    event = payload["event"]
    assert payload["version"] == 1 and payload["type"] == "event.alert"
    assert event["occurred_at"] == "2026-03-14T14:30:05Z"
    assert event["local_time"] == "2026-03-14T23:30:05+09:00" and event["timezone"] == "Asia/Tokyo"
    assert event["camera"] == {"id": 3, "name": "Front gate"} and event["area"] == {
        "id": 9,
        "name": "Walkway",
    }
    assert event["label"] == "fall" and event["score"] == 0.913 and event["track_id"] == 17
    assert event["snapshot_url"] == "https://har.example.com/s/42.jpg"
    assert make_alert(area_name=None).as_webhook_payload()["event"]["area"] is None
