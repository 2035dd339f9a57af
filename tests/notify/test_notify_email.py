"""E-mail channel against a real SMTP server (aiosmtpd) on loopback with STARTTLS / TLS and AUTH."""

from __future__ import annotations

import logging
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest

from videohar.notify.channels import (
    EmailChannel,
    InvalidChannelConfig,
    InvalidTarget,
    PermanentFailure,
    TemporaryFailure,
    create_channel,
)

KEY = "delivery-7f3c"
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")


@pytest.fixture
def channel_for(tls_files, smtp_login):
    """Build an EmailChannel for a peer; keyword arguments override the defaults."""
    user, password = smtp_login

    def build(peer, **overrides) -> EmailChannel:
        config = {
            "host": "localhost",
            "port": peer.port,
            "sender": f"VideoHAR Alerts <{user}>",
            "username": user,
            "password": password,
            "ca_file": str(tls_files.cert),
            "timeout": 5.0,
        }
        config.update(overrides)
        return create_channel("email", config)

    return build


def _parse(raw: bytes) -> EmailMessage:
    return message_from_bytes(raw, policy=policy.default)  # type: ignore[return-value]


def test_starttls_auth_delivers_text_html_and_jpeg(
    smtp_peer, channel_for, make_alert, snapshot_jpeg, smtp_login, caplog
):
    caplog.set_level(logging.DEBUG)
    channel = channel_for(smtp_peer)
    alert = make_alert(camera_name="Gate <script>alert(1)</script>")
    result = channel.send(alert, " Ops@Example.com ", idempotency_key=KEY)

    assert result.channel == "email" and result.target == "Ops@example.com" and not result.duplicate
    assert smtp_peer.logins == ["alerts@example.com"]
    [mail] = smtp_peer.received
    assert mail.tls and mail.authenticated_as == "alerts@example.com"
    assert mail.mail_from == "alerts@example.com" and mail.rcpt_tos == ["Ops@example.com"]

    msg = _parse(mail.content)
    assert msg["To"] == "Ops@example.com"
    assert msg["From"] == "VideoHAR Alerts <alerts@example.com>"
    assert msg["Subject"] == alert.subject()
    assert msg["Message-ID"] == result.provider_id and msg["Message-ID"].endswith("@example.com>")
    assert msg["Auto-Submitted"] == "auto-generated" and msg["X-VideoHAR-Event-Id"] == "42"
    assert msg["Date"]
    assert msg.get_content_type() == "multipart/mixed"

    text = msg.get_body(preferencelist=("plain",)).get_content()
    html = msg.get_body(preferencelist=("html",)).get_content()
    assert "https://har.example.com/events/42" in text and "2026-03-14 23:30:05 JST" in text
    assert "&lt;script&gt;" in html and "<script>" not in html
    [attachment] = list(msg.iter_attachments())
    assert attachment.get_content_type() == "image/jpeg"
    assert attachment.get_filename() == "event-42-snapshot.jpg"
    assert attachment.get_content() == snapshot_jpeg

    password = smtp_login[1]
    assert password not in caplog.text and password not in repr(channel) and password not in repr(result)


def test_message_id_is_stable_across_retries(smtp_peer, channel_for, make_alert):
    channel = channel_for(smtp_peer)
    first = channel.send(make_alert(), "ops@example.com", idempotency_key=KEY)
    second = channel.send(make_alert(), "ops@example.com", idempotency_key=KEY)
    other = channel.send(make_alert(), "ops@example.com", idempotency_key="another-delivery")
    assert first.provider_id == second.provider_id != other.provider_id
    assert len(smtp_peer.received) == 3


def test_no_snapshot_means_no_attachment(smtp_peer, channel_for, make_alert):
    channel_for(smtp_peer).send(make_alert(snapshot_jpeg=None), "ops@example.com", idempotency_key=KEY)
    msg = _parse(smtp_peer.received[-1].content)
    assert list(msg.iter_attachments()) == []
    assert msg.get_content_type() == "multipart/alternative"


