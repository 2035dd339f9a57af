"""Webhook channel against a local receiver that verifies signatures the way a user's service would."""

from __future__ import annotations

import json
import logging
import time

import pytest

from videohar.notify.channels import (
    InvalidChannelConfig,
    InvalidTarget,
    PermanentFailure,
    TemporaryFailure,
    WebhookChannel,
    create_channel,
    verify_signature,
)
from videohar.notify.channels.webhook import sign

SECRET = "whsec-" + "k2" * 20


class Receiver:
    """Accepts only correctly signed, fresh requests; remembers idempotency keys; scriptable status."""

    def __init__(self, secret: str = SECRET) -> None:
        self.secret = secret
        self.script: list[int] = []
        self.seen_keys: set[str] = set()
        self.events: list[dict] = []

    def __call__(self, request):
        headers = request.headers
        if not verify_signature(
            self.secret,
            headers.get("x-videohar-timestamp"),
            request.body,
            headers.get("x-videohar-signature"),
        ):
            return 401, {}, b"bad signature"
        if self.script:
            status = self.script.pop(0)
            return status, {"Retry-After": "3"} if status == 429 else {}, b""
        key = headers["idempotency-key"]
        if key not in self.seen_keys:
            self.seen_keys.add(key)
            self.events.append(json.loads(request.body))
        return 202, {"X-Request-Id": "rcv-1"}, b""


@pytest.fixture
def hook(http_peer):
    receiver = Receiver()
    peer = http_peer(receiver)
    channel = create_channel("webhook", secret=SECRET, timeout=2.0)
    yield receiver, peer, channel
    channel.close()


def test_signed_delivery_is_verified_by_the_receiver(hook, make_alert, caplog):
    caplog.set_level(logging.DEBUG)
    receiver, peer, channel = hook
    url = f"{peer.base_url}/hooks/har?token=receiver-own-token"
    result = channel.send(make_alert(), url, idempotency_key="delivery-5")
    assert result.status_code == 202 and result.provider_id == "rcv-1"
    assert "receiver-own-token" not in result.target and "receiver-own-token" not in caplog.text
    [request] = peer.requests
    assert request.path == "/hooks/har?token=receiver-own-token"
    assert request.headers["content-type"] == "application/json"
    assert request.headers["idempotency-key"] == "delivery-5"
    timestamp = int(request.headers["x-videohar-timestamp"])
    assert abs(time.time() - timestamp) < 60
    assert request.headers["x-videohar-signature"] == sign(SECRET, timestamp, request.body)
    [event] = receiver.events
    assert event["type"] == "event.alert" and event["event"]["id"] == 42
    assert event["event"]["url"] == "https://har.example.com/events/42"
    assert SECRET not in caplog.text and SECRET not in repr(channel)


def test_retries_carry_the_same_idempotency_key(hook, make_alert):
    receiver, peer, channel = hook
    receiver.script = [503]
    with pytest.raises(TemporaryFailure):
        channel.send(make_alert(), peer.base_url, idempotency_key="delivery-6")
    channel.send(make_alert(), peer.base_url, idempotency_key="delivery-6")
    channel.send(make_alert(), peer.base_url, idempotency_key="delivery-6")
    assert {r.headers["idempotency-key"] for r in peer.requests} == {"delivery-6"}
    assert len(receiver.events) == 1


def test_wrong_secret_is_rejected_by_the_receiver(http_peer, make_alert):
    peer = http_peer(Receiver())
    with WebhookChannel("another-secret-of-enough-length", timeout=2.0) as channel:  # noqa: SIM117
        with pytest.raises(PermanentFailure) as failure:
            channel.send(make_alert(), peer.base_url, idempotency_key="k")
    assert failure.value.status_code == 401


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (429, TemporaryFailure),
        (500, TemporaryFailure),
        (502, TemporaryFailure),
        (408, TemporaryFailure),
        (409, TemporaryFailure),
        (400, PermanentFailure),
        (404, PermanentFailure),
        (410, PermanentFailure),
        (301, PermanentFailure),
    ],
)
def test_status_classification(hook, make_alert, status, kind):
    receiver, peer, channel = hook
    receiver.script = [status]
    with pytest.raises(kind) as failure:
        channel.send(make_alert(), peer.base_url, idempotency_key="k")
    assert failure.value.status_code == status
    assert failure.value.retry_after == (3.0 if status == 429 else None)


def test_connection_refused_is_temporary(make_alert, closed_port):
    with WebhookChannel(SECRET, timeout=2.0) as channel:  # noqa: SIM117
        with pytest.raises(TemporaryFailure):
            channel.send(make_alert(), f"http://127.0.0.1:{closed_port}/x", idempotency_key="k")


def test_verify_signature_rejects_stale_future_and_tampered():
    body = b'{"event":1}'
    now = 1_800_000_000
    good = sign(SECRET, now, body)
    assert verify_signature(SECRET, str(now), body, good, now=now + 299)
    assert not verify_signature(SECRET, str(now), body, good, now=now + 301)  # replayed later
    assert not verify_signature(SECRET, str(now), body, good, now=now - 301)  # from the future
    assert verify_signature(SECRET, now, body, good, now=now + 10, tolerance_s=30)
    assert not verify_signature(SECRET, now, body, good, now=now + 31, tolerance_s=30)
    assert not verify_signature(SECRET, str(now), body + b" ", good, now=now)
    assert not verify_signature(SECRET, str(now + 1), body, good, now=now)  # timestamp swapped
    assert not verify_signature("other-secret", str(now), body, good, now=now)
    assert not verify_signature(SECRET, str(now), body, good.replace("sha256=", "sha1="), now=now)
    assert not verify_signature(SECRET, None, body, good, now=now)
    assert not verify_signature(SECRET, "yesterday", body, good, now=now)
    assert not verify_signature(SECRET, str(now), body, None, now=now)


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com/hook",
        "javascript:alert(1)",
        "file:///etc/passwd",
        "https://",
        "https://user:pw@example.com/hook",
        "https://example.com/hook#frag",
        "https://exa mple.com/",
        "https://example.com:99999/",
        "",
        None,
    ],
)
def test_url_validation(url):
    with pytest.raises(InvalidTarget):
        WebhookChannel.normalize_target(url)


def test_valid_urls_pass():
    assert WebhookChannel.normalize_target(" https://hooks.example.com/a?b=c ") == "https://hooks.example.com/a?b=c"
    assert WebhookChannel.normalize_target("http://10.0.0.5:8080/in") == "http://10.0.0.5:8080/in"


def test_short_secret_is_refused():
    with pytest.raises(InvalidChannelConfig):
        WebhookChannel("short")
