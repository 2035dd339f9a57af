"""Notification channels (targets), rules, cooldowns and the delivery outbox."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from videohar.db.base import Base, UTCDateTime, utcnow


class TargetKind(enum.StrEnum):
    line = "line"
    email = "email"
    webhook = "webhook"


class NotifyTarget(Base):
    """One place a user is reached: a LINE user/group, an e-mail address or a webhook URL.

    `secret_enc` (LINE channel access token, webhook signing secret) is SecretBox ciphertext
    bound to this row's `uuid`; `secret_hint` is its masked form for display.
    """

    __tablename__ = "notify_targets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=lambda: str(uuid.uuid4()))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16), index=True)
    name: Mapped[str] = mapped_column(String(100), default="")
    address: Mapped[str] = mapped_column(Text)
    """LINE to-id, e-mail address or webhook URL."""
    secret_enc: Mapped[str | None] = mapped_column(Text, nullable=True)
    secret_hint: Mapped[str] = mapped_column(String(16), default="")
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    @property
    def secret_aad(self) -> str:
        return f"notify_target:{self.uuid}:secret"


class NotifyRule(Base):
    """Which events notify a user through which targets; empty lists mean "any"."""

    __tablename__ = "notification_rules"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100), default="")
    camera_id: Mapped[int | None] = mapped_column(ForeignKey("cameras.id", ondelete="CASCADE"), nullable=True)
    """None = every camera the user owns."""
    area_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id", ondelete="CASCADE"), nullable=True)
    labels: Mapped[list[str]] = mapped_column(JSON, default=list)
    """Empty = the camera's alert-level actions."""
    min_score: Mapped[float] = mapped_column(Float, default=0.0)
    target_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    """Empty = all of the user's enabled targets."""
    cooldown_s: Mapped[int] = mapped_column(Integer, default=60)
    quiet_hours: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    timezone: Mapped[str] = mapped_column(String(64), default="")
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class NotifyCooldown(Base):
    """Last alert per (rule, camera, label): claimed in the event's own transaction, so it is atomic."""

    __tablename__ = "notify_cooldowns"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    last_sent_at: Mapped[datetime] = mapped_column(UTCDateTime)


class DeliveryStatus(enum.StrEnum):
    pending = "pending"
    sending = "sending"
    sent = "sent"
    failed = "failed"
    """The peer refused for good (bad address, bad token): not retried."""
    dead = "dead"
    """Temporary failures until the attempts ran out."""


class NotifyDelivery(Base):
    """One message to one target: the outbox row the notifier claims, sends and records."""

    __tablename__ = "notify_deliveries"
    __table_args__ = (Index("ix_notify_deliveries_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    target_id: Mapped[int] = mapped_column(ForeignKey("notify_targets.id", ondelete="CASCADE"), index=True)
    event_id: Mapped[int | None] = mapped_column(
        ForeignKey("events.id", ondelete="SET NULL"), nullable=True, index=True
    )
    rule_id: Mapped[int | None] = mapped_column(ForeignKey("notification_rules.id", ondelete="SET NULL"), nullable=True)
    kind: Mapped[str] = mapped_column(String(16))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    """The message's values at enqueue time (`AlertMessage.build` arguments, JSON-safe)."""
    is_test: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16), default=DeliveryStatus.pending.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    last_status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True, default=lambda: str(uuid.uuid4()))
    claimed_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