def test_snapshot_read_from_path(smtp_peer, channel_for, make_alert, snapshot_jpeg, tmp_path):
    path = tmp_path / "snap.jpg"
    path.write_bytes(snapshot_jpeg)
    channel_for(smtp_peer).send(
        make_alert(snapshot_jpeg=None, snapshot_path=path), "ops@example.com", idempotency_key=KEY
    )
    [attachment] = list(_parse(smtp_peer.received[-1].content).iter_attachments())
    assert attachment.get_content() == snapshot_jpeg


def test_implicit_tls(smtp_implicit_tls, channel_for, make_alert):
    channel = channel_for(smtp_implicit_tls, security="tls")
    channel.send(make_alert(), "ops@example.com", idempotency_key=KEY)
    [mail] = smtp_implicit_tls.received[-1:]
    assert mail.tls and mail.authenticated_as == "alerts@example.com"


def test_wrong_password_is_permanent_and_not_echoed(smtp_peer, channel_for, make_alert, caplog):
    caplog.set_level(logging.DEBUG)
    wrong = "definitely-wrong-password-123"
    with pytest.raises(PermanentFailure) as info:
        channel_for(smtp_peer, password=wrong).send(make_alert(), "ops@example.com", idempotency_key=KEY)
    assert info.value.status_code == 535
    assert wrong not in str(info.value) and wrong not in caplog.text
    assert smtp_peer.received == []


def test_untrusted_certificate_is_refused(smtp_peer, channel_for, make_alert):
    # Default trust store: the self-signed test certificate must not be accepted silently.
    with pytest.raises(PermanentFailure, match="certificate"):
        channel_for(smtp_peer, ca_file=None).send(make_alert(), "ops@example.com", idempotency_key=KEY)
    assert smtp_peer.logins == []


def test_recipient_codes_decide_retry(smtp_peer, channel_for, make_alert):
    channel = channel_for(smtp_peer)
    with pytest.raises(TemporaryFailure) as temporary:
        channel.send(make_alert(), "full@example.com", idempotency_key=KEY)
    assert temporary.value.status_code == 452
    with pytest.raises(PermanentFailure) as permanent:
        channel.send(make_alert(), "nobody@example.com", idempotency_key=KEY)
    assert permanent.value.status_code == 550 and "No such user" in permanent.value.reason
    assert smtp_peer.received == []


def test_connection_refused_is_temporary(channel_for, make_alert, closed_port):
    class Closed:
        port = closed_port

    with pytest.raises(TemporaryFailure):
        channel_for(Closed).send(make_alert(), "ops@example.com", idempotency_key=KEY)


@pytest.mark.parametrize(
    "address", ["", "not-an-address", "a@b", "ops@example.com\r\nBcc: evil@example.com", "x@localhost"]
)
def test_invalid_recipient_never_connects(address, channel_for, make_alert, closed_port):
    class Closed:
        port = closed_port

    with pytest.raises(InvalidTarget):
        channel_for(Closed).send(make_alert(), address, idempotency_key=KEY)
    with pytest.raises(ValueError):
        EmailChannel.normalize_target(address)


@pytest.mark.parametrize(
    "overrides",
    [
        {"security": "ssl3"},
        {"security": "none"},  # login without TLS
        {"password": None},
        {"sender": "Alerts <alerts@example.com>\r\nBcc: x@example.com"},
        {"sender": "not an address"},
        {"host": ""},
        {"ca_file": "/nonexistent/ca.pem"},
    ],
)
def test_bad_configuration_is_rejected(overrides, channel_for, smtp_peer):
    with pytest.raises(InvalidChannelConfig):
        channel_for(smtp_peer, **overrides)


def test_unknown_config_key_is_a_config_error(smtp_peer, channel_for):
    with pytest.raises(InvalidChannelConfig):
        channel_for(smtp_peer, colour="blue")
