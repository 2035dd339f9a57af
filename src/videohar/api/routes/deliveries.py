"""`/deliveries`: the caller's outbox rows, their status, attempts and last error; retry of dead ones."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from videohar.api.deps import DB, CurrentUser
from videohar.api.routes.notify_common import RowId, StrictQuery, is_admin, owned
from videohar.api.schemas import errors
from videohar.db.models import User
from videohar.db.notify_models import DeliveryStatus, NotifyDelivery
from videohar.notify import outbox
from videohar.notify.dispatch import wake_after_commit
from videohar.notify.settings import get_notify_settings

router = APIRouter(tags=["deliveries"])


class DeliveryOut(BaseModel):
    id: int
    kind: str
    target_id: int
    event_id: int | None
    rule_id: int | None
    is_test: bool
    status: DeliveryStatus
    attempts: int
    max_attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    last_status_code: int | None
    idempotency_key: str
    sent_at: datetime | None
    created_at: datetime
    updated_at: datetime


def _out(d: NotifyDelivery) -> DeliveryOut:
    waiting = d.status == DeliveryStatus.pending.value
    return DeliveryOut(
        id=d.id,
        kind=d.kind,
        target_id=d.target_id,
        event_id=d.event_id,
        rule_id=d.rule_id,
        is_test=d.is_test,
        status=DeliveryStatus(d.status),
        attempts=d.attempts,
        max_attempts=get_notify_settings().max_attempts,
        next_attempt_at=d.next_attempt_at if waiting else None,
        last_error=d.last_error,
        last_status_code=d.last_status_code,
        idempotency_key=d.idempotency_key,
        sent_at=d.sent_at,
        created_at=d.created_at,
        updated_at=d.updated_at,
    )


def _get(db: Session, user: User, delivery_id: int) -> NotifyDelivery:
    delivery = db.get(NotifyDelivery, delivery_id)
    if delivery is None or not owned(user, delivery.user_id):
        raise HTTPException(404, "delivery not found")
    return delivery


class DeliveryQuery(StrictQuery):
    status: DeliveryStatus | None = None
    event_id: int | None = Field(None, ge=1, le=2**31 - 1)
    target_id: int | None = Field(None, ge=1, le=2**31 - 1)
    all_users: bool = Field(False, description="Admins: every user's deliveries.")
    limit: int = Field(50, ge=1, le=500)
    offset: int = Field(0, ge=0, le=2**31 - 1)


@router.get("/deliveries", response_model=list[DeliveryOut], responses=errors(401, 422))
def list_deliveries(user: CurrentUser, db: DB, q: Annotated[DeliveryQuery, Query()]) -> list[DeliveryOut]:
    """Newest first."""
    query = select(NotifyDelivery).order_by(NotifyDelivery.id.desc()).limit(q.limit).offset(q.offset)
    if not (q.all_users and is_admin(user)):
        query = query.where(NotifyDelivery.user_id == user.id)
    if q.status is not None:
        query = query.where(NotifyDelivery.status == q.status.value)
    if q.event_id is not None:
        query = query.where(NotifyDelivery.event_id == q.event_id)
    if q.target_id is not None:
        query = query.where(NotifyDelivery.target_id == q.target_id)
    return [_out(d) for d in db.scalars(query)]


@router.get("/deliveries/{delivery_id}", response_model=DeliveryOut, responses=errors(401, 404))
def get_delivery(delivery_id: RowId, user: CurrentUser, db: DB) -> DeliveryOut:
    return _out(_get(db, user, delivery_id))


@router.post("/deliveries/{delivery_id}/retry", response_model=DeliveryOut, responses=errors(401, 404, 409))
def retry_delivery(delivery_id: RowId, user: CurrentUser, db: DB) -> DeliveryOut:
    """Queue a failed or dead delivery again, with a fresh attempt budget and the same idempotency key."""
    delivery = _get(db, user, delivery_id)
    try:
        outbox.retry_delivery(db, delivery)
    except ValueError as exc:
        raise HTTPException(409, str(exc)) from None
    db.flush()
    wake_after_commit(db)
    return _out(delivery)
