"""Notification channels: one module per way of reaching people, all behind `Channel`.

>>> channel = create_channel("line", access_token=token)  # doctest: +SKIP
>>> channel.send(message, "U" + "0" * 32, idempotency_key=str(delivery_uuid))  # doctest: +SKIP
"""

from videohar.notify.channels.base import (
    Channel,
    DeliveryError,
    DeliveryResult,
    InvalidChannelConfig,
    InvalidTarget,
    PermanentFailure,
    TemporaryFailure,
    channel_class,
    channel_types,
    create_channel,
    register_channel,
)
from videohar.notify.channels.email import EmailChannel
from videohar.notify.channels.line import LineChannel
from videohar.notify.channels.webhook import WebhookChannel, verify_signature

__all__ = [
    "Channel",
    "DeliveryError",
    "DeliveryResult",
    "EmailChannel",
    "InvalidChannelConfig",
    "InvalidTarget",
    "LineChannel",
    "PermanentFailure",
    "TemporaryFailure",
    "WebhookChannel",
    "channel_class",
    "channel_types",
    "create_channel",
    "register_channel",
    "verify_signature",
]
