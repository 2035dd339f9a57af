"""Channel registry and the shared failure contract."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from videohar.notify.channels import (
    Channel,
    InvalidChannelConfig,
    InvalidTarget,
    LineChannel,
    PermanentFailure,
    channel_class,
    channel_types,
    create_channel,
    register_channel,
)
from videohar.notify.channels.base import idempotency_uuid, parse_retry_after


def test_builtin_types_are_registered():
    assert channel_types() == ["email", "line", "webhook"]
    assert channel_class("line") is LineChannel


def test_unknown_type_is_a_config_error():
    with pytest.raises(InvalidChannelConfig):
        create_channel("carrier-pigeon", {})


def test_config_mapping_and_keywords_merge():
    channel = create_channel("line", {"access_token": "t" * 30}, base_url="https://line.example.com")
    assert channel._url == "https://line.example.com/v2/bot/message/push"
    channel.close()


def test_duplicate_type_name_is_refused():
    class Fake(Channel):
        type_name = "line"

        @classmethod
        def normalize_target(cls, target):
            return target

        def send(self, message, target, *, idempotency_key):
            raise NotImplementedError

    with pytest.raises(ValueError):
        register_channel(Fake)
    assert channel_class("line") is LineChannel


def test_invalid_target_is_permanent_and_a_value_error():
    assert issubclass(InvalidTarget, PermanentFailure) and issubclass(InvalidTarget, ValueError)


def test_idempotency_uuid_is_stable():
    assert idempotency_uuid("delivery-1") == idempotency_uuid("delivery-1") != idempotency_uuid("delivery-2")
    key = "123e4567-e89b-12d3-a456-426614174000"
    assert idempotency_uuid(key) == key
    assert idempotency_uuid(key.upper()) == key


def test_parse_retry_after():
    now = datetime(2026, 1, 1, 12, tzinfo=UTC)
    assert parse_retry_after("120") == 120.0
    assert parse_retry_after("Thu, 01 Jan 2026 12:00:30 GMT", now=now) == 30.0
    assert parse_retry_after("Thu, 01 Jan 2026 11:00:00 GMT", now=now) == 0.0
    assert parse_retry_after("99999999") == 86400.0
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None
    assert parse_retry_after((now + timedelta(minutes=2)).strftime("%a, %d %b %Y %H:%M:%S GMT"), now=now) == 120
