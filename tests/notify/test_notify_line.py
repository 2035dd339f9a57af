"""LINE push channel against a local HTTP stand-in that checks requests as LINE documents them.

The stand-in enforces: path ``/v2/bot/message/push``; ``Authorization: Bearer <token>``;
``Content-Type: application/json``; ``X-Line-Retry-Key`` a hex UUID; body ``{"to", "messages"}``
with 1-5 message objects (text 1-5000 chars; image with https URLs of at most 2000 chars).
An accepted retry key answers 409 with ``x-line-accepted-request-id``, as LINE does.
"""

from __future__ import annotations

import json
import logging
import re
import uuid

import pytest

from videohar.notify.channels import (
    InvalidChannelConfig,
    InvalidTarget,
    LineChannel,
    PermanentFailure,
    TemporaryFailure,
    create_channel,
)

TOKEN = "LINE-channel-access-token/" + "Zx9" * 50 + "="
USER = "U" + "4af4980629" * 3 + "ab"
GROUP = "C" + "0123456789abcdef" * 2
ROOM = "R" + "f" * 32
UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
TARGET_RE = re.compile(r"[UCR][0-9a-f]{32}")


def _error(status: int, message: str, **headers: str):
    return status, {"Content-Type": "application/json", **headers}, json.dumps({"message": message}).encode()


def _schema_problem(body: object) -> str | None:
    if not isinstance(body, dict) or set(body) - {"to", "messages", "notificationDisabled"}:
        return "The request body has unknown or missing properties"
    if not isinstance(body.get("to"), str) or not TARGET_RE.fullmatch(body["to"]):
        return "The property, 'to', in the request body is invalid"
    messages = body.get("messages")
    if not isinstance(messages, list) or not 1 <= len(messages) <= 5:
        return "Size must be between 1 and 5"
    for message in messages:
        kind = message.get("type")
        if kind == "text":
            if set(message) != {"type", "text"} or not 1 <= len(message["text"]) <= 5000:
                return "text must be 1-5000 characters"
        elif kind == "image":
            if set(message) != {"type", "originalContentUrl", "previewImageUrl"}:
                return "image needs originalContentUrl and previewImageUrl"
            for key in ("originalContentUrl", "previewImageUrl"):
                url = message[key]
                if not url.startswith("https://") or len(url) > 2000:
                    return f"{key} must be an https URL of at most 2000 characters"
        else:
            return "unknown message type"
    return None


class LineStandIn:
    """What LINE's push endpoint checks and answers; `script` forces the next status codes."""

    def __init__(self) -> None:
        self.script: list[tuple[int, dict[str, str]]] = []
        self.accepted: dict[str, str] = {}  # retry key -> request id
        self.delivered: list[dict] = []

    def __call__(self, request):
        if request.path != "/v2/bot/message/push":
            return _error(404, "Not found")
        if request.headers.get("authorization") != f"Bearer {TOKEN}":
            return _error(
                401,
                "Authentication failed. Confirm that the access token in the authorization header is valid.",
            )
        if request.headers.get("content-type") != "application/json":
            return _error(415, "Unsupported Media Type")
        key = request.headers.get("x-line-retry-key", "")
        if not UUID_RE.fullmatch(key):
            return _error(400, "The value for the 'X-Line-Retry-Key' header is invalid")
        if key in self.accepted:
            return _error(
                409, "The retry key is already accepted", **{"x-line-accepted-request-id": self.accepted[key]}
            )
        if self.script:
            status, headers = self.script.pop(0)
            return _error(status, f"scripted {status}", **headers)
        try:
            body = json.loads(request.body)
        except ValueError:
            return _error(400, "The request body has 1 error(s)")
        problem = _schema_problem(body)
        if problem:
            return _error(400, problem)
        request_id = str(uuid.uuid4())
        self.accepted[key] = request_id
        self.delivered.append(body)
        return (
            200,
            {"Content-Type": "application/json", "x-line-request-id": request_id},
            b'{"sentMessages":[]}',
        )


@pytest.fixture
def line(http_peer):
    stand_in = LineStandIn()
    peer = http_peer(stand_in)
    channel = create_channel("line", access_token=TOKEN, base_url=peer.base_url, timeout=2.0)
    yield stand_in, peer, channel
    channel.close()


def test_push_matches_the_documented_request(line, make_alert, caplog):
    caplog.set_level(logging.DEBUG)
    stand_in, peer, channel = line
    result = channel.send(make_alert(), USER, idempotency_key="delivery-1")
    assert result.status_code == 200 and not result.duplicate and result.target == USER
    assert result.provider_id == stand_in.accepted[peer.requests[0].headers["x-line-retry-key"]]
    [request] = peer.requests
    assert request.method == "POST" and request.path == "/v2/bot/message/push"
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    assert request.headers["content-type"] == "application/json"
    assert UUID_RE.fullmatch(request.headers["x-line-retry-key"])
    [body] = stand_in.delivered
    assert body["to"] == USER
    # No public https snapshot URL: a text message only.
    [text] = body["messages"]
    assert text["type"] == "text"
    assert "Fall detected" in text["text"] and "https://har.example.com/events/42" in text["text"]
    assert TOKEN not in caplog.text and TOKEN not in repr(channel) and TOKEN not in repr(result)


