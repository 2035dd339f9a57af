"""Events through rules into the outbox and out to real peers: retries, dead letters, inbox."""

from __future__ import annotations

import email
import email.policy
import logging
from datetime import UTC, datetime

from videohar.notify.rules import EventFacts, RuleSpec, rule_matches
from videohar.notify.schedule import parse_quiet_hours


def _hook(client, headers, peer, secret, **extra):
    r = client.post("/webhooks", json={"url": peer.base_url + "/hook", "secret": secret, **extra}, headers=headers)
    assert r.status_code == 201, r.text
    return r.json()["id"]


def test_rule_matching_is_plain_logic():
    facts = EventFacts(camera_id=1, owner_id=7, label="fall", score=0.8, at=datetime.now(UTC), area_id=3)
    assert rule_matches(RuleSpec(key="a", user_id=7), facts)  # default shape: my cameras, alert labels
    assert not rule_matches(RuleSpec(key="a", user_id=8), facts)  # not my camera
    assert rule_matches(RuleSpec(key="a", user_id=8, camera_id=1), facts)  # named camera
    assert not rule_matches(RuleSpec(key="a", user_id=7, camera_id=2), facts)
    assert not rule_matches(RuleSpec(key="a", user_id=7, area_id=4), facts)
    assert rule_matches(RuleSpec(key="a", user_id=7, area_id=3), facts)
    assert not rule_matches(RuleSpec(key="a", user_id=7, labels=frozenset({"running"})), facts)
    assert not rule_matches(RuleSpec(key="a", user_id=7, min_score=0.85), facts)
    walking = EventFacts(camera_id=1, owner_id=7, label="walking", score=0.99, at=facts.at)
    assert not rule_matches(RuleSpec(key="a", user_id=7), walking)  # not alert-level
    assert rule_matches(RuleSpec(key="a", user_id=7, labels=frozenset({"walking"})), walking)


def test_default_rule_email_and_webhook_with_snapshot(
    notify_env, camera, open_event, deliver, webhook, smtp_peer, snapshot_jpeg, known
):
    receiver, peer = webhook
    h, cam = camera()
    notify_env.post("/email_recipients", json={"email": "ops@example.com"}, headers=h)
    _hook(notify_env, h, peer, known.webhook_secret)
    event_id, enqueued = open_event(cam, "fall", 0.91, snapshot=snapshot_jpeg)
    assert enqueued == 2
    assert open_event(cam, "walking", 0.99)[1] == 0  # not an alert-level action
    rows = deliver()
    assert {r["status"] for r in rows} == {"sent"} and all(r["attempts"] == 1 for r in rows)
    [payload] = receiver.events
    assert payload["event"]["id"] == event_id and payload["event"]["label"] == "fall"
    assert payload["event"]["camera"]["name"] == "Front gate" and payload["event"]["timezone"] == "Asia/Tokyo"
    [mail] = smtp_peer.received
    parsed = email.message_from_bytes(mail.content, policy=email.policy.default)
    parts = {p.get_content_type(): p for p in parsed.walk()}
    assert parts["image/jpeg"].get_payload(decode=True) == snapshot_jpeg
    assert "Front gate" in parts["text/plain"].get_content() and "91%" in parts["text/plain"].get_content()
    inbox = notify_env.get("/notifications", headers=h).json()
    assert [n["event_id"] for n in inbox] == [event_id] and inbox[0]["image_path"].startswith("events/")


def test_cooldown_per_rule_camera_and_label(notify_env, camera, open_event, webhook, known):
    _, peer = webhook
    h, cam = camera()
    cam2 = notify_env.post("/cameras", json={"name": "Back", "stream_url": "rtsp://cam.local/2"}, headers=h).json()[
        "id"
    ]
    _hook(notify_env, h, peer, known.webhook_secret)
    assert open_event(cam, "fall")[1] == 1
    assert open_event(cam, "fall")[1] == 0  # default rule: once a minute per camera and label
    assert open_event(cam, "running")[1] == 1
    assert open_event(cam2, "fall")[1] == 1
    r = notify_env.post("/notification_rules", json={"camera_id": cam, "labels": ["fall"], "cooldown_s": 0}, headers=h)
    assert r.status_code == 201, r.text
    assert [open_event(cam, "fall")[1] for _ in range(3)] == [1, 1, 1]
    assert open_event(cam2, "fall")[1] == 0  # with a rule, the default no longer applies


