"""LINE targets, e-mail recipients and webhooks: validation, masking, ownership, test sends to real peers."""

from __future__ import annotations

import email
import logging

import pytest

from videohar.notify.channels import verify_signature


def test_line_target_crud_masks_the_token(notify_env, camera, known, caplog):
    caplog.set_level(logging.DEBUG)
    client, (h, _) = notify_env, camera()
    body = {"channel_access_token": known.line_token, "to": known.line_user, "name": "me"}
    r = client.post("/line_tokens", json=body, headers=h)
    assert r.status_code == 201, r.text
    line = r.json()
    assert line["to"] == known.line_user and line["channel_access_token"] == "••••" + known.line_token[-4:]
    listed = client.get("/line_tokens", headers=h)
    assert [t["id"] for t in listed.json()] == [line["id"]]
    r = client.patch(f"/line_tokens/{line['id']}", json={"enabled": False, "name": "off"}, headers=h)
    assert r.status_code == 200 and r.json()["enabled"] is False and r.json()["name"] == "off"
    shown = client.get(f"/line_tokens/{line['id']}", headers=h).text
    for text in (r.text, listed.text, shown, caplog.text):
        assert known.line_token not in text
    assert client.delete(f"/line_tokens/{line['id']}", headers=h).status_code == 200
    assert client.get(f"/line_tokens/{line['id']}", headers=h).status_code == 404


def test_seed_line_notify_body_is_a_clear_4xx(notify_env, camera):
    h, _ = camera()
    me = notify_env.get("/me", headers=h).json()
    r = notify_env.post("/line_tokens", json={"account_uuid": me["uuid"], "token": "abcdefghijklmnop"}, headers=h)
    assert r.status_code == 422
    assert "LINE Notify was shut down" in r.json()["message"] and "channel_access_token" in r.json()["message"]
    assert notify_env.get("/line_tokens", headers=h).json() == []


@pytest.mark.parametrize(
    ("path", "body", "needle"),
    [
        ("/line_tokens", {"channel_access_token": "short", "to": "U" + "0" * 32}, "channel_access_token"),
        (
            "/line_tokens",
            {"channel_access_token": "x" * 20 + "\nX-Evil: 1", "to": "U" + "0" * 32},
            "channel_access_token",
        ),
        ("/line_tokens", {"channel_access_token": "x" * 40, "to": "U123"}, "to"),
        ("/line_tokens", {"channel_access_token": "x" * 40, "to": "X" + "0" * 32}, "to"),
        ("/email_recipients", {"email": "not-an-address"}, "email"),
        ("/email_recipients", {"email": "a@b@c.com"}, "email"),
        ("/email_recipients", {"email": "x@example.com\r\nBcc: y@example.com"}, "email"),
        ("/webhooks", {"url": "ftp://example.com/hook"}, "url"),
        ("/webhooks", {"url": "javascript:alert(1)"}, "url"),
        ("/webhooks", {"url": "https://user:pw@example.com/hook"}, "url"),
        ("/webhooks", {"url": "http://example.com/hook", "secret": "short"}, "secret"),
    ],
)
def test_bad_input_is_422_and_changes_nothing(notify_env, camera, path, body, needle):
    h, _ = camera()
    r = notify_env.post(path, json=body, headers=h)
    assert r.status_code == 422, r.text
    assert needle in r.json()["message"]
    assert notify_env.get(path, headers=h).json() == []