def test_image_only_with_public_https_url(line, make_alert):
    stand_in, _, channel = line
    url = "https://har.example.com/media/snap/42.jpg?sig=abc"
    channel.send(make_alert(snapshot_url=url), GROUP, idempotency_key="d-https")
    channel.send(make_alert(snapshot_url="http://har.example.com/42.jpg"), ROOM, idempotency_key="d-http")
    with_image, without_image = stand_in.delivered
    assert with_image["messages"][1] == {"type": "image", "originalContentUrl": url, "previewImageUrl": url}
    assert [m["type"] for m in without_image["messages"]] == ["text"]


def test_long_text_is_cut_to_line_limit(line, make_alert):
    stand_in, _, channel = line
    channel.send(make_alert(camera_name="Cam " * 3000), USER, idempotency_key="long")
    text = stand_in.delivered[0]["messages"][0]["text"]
    assert len(text) == 5000 and text.endswith("…")


def test_retry_after_5xx_reuses_the_key_and_409_counts_as_delivered(line, make_alert):
    stand_in, peer, channel = line
    stand_in.script = [(500, {})]
    with pytest.raises(TemporaryFailure) as failure:
        channel.send(make_alert(), USER, idempotency_key="delivery-9")
    assert failure.value.status_code == 500
    first = channel.send(make_alert(), USER, idempotency_key="delivery-9")
    again = channel.send(make_alert(), USER, idempotency_key="delivery-9")
    keys = {r.headers["x-line-retry-key"] for r in peer.requests}
    assert len(peer.requests) == 3 and len(keys) == 1
    assert not first.duplicate and again.duplicate and again.status_code == 409
    assert again.provider_id == first.provider_id
    assert len(stand_in.delivered) == 1  # sent once


def test_uuid_idempotency_key_is_used_verbatim(line, make_alert):
    _, peer, channel = line
    key = str(uuid.uuid4())
    channel.send(make_alert(), USER, idempotency_key=key)
    assert peer.requests[0].headers["x-line-retry-key"] == key


@pytest.mark.parametrize(
    ("status", "headers", "kind", "retry_after"),
    [
        (429, {"Retry-After": "7"}, TemporaryFailure, 7.0),
        (503, {}, TemporaryFailure, None),
        (400, {}, PermanentFailure, None),
        (403, {}, PermanentFailure, None),
    ],
)
def test_status_classification(line, make_alert, status, headers, kind, retry_after):
    stand_in, _, channel = line
    stand_in.script = [(status, headers)]
    with pytest.raises(kind) as failure:
        channel.send(make_alert(), USER, idempotency_key=f"k-{status}")
    assert failure.value.status_code == status and failure.value.retry_after == retry_after
    assert f"scripted {status}" in failure.value.reason  # LINE's own message is kept for the user


def test_wrong_token_is_permanent_and_token_never_leaks(http_peer, make_alert, caplog):
    caplog.set_level(logging.DEBUG)
    stand_in = LineStandIn()
    peer = http_peer(stand_in)
    wrong = "wrong-token-" + "q" * 40
    with LineChannel(wrong, base_url=peer.base_url, timeout=2.0) as channel:
        with pytest.raises(PermanentFailure) as failure:
            channel.send(make_alert(), USER, idempotency_key="k")
        assert failure.value.status_code == 401
        assert wrong not in str(failure.value) and wrong not in caplog.text and wrong not in repr(channel)
        assert repr(channel).endswith("'••••qqqq'>")


def test_timeout_is_temporary(http_peer, make_alert):
    holder: dict = {}

    def hang(request):
        holder["peer"].release.wait(10)
        return 200, {}, b"{}"

    peer = holder["peer"] = http_peer(hang)
    with LineChannel(TOKEN, base_url=peer.base_url, timeout=0.3) as channel:  # noqa: SIM117
        with pytest.raises(TemporaryFailure, match="timed out"):
            channel.send(make_alert(), USER, idempotency_key="k")


def test_connection_refused_is_temporary(make_alert, closed_port):
    with LineChannel(TOKEN, base_url=f"http://127.0.0.1:{closed_port}", timeout=2.0) as channel:  # noqa: SIM117
        with pytest.raises(TemporaryFailure, match="network error"):
            channel.send(make_alert(), USER, idempotency_key="k")


@pytest.mark.parametrize(
    "target", ["", "U123", "u" + "a" * 32, "U" + "A" * 32, "X" + "a" * 32, USER + "0", USER[:-1] + " ", None]
)
def test_invalid_targets_are_refused_before_sending(line, make_alert, target):
    _, peer, channel = line
    with pytest.raises(InvalidTarget):
        channel.send(make_alert(), target, idempotency_key="k")
    assert peer.requests == []


def test_valid_target_kinds():
    assert [LineChannel.normalize_target(t) for t in (USER, GROUP, ROOM)] == [USER, GROUP, ROOM]


@pytest.mark.parametrize(
    "base_url", ["http://api.line.me", "ftp://api.line.me", "https://user:pw@api.line.me", "api.line.me"]
)
def test_base_url_must_protect_the_token(base_url):
    with pytest.raises(InvalidChannelConfig):
        LineChannel(TOKEN, base_url=base_url)


def test_default_base_url_is_lines():
    with LineChannel(TOKEN) as channel:
        assert channel._url == "https://api.line.me/v2/bot/message/push"


@pytest.mark.parametrize("token", ["", "   ", "abc\r\nX-Evil: 1"])
def test_bad_tokens_are_config_errors(token):
    with pytest.raises(InvalidChannelConfig):
        LineChannel(token)