def test_quiet_hours_across_midnight(notify_env, camera, open_event, webhook, known):
    _, peer = webhook
    h, cam = camera()
    _hook(notify_env, h, peer, known.webhook_secret)
    rule = {
        "camera_id": cam,
        "cooldown_s": 0,
        "timezone": "Asia/Tokyo",
        "quiet_hours": [{"start": "22:00", "end": "06:00"}],
    }
    r = notify_env.post("/notification_rules", json=rule, headers=h)
    assert r.status_code == 201, r.text
    assert r.json()["quiet_hours"][0]["timezone"] == "Asia/Tokyo"

    def tokyo(hour: int, minute: int = 0) -> datetime:  # Tokyo is UTC+9 all year
        return datetime(2026, 3, 14, (hour - 9) % 24, minute, tzinfo=UTC)

    assert open_event(cam, "fall", at=tokyo(23, 30))[1] == 0
    assert open_event(cam, "fall", at=tokyo(2))[1] == 0
    assert open_event(cam, "fall", at=tokyo(5, 59))[1] == 0
    assert open_event(cam, "fall", at=tokyo(6))[1] == 1
    assert open_event(cam, "fall", at=tokyo(21, 59))[1] == 1
    window = parse_quiet_hours({"start": "22:00", "end": "06:00", "timezone": "Asia/Tokyo"})
    assert window.contains(tokyo(0)) and not window.contains(tokyo(12))
    # quiet events still reach the inbox
    assert len(notify_env.get("/notifications", headers=h).json()) == 5


def test_rules_validate_references(notify_env, camera, make_user):
    h, cam = camera("alice")
    other_h, other_cam = camera("bob", "Bob's")
    bad = [
        {"camera_id": other_cam},
        {"camera_id": cam, "target_ids": [12345]},
        {"area_id": 1},
        {"quiet_hours": [{"start": "25:00", "end": "06:00"}]},
        {"timezone": "Mars/Olympus"},
        {"min_score": 2},
    ]
    for body in bad:
        r = notify_env.post("/notification_rules", json=body, headers=h)
        assert r.status_code == 422, (body, r.text)
    rule = notify_env.post("/notification_rules", json={"camera_id": cam}, headers=h).json()
    assert notify_env.get(f"/notification_rules/{rule['id']}", headers=other_h).status_code == 404
    r = notify_env.patch(f"/notification_rules/{rule['id']}", json={"min_score": 0.5}, headers=h)
    assert r.status_code == 200 and r.json()["min_score"] == 0.5 and r.json()["camera_id"] == cam


def test_peer_failing_twice_then_succeeding(notify_env, camera, open_event, deliver, webhook, known):
    receiver, peer = webhook
    receiver.script = [503, 502]
    h, cam = camera()
    _hook(notify_env, h, peer, known.webhook_secret)
    open_event(cam)
    [row] = deliver()
    assert row["status"] == "sent" and row["attempts"] == 3
    keys = {r.headers["idempotency-key"] for r in peer.requests}
    assert len(peer.requests) == 3 and keys == {row["idempotency_key"]}
    assert len(receiver.events) == 1
    api = notify_env.get("/deliveries", headers=h).json()
    assert api[0]["status"] == "sent" and api[0]["attempts"] == 3 and "502" in api[0]["last_error"]


def test_backoff_grows_with_jitter_and_respects_retry_after():
    import random

    from videohar.notify.outbox import backoff_delay

    rng = random.Random(1)
    delays = [backoff_delay(n, base_s=2, max_s=60, rng=rng) for n in range(1, 8)]
    for n, delay in enumerate(delays, start=1):
        ceiling = min(60, 2 * 2 ** (n - 1))
        assert ceiling * 0.5 <= delay <= ceiling
    assert len({round(d, 6) for d in delays}) == len(delays)
    assert backoff_delay(1, base_s=2, max_s=60, retry_after=30, rng=rng) == 30