def test_webhook_secret_shown_once_and_signs_the_test_message(notify_env, camera, webhook, caplog):
    caplog.set_level(logging.DEBUG)
    receiver, peer = webhook
    h, _ = camera()
    r = notify_env.post("/webhooks", json={"url": peer.base_url + "/hook?token=rcv-own-token"}, headers=h)
    assert r.status_code == 201, r.text
    hook = r.json()
    generated = hook["signing_secret"]
    assert generated and len(generated) > 30 and hook["secret"] == "••••" + generated[-4:]
    assert "rcv-own-token" not in hook["url"]
    receiver.secret = generated
    r = notify_env.post(f"/webhooks/{hook['id']}/test", headers=h)
    assert r.status_code == 200 and r.json()["ok"] is True, r.text
    [request] = peer.requests
    assert verify_signature(
        generated, request.headers["x-videohar-timestamp"], request.body, request.headers["x-videohar-signature"]
    )
    assert request.json()["event"]["title"] == "Test notification from VideoHAR"
    again = notify_env.get(f"/webhooks/{hook['id']}", headers=h)
    assert generated not in again.text and generated not in notify_env.get("/webhooks", headers=h).text
    assert generated not in caplog.text and "rcv-own-token" not in caplog.text
    delivery = notify_env.get(f"/deliveries/{r.json()['delivery_id']}", headers=h).json()
    assert delivery["status"] == "sent" and delivery["is_test"] is True


def test_email_test_goes_through_starttls_and_auth(notify_env, camera, smtp_peer, known, caplog):
    caplog.set_level(logging.DEBUG)
    h, _ = camera()
    r = notify_env.post("/email_recipients", json={"email": "Ops@Example.com"}, headers=h)
    assert r.status_code == 201, r.text
    r = notify_env.post(f"/email_recipients/{r.json()['id']}/test", headers=h)
    assert r.json()["ok"] is True, r.text
    [mail] = smtp_peer.received
    assert mail.tls and mail.authenticated_as == smtp_peer.logins[0] and mail.rcpt_tos == ["Ops@example.com"]
    parsed = email.message_from_bytes(mail.content)
    assert "Test notification" in parsed["Subject"]
    assert known.smtp_password not in caplog.text


def test_line_test_reports_the_peer_answer(notify_env, camera, line_api, known):
    stand_in, _ = line_api
    h, _ = camera()
    good = notify_env.post(
        "/line_tokens", json={"channel_access_token": known.line_token, "to": known.line_user}, headers=h
    ).json()
    r = notify_env.post(f"/line_tokens/{good['id']}/test", headers=h)
    assert r.json()["ok"] is True, r.text
    assert stand_in.delivered[0]["to"] == known.line_user
    wrong = notify_env.post(
        "/line_tokens", json={"channel_access_token": "W" * 60, "to": known.line_user}, headers=h
    ).json()
    r = notify_env.post(f"/line_tokens/{wrong['id']}/test", headers=h)
    assert r.status_code == 200 and r.json()["ok"] is False and r.json()["status_code"] == 401
    assert "Authentication failed" in r.json()["error"] and "W" * 60 not in r.text


def test_other_users_targets_are_invisible(notify_env, camera, make_user, known):
    h, _ = camera("alice")
    mallory = make_user(notify_env, "mallory")
    made = {
        "/line_tokens": notify_env.post(
            "/line_tokens", json={"channel_access_token": known.line_token, "to": known.line_user}, headers=h
        ).json(),
        "/email_recipients": notify_env.post("/email_recipients", json={"email": "a@example.com"}, headers=h).json(),
        "/webhooks": notify_env.post("/webhooks", json={"url": "http://127.0.0.1:9/h"}, headers=h).json(),
    }
    alice_uuid = notify_env.get("/me", headers=h).json()["uuid"]
    for path, row in made.items():
        assert notify_env.get(path, headers=mallory).json() == []
        for method, suffix in (("get", ""), ("patch", ""), ("delete", ""), ("post", "/test")):
            kwargs = {"json": {"name": "x"}} if method == "patch" else {}
            r = notify_env.request(method.upper(), f"{path}/{row['id']}{suffix}", headers=mallory, **kwargs)
            assert r.status_code == 404, (path, method, r.text)
        r = notify_env.post(path, json={"account_uuid": alice_uuid, "email": "m@example.com"}, headers=mallory)
        assert r.status_code in (403, 422)
    admin = make_user(notify_env, "root", "admin")
    assert len(notify_env.get("/webhooks", params={"account_uuid": alice_uuid}, headers=admin).json()) == 1
