"""The delivery outbox as a state machine over `notify_deliveries` rows.

``pending`` → (claim) → ``sending`` → ``sent`` | ``pending`` (retry later) | ``failed`` | ``dead``

A claim is one UPDATE over the due rows' ids, chosen by a sub-select that is
``FOR UPDATE SKIP LOCKED`` on PostgreSQL (concurrent notifiers take disjoint rows) and
that SQLite runs under its single writer lock. The claim writes a fresh token into
`claimed_by` and a lease into `claimed_until`; every later write is fenced by that
token, so a notifier that lost its lease cannot overwrite the newer claimer's result.
A row whose lease ran out while ``sending`` (its notifier died) is due again and is
resent with the same idempotency key: delivery is at-least-once, and peers that honour
the key (LINE's retry key, webhook receivers) act once.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from videohar.db.base import utcnow
from videohar.db.notify_models import DeliveryStatus, NotifyDelivery, NotifyTarget

__all__ = [
    "Claim",
    "backoff_delay",
    "claim_due",
    "enqueue",
    "mark_failed",
    "mark_sent",
    "retry_delivery",
]

ERROR_MAX = 500
RETRYABLE = frozenset({DeliveryStatus.failed.value, DeliveryStatus.dead.value})


@dataclass(frozen=True, slots=True)
class Claim:
    """A claimed delivery with what sending it needs; detached from any session."""

    id: int
    token: str
    kind: str
    payload: dict[str, Any]
    idempotency_key: str
    attempts: int
    target_id: int
    target_uuid: str
    address: str
    secret_enc: str | None


def enqueue(
    db: Session,
    *,
    target: NotifyTarget,
    payload: dict[str, Any],
    event_id: int | None = None,
    rule_id: int | None = None,
    is_test: bool = False,
) -> NotifyDelivery:
    delivery = NotifyDelivery(
        user_id=target.user_id,
        target_id=target.id,
        event_id=event_id,
        rule_id=rule_id,
        kind=target.kind,
        payload=payload,
        is_test=is_test,
        status=DeliveryStatus.pending.value,
        next_attempt_at=utcnow(),
    )
    db.add(delivery)
    return delivery


def _due(now: datetime):  # type: ignore[no-untyped-def]
    D = NotifyDelivery
    return or_(
        and_(D.status == DeliveryStatus.pending.value, D.next_attempt_at <= now),
        and_(D.status == DeliveryStatus.sending.value, D.claimed_until < now),
    )


def claim_due(db: Session, worker: str, *, limit: int, lease_s: float, now: datetime | None = None) -> list[Claim]:
    """Claim up to `limit` due deliveries for `lease_s` seconds and commit the claim."""
    now = now or utcnow()
    D = NotifyDelivery
    token = f"{worker[:40]}:{uuid.uuid4().hex[:12]}"
    ids = (
        select(D.id)
        .where(_due(now))
        .order_by(D.next_attempt_at, D.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    db.execute(
        update(D)
        .where(D.id.in_(ids), _due(now))
        .values(
            status=DeliveryStatus.sending.value,
            claimed_by=token,
            claimed_until=now + timedelta(seconds=lease_s),
            attempts=D.attempts + 1,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    db.commit()
    rows = db.execute(
        select(D, NotifyTarget).join(NotifyTarget, NotifyTarget.id == D.target_id).where(D.claimed_by == token)
    ).all()
    return [
        Claim(
            id=d.id,
            token=token,
            kind=d.kind,
            payload=dict(d.payload),
            idempotency_key=d.idempotency_key,
            attempts=d.attempts,
            target_id=t.id,
            target_uuid=t.uuid,
            address=t.address,
            secret_enc=t.secret_enc,
        )
        for d, t in rows
    ]


def _fenced(claim: Claim):  # type: ignore[no-untyped-def]
    D = NotifyDelivery
    return update(D).where(D.id == claim.id, D.claimed_by == claim.token, D.status == DeliveryStatus.sending.value)


def mark_sent(db: Session, claim: Claim, *, status_code: int | None = None) -> bool:
    """Record success; False when the claim was lost (another notifier owns the row now)."""
    now = utcnow()
    result = db.execute(
        _fenced(claim)
        .values(
            status=DeliveryStatus.sent.value,
            sent_at=now,
            last_status_code=status_code,
            claimed_by=None,
            claimed_until=None,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def backoff_delay(
    attempts: int,
    *,
    base_s: float,
    max_s: float,
    retry_after: float | None = None,
    rng: random.Random | None = None,
) -> float:
    """Exponential backoff with jitter (50-100 % of ``base * 2**(attempts-1)``), at least `retry_after`."""
    exp = min(max_s, base_s * 2 ** max(attempts - 1, 0))
    delay = exp * (0.5 + 0.5 * (rng or random).random())
    if retry_after is not None:
        delay = max(delay, retry_after)
    return min(delay, max(max_s, retry_after or 0.0))


def mark_failed(
    db: Session,
    claim: Claim,
    error: str,
    *,
    temporary: bool,
    max_attempts: int,
    base_s: float,
    max_s: float,
    retry_after: float | None = None,
    status_code: int | None = None,
) -> str | None:
    """Record a failure: back to ``pending`` with backoff, or ``dead`` / ``failed``. Returns the new status."""
    now = utcnow()
    values: dict[str, Any] = {
        "last_error": error[:ERROR_MAX],
        "last_status_code": status_code,
        "claimed_by": None,
        "claimed_until": None,
        "updated_at": now,
    }
    if not temporary:
        values["status"] = DeliveryStatus.failed.value
    elif claim.attempts >= max_attempts:
        values["status"] = DeliveryStatus.dead.value
    else:
        delay = backoff_delay(claim.attempts, base_s=base_s, max_s=max_s, retry_after=retry_after)
        values.update(status=DeliveryStatus.pending.value, next_attempt_at=now + timedelta(seconds=delay))
    result = db.execute(_fenced(claim).values(**values).execution_options(synchronize_session=False))
    return values["status"] if result.rowcount == 1 else None


def retry_delivery(db: Session, delivery: NotifyDelivery) -> None:
    """Put a failed or dead delivery back in the queue with a fresh attempt budget (same idempotency key)."""
    if delivery.status not in RETRYABLE:
        raise ValueError(f"only failed or dead deliveries can be retried (this one is {delivery.status})")
    delivery.status = DeliveryStatus.pending.value
    delivery.attempts = 0
    delivery.next_attempt_at = datetime.now(UTC)
    delivery.claimed_by = None
    delivery.claimed_until = None


def pending_count(db: Session, statuses: Sequence[str] = (DeliveryStatus.pending.value,)) -> int:
    from sqlalchemy import func

    return db.scalar(select(func.count()).select_from(NotifyDelivery).where(NotifyDelivery.status.in_(statuses))) or 0
