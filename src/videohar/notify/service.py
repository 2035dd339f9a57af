"""The `videohar notifier` role: claim due deliveries, send them, record the outcome; and test sends.

`run_notifier(stop)` loops until `stop` is set: claim a batch, send it on a small thread
pool, record each result fenced by the claim token, then wait for a Redis wake-up (see
`dispatch.wake_notifiers`) or the poll interval. Any number of notifiers may run.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy.orm import Session

from videohar.db.base import utcnow
from videohar.db.notify_models import DeliveryStatus, NotifyDelivery, NotifyTarget, TargetKind
from videohar.db.session import session_factory
from videohar.notify import outbox
from videohar.notify.channels import (
    Channel,
    DeliveryError,
    DeliveryResult,
    InvalidChannelConfig,
    PermanentFailure,
    create_channel,
)
from videohar.notify.channels.http import make_client
from videohar.notify.dispatch import WAKE_KEY, message_from_payload
from videohar.notify.secrets_box import InvalidSecret, SecretBox
from videohar.notify.settings import NotifySettings, SmtpSettings, get_notify_settings, get_smtp_settings

__all__ = ["ChannelFactory", "SendOutcome", "process_due", "run_notifier", "send_test"]

log = logging.getLogger(__name__)


class ChannelFactory:
    """Builds the channel for a target: one SMTP channel, LINE/webhook channels over one HTTP pool."""

    def __init__(
        self,
        notify: NotifySettings | None = None,
        smtp: SmtpSettings | None = None,
        box: SecretBox | None = None,
        *,
        timeout: float | None = None,
    ) -> None:
        self.notify = notify or get_notify_settings()
        self.smtp = smtp or get_smtp_settings()
        self.box = box or SecretBox.from_settings()
        self.timeout = timeout or self.notify.http_timeout
        self._http: httpx.Client = make_client(self.timeout)
        self._email: Channel | None = None
        self._lock = threading.Lock()

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> ChannelFactory:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _secret(self, aad: str, secret_enc: str | None) -> str:
        if not secret_enc:
            raise PermanentFailure("the target has no stored secret")
        try:
            return self.box.decrypt(secret_enc, aad=aad)
        except InvalidSecret:
            raise PermanentFailure("the stored secret cannot be decrypted (was SECRET_KEY changed?)") from None

    def channel(self, kind: str, target_uuid: str, secret_enc: str | None) -> Channel:
        aad = f"notify_target:{target_uuid}:secret"
        try:
            if kind == TargetKind.email.value:
                with self._lock:
                    if self._email is None:
                        if not self.smtp.configured:
                            raise PermanentFailure("e-mail is not configured (set VIDEOHAR_SMTP_HOST)")
                        self._email = create_channel(
                            "email", {**self.smtp.channel_config(), "timeout": min(self.timeout, self.smtp.timeout)}
                        )
                return self._email
            if kind == TargetKind.line.value:
                return create_channel(
                    "line",
                    access_token=self._secret(aad, secret_enc),
                    base_url=self.notify.line_base_url,
                    client=self._http,
                )
            if kind == TargetKind.webhook.value:
                return create_channel("webhook", secret=self._secret(aad, secret_enc), client=self._http)
        except InvalidChannelConfig as exc:
            raise PermanentFailure(f"channel misconfigured: {exc}") from None
        raise PermanentFailure(f"unknown channel kind {kind!r}")


@dataclass(frozen=True, slots=True)
class SendOutcome:
    ok: bool
    status: str
    error: str | None = None
    status_code: int | None = None
    retry_after: float | None = None
    temporary: bool = False


def _send(
    factory: ChannelFactory,
    kind: str,
    target_uuid: str,
    secret_enc: str | None,
    address: str,
    payload: dict[str, Any],
    idempotency_key: str,
) -> SendOutcome:
    try:
        channel = factory.channel(kind, target_uuid, secret_enc)
        result: DeliveryResult = channel.send(message_from_payload(payload), address, idempotency_key=idempotency_key)
    except DeliveryError as exc:
        temporary = not isinstance(exc, PermanentFailure)
        return SendOutcome(False, "", exc.reason, exc.status_code, exc.retry_after, temporary)
    except Exception as exc:
        log.exception("delivery crashed")
        return SendOutcome(False, "", f"internal error ({type(exc).__name__})", temporary=True)
    return SendOutcome(True, DeliveryStatus.sent.value, status_code=result.status_code)


def _deliver(factory: ChannelFactory, claim: outbox.Claim) -> str | None:
    outcome = _send(
        factory,
        claim.kind,
        claim.target_uuid,
        claim.secret_enc,
        claim.address,
        claim.payload,
        claim.idempotency_key,
    )
    settings = factory.notify
    with session_factory()() as db:
        if outcome.ok:
            status = DeliveryStatus.sent.value if outbox.mark_sent(db, claim, status_code=outcome.status_code) else None
        else:
            status = outbox.mark_failed(
                db,
                claim,
                outcome.error or "unknown error",
                temporary=outcome.temporary,
                max_attempts=settings.max_attempts,
                base_s=settings.backoff_base_s,
                max_s=settings.backoff_max_s,
                retry_after=outcome.retry_after,
                status_code=outcome.status_code,
            )
        db.commit()
    if status is None:
        log.warning("delivery %s: lease lost before the result was recorded", claim.id)
    elif outcome.ok:
        log.info("delivery %s (%s) sent on attempt %s", claim.id, claim.kind, claim.attempts)
    else:
        log.warning(
            "delivery %s (%s) attempt %s: %s -> %s", claim.id, claim.kind, claim.attempts, outcome.error, status
        )
    return status


def process_due(factory: ChannelFactory, pool: ThreadPoolExecutor, worker: str) -> int:
    """Claim one batch, send it, record it; returns how many were claimed."""
    settings = factory.notify
    with session_factory()() as db:
        claims = outbox.claim_due(db, worker, limit=settings.batch_size, lease_s=settings.lease_s)
    if claims:
        list(pool.map(lambda c: _deliver(factory, c), claims))
    return len(claims)


def _waiter(poll_s: float):  # type: ignore[no-untyped-def]
    """A function that blocks until a wake-up or `poll_s`; Redis when configured, else a plain sleep."""
    try:
        import redis

        from videohar.bus.connection import redis_url

        client = redis.Redis.from_url(redis_url(), socket_timeout=poll_s + 5, socket_connect_timeout=3)
    except Exception:
        return None

    def wait(stop: threading.Event) -> None:
        try:
            if client.blpop([WAKE_KEY], timeout=poll_s):
                client.delete(WAKE_KEY)  # one scan serves every queued nudge
        except Exception as exc:
            log.debug("wake wait failed: %s", type(exc).__name__)
            stop.wait(poll_s)

    return wait


def run_notifier(stop: threading.Event) -> None:
    """Deliver the outbox until `stop` is set (the `videohar notifier` role)."""
    settings = get_notify_settings()
    worker = f"{socket.gethostname()}:{os.getpid()}"
    wait = _waiter(settings.poll_s)
    log.info("notifier %s started (max %s attempts, lease %ss)", worker, settings.max_attempts, settings.lease_s)
    with ChannelFactory(settings) as factory, ThreadPoolExecutor(settings.concurrency) as pool:
        while not stop.is_set():
            try:
                claimed = process_due(factory, pool, worker)
            except Exception as exc:
                log.warning("notifier round failed: %s", exc.__class__.__name__)
                stop.wait(settings.poll_s)
                continue
            if claimed >= settings.batch_size:
                continue
            if wait is None:
                stop.wait(settings.poll_s)
            else:
                wait(stop)
    log.info("notifier %s stopped", worker)


def test_payload(target: NotifyTarget, camera_name: str = "Test camera") -> dict[str, Any]:
    from videohar.config import get_settings

    public = get_settings().public_url
    return {
        "event_id": "test",
        "title": "Test notification from VideoHAR",
        "camera_name": camera_name,
        "action_label": "test",
        "score": 1.0,
        "occurred_at": datetime.now(UTC).isoformat(),
        "timezone": get_notify_settings().timezone,
        "public_url": public.rstrip("/") if public else None,
    }


def send_test(db: Session, target: NotifyTarget, *, timeout: float = 10.0) -> tuple[NotifyDelivery, SendOutcome]:
    """Send a test message to `target` now and record it as a (test) delivery row."""
    delivery = outbox.enqueue(db, target=target, payload=test_payload(target), is_test=True)
    delivery.status = DeliveryStatus.sending.value
    delivery.attempts = 1
    db.flush()
    with ChannelFactory(timeout=timeout) as factory:
        outcome = _send(
            factory,
            target.kind,
            target.uuid,
            target.secret_enc,
            target.address,
            delivery.payload,
            delivery.idempotency_key,
        )
    now = utcnow()
    delivery.last_status_code = outcome.status_code
    if outcome.ok:
        delivery.status, delivery.sent_at = DeliveryStatus.sent.value, now
    else:
        delivery.status, delivery.last_error = DeliveryStatus.failed.value, (outcome.error or "")[:500]
    return delivery, outcome
