"""The channel contract the outbox relies on, and the registry of channel types.

A channel is built once from its configuration (credentials decrypted by the caller)
and `send`s one `AlertMessage` to one target. It either returns a `DeliveryResult` or
raises one of two errors, and that choice is the whole retry policy:

- `TemporaryFailure`: worth retrying later with backoff (network errors, timeouts, 429,
  5xx); `retry_after` carries the peer's hint in seconds when it gave one.
- `PermanentFailure`: retrying cannot help (bad credentials, rejected address, 4xx);
  the outbox dead-letters the delivery. `InvalidTarget` is one of these and also a
  `ValueError`, so the API can call `normalize_target` to answer 422 up front.

`idempotency_key` must be stable per delivery (the same on every retry) so peers that
honour it (LINE's retry key, webhook receivers) never act twice.
"""

from __future__ import annotations

import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, ClassVar, TypeVar

from videohar.notify.message import AlertMessage

__all__ = [
    "Channel",
    "DeliveryError",
    "DeliveryResult",
    "InvalidChannelConfig",
    "InvalidTarget",
    "PermanentFailure",
    "TemporaryFailure",
    "channel_class",
    "channel_types",
    "create_channel",
    "idempotency_uuid",
    "parse_retry_after",
    "register_channel",
]

_IDEMPOTENCY_NAMESPACE = uuid.UUID("5d0b8f9e-3c1a-4f57-9a43-0c7a2b6e9f10")


@dataclass(frozen=True, slots=True)
class DeliveryResult:
    """What a successful send reports back; nothing secret, safe to store and log."""

    channel: str
    target: str
    status_code: int | None = None
    provider_id: str | None = None
    duplicate: bool = False
    """True when the peer said this idempotency key was already accepted (nothing sent twice)."""


class DeliveryError(Exception):
    """Base of both failure kinds; `reason` is short, human-readable and free of secrets."""

    def __init__(self, reason: str, *, status_code: int | None = None, retry_after: float | None = None):
        super().__init__(reason)
        self.reason = reason
        self.status_code = status_code
        self.retry_after = retry_after


class TemporaryFailure(DeliveryError):
    """Retry later with backoff (respect `retry_after` when set)."""


class PermanentFailure(DeliveryError):
    """Do not retry: dead-letter the delivery and show `reason` to the user."""


class InvalidTarget(PermanentFailure, ValueError):
    """The target (address, LINE id, URL) can never be delivered to."""


class InvalidChannelConfig(ValueError):
    """The channel's configuration is unusable (bad URL, missing credentials)."""


class Channel(ABC):
    """One configured way of delivering alerts; subclasses set `type_name` and register."""

    type_name: ClassVar[str]

    @classmethod
    @abstractmethod
    def normalize_target(cls, target: str) -> str:
        """Canonical form of `target`; raises `InvalidTarget` when it cannot be delivered to."""

    @abstractmethod
    def send(self, message: AlertMessage, target: str, *, idempotency_key: str) -> DeliveryResult:
        """Deliver once; raise `TemporaryFailure` or `PermanentFailure` instead of returning on failure."""

    def close(self) -> None:  # noqa: B027 - optional hook, most channels hold nothing
        """Release pooled connections."""

    def __enter__(self) -> Channel:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


_REGISTRY: dict[str, type[Channel]] = {}
C = TypeVar("C", bound=type[Channel])


def register_channel(cls: C) -> C:
    """Class decorator: make a channel type creatable by its `type_name`."""
    name = cls.type_name
    if name in _REGISTRY and _REGISTRY[name] is not cls:
        raise ValueError(f"channel type {name!r} registered twice")
    _REGISTRY[name] = cls
    return cls


def channel_types() -> list[str]:
    _load_builtin()
    return sorted(_REGISTRY)


def channel_class(type_name: str) -> type[Channel]:
    _load_builtin()
    try:
        return _REGISTRY[type_name]
    except KeyError:
        raise InvalidChannelConfig(f"unknown channel type {type_name!r}") from None


def create_channel(type_name: str, config: Mapping[str, Any] | None = None, **kwargs: Any) -> Channel:
    """A channel of the registered type, configured from `config` and keyword arguments."""
    cls: Callable[..., Channel] = channel_class(type_name)
    try:
        return cls(**{**(config or {}), **kwargs})
    except TypeError as exc:
        raise InvalidChannelConfig(f"bad {type_name} configuration: {exc}") from None


def _load_builtin() -> None:
    # Importing registers them; done lazily so base.py has no import cycle with the plugins.
    from videohar.notify.channels import email, line, webhook  # noqa: F401


def idempotency_uuid(key: str) -> str:
    """`key` itself when it is a UUID, else a UUID derived from it (stable across retries)."""
    try:
        return str(uuid.UUID(key))
    except ValueError:
        return str(uuid.uuid5(_IDEMPOTENCY_NAMESPACE, key))


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds from an HTTP ``Retry-After`` header (delta-seconds or HTTP date), capped at a day."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return min(float(value), 86400.0)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    delta = (when - (now or datetime.now(UTC))).total_seconds()
    return min(max(delta, 0.0), 86400.0)