def test_peer_down_for_good_is_dead_lettered_then_retried(
    notify_env, camera, open_event, deliver, http_peer, closed_port, known, caplog
):
    caplog.set_level(logging.DEBUG)
    h, cam = camera()
    r = notify_env.post(
        "/webhooks", json={"url": f"http://127.0.0.1:{closed_port}/hook", "secret": known.webhook_secret}, headers=h
    )
    hook_id = r.json()["id"]
    open_event(cam)
    [row] = deliver()
    assert row["status"] == "dead" and row["attempts"] == 4
    dead = notify_env.get("/deliveries", params={"status": "dead"}, headers=h).json()
    assert [d["id"] for d in dead] == [row["id"]] and "network error" in dead[0]["last_error"]
    assert notify_env.get("/deliveries", params={"status": "sent"}, headers=h).json() == []
    # the peer comes back: point the webhook at it and retry the dead delivery
    receiver_calls = []
    peer = http_peer(lambda req: receiver_calls.append(req) or (200, {}, b""))
    notify_env.patch(f"/webhooks/{hook_id}", json={"url": peer.base_url + "/hook"}, headers=h)
    assert notify_env.post(f"/deliveries/{row['id']}/retry", headers=h).json()["status"] == "pending"
    assert notify_env.post(f"/deliveries/{row['id']}/retry", headers=h).status_code == 409
    [row2] = deliver()
    assert row2["status"] == "sent" and row2["idempotency_key"] == row["idempotency_key"]
    assert receiver_calls[0].headers["idempotency-key"] == row["idempotency_key"]
    assert known.webhook_secret not in caplog.text


def test_line_delivery_and_permanent_failure(notify_env, camera, open_event, deliver, line_api, known):
    stand_in, _ = line_api
    h, cam = camera()
    notify_env.post("/line_tokens", json={"channel_access_token": known.line_token, "to": known.line_user}, headers=h)
    notify_env.post("/line_tokens", json={"channel_access_token": "B" * 50, "to": known.line_user}, headers=h)
    open_event(cam, "lying", 0.7)
    rows = deliver()
    assert sorted(r["status"] for r in rows) == ["failed", "sent"]
    failed = next(r for r in rows if r["status"] == "failed")
    assert failed["attempts"] == 1 and "401" in failed["last_error"]
    [body] = stand_in.delivered
    assert body["to"] == known.line_user and "Lying detected" in body["messages"][0]["text"]


def test_inbox_paging_filters_and_scoping(notify_env, camera, make_user, open_event):
    h, cam = camera()
    me = notify_env.get("/me", headers=h).json()
    for i in range(5):
        r = notify_env.post(
            "/notifications",
            json={"account_uuid": me["uuid"], "camera_id": cam, "message": f"m{i}", "image_path": f"snaps/{i}.jpg"},
            headers=h,
        )
        assert r.status_code == 201, r.text
    page = notify_env.get("/notifications", params={"limit": 2, "offset": 1}, headers=h).json()
    assert [n["message"] for n in page] == ["m3", "m2"]
    first = page[0]["id"]
    assert notify_env.post(f"/notifications/{first}/read", headers=h).json()["read"] is True
    assert len(notify_env.get("/notifications", params={"unread": "true"}, headers=h).json()) == 4
    assert notify_env.patch(f"/notifications/{first}", json={"read": False}, headers=h).json()["read"] is False
    assert notify_env.patch("/notifications", json={"read": True}, headers=h).json() == {"updated": 5}
    assert notify_env.get("/notifications", params={"unread": "true"}, headers=h).json() == []
    assert notify_env.get("/notifications", params={"bogus": 1}, headers=h).status_code == 422
    assert notify_env.delete(f"/notifications/{first}", headers=h).status_code == 200
    assert len(notify_env.get("/notifications", params={"camera_id": cam}, headers=h).json()) == 4
    for bad in ("../etc/passwd", "/etc/passwd", "a/../../b", "a\\b"):
        r = notify_env.post(
            "/notifications",
            json={"account_uuid": me["uuid"], "camera_id": cam, "message": "x", "image_path": bad},
            headers=h,
        )
        assert r.status_code == 422, bad
    eve = make_user(notify_env, "eve")
    eve_uuid = notify_env.get("/me", headers=eve).json()["uuid"]
    assert notify_env.get("/notifications", headers=eve).json() == []
    assert notify_env.get(f"/notifications/{first + 1}", headers=eve).status_code == 404
    r = notify_env.post(
        "/notifications", json={"account_uuid": me["uuid"], "camera_id": cam, "message": "x"}, headers=eve
    )
    assert r.status_code == 403
    r = notify_env.post(
        "/notifications", json={"account_uuid": eve_uuid, "camera_id": cam, "message": "x"}, headers=eve
    )
    assert r.status_code == 404  # camera not visible to eve
