"""The inbox (seed `/notifications`), and the router that gathers every notification API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from videohar.api.deps import DB, CurrentUser
from videohar.api.routes import channels, deliveries, notification_rules
from videohar.api.routes.notify_common import RowId, StrictQuery, account_for
from videohar.api.schemas import Message, errors
from videohar.cameras.access import CameraNotFound, get_camera
from videohar.db.base import utcnow
from videohar.db.models import Notification, User
from videohar.notify.dispatch import safe_media_relpath

inbox = APIRouter(tags=["notifications"])


class NotificationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    account_uuid: str = Field(max_length=36, description="Your own account (admins: any).")
    camera_id: int = Field(ge=1, le=2**31 - 1)
    message: str = Field(min_length=1, max_length=4000)
    image_path: str | None = Field(None, max_length=500, description="Relative path inside the media directory.")


class NotificationOut(BaseModel):
    id: int
    account_uuid: str
    camera_id: int | None
    event_id: int | None
    message: str
    image_path: str | None
    image_url: str | None = Field(description="`/image/{image_path}` when there is an image.")
    read: bool
    read_at: datetime | None
    created_at: datetime


class ReadBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    read: bool = True


class Count(BaseModel):
    updated: int


def _out(n: Notification, account_uuid: str) -> NotificationOut:
    return NotificationOut(
        id=n.id,
        account_uuid=account_uuid,
        camera_id=n.camera_id,
        event_id=n.event_id,
        message=n.message,
        image_path=n.image_path,
        image_url=f"/image/{n.image_path}" if n.image_path else None,
        read=n.read_at is not None,
        read_at=n.read_at,
        created_at=n.created_at,
    )


def _get(db: Session, user: User, notification_id: int) -> Notification:
    row = db.get(Notification, notification_id)
    if row is None or row.user_id != user.id:
        raise HTTPException(404, "notification not found")
    return row


class InboxQuery(StrictQuery):
    unread: bool | None = Field(None, description="true = only unread, false = only read")
    camera_id: int | None = Field(None, ge=1, le=2**31 - 1)
    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0, le=2**31 - 1)


@inbox.get("/notifications", response_model=list[NotificationOut], responses=errors(401, 422))
def list_notifications(user: CurrentUser, db: DB, q: Annotated[InboxQuery, Query()]) -> list[NotificationOut]:
    """Your inbox, newest first."""
    query = select(Notification).where(Notification.user_id == user.id)
    if q.unread is not None:
        query = query.where(Notification.read_at.is_(None) if q.unread else Notification.read_at.is_not(None))
    if q.camera_id is not None:
        query = query.where(Notification.camera_id == q.camera_id)
    query = query.order_by(Notification.created_at.desc(), Notification.id.desc()).limit(q.limit).offset(q.offset)
    return [_out(n, user.uuid) for n in db.scalars(query)]


@inbox.post("/notifications", status_code=201, response_model=NotificationOut, responses=errors(401, 403, 404, 422))
def add_notification(body: NotificationCreate, user: CurrentUser, db: DB) -> NotificationOut:
    """The seed's way to put an entry in an inbox (your own, or any for admins)."""
    owner = account_for(db, user, body.account_uuid)
    try:
        get_camera(db, owner, body.camera_id)
        get_camera(db, user, body.camera_id)
    except CameraNotFound:
        raise HTTPException(404, "camera not found") from None
    image = None
    if body.image_path:
        image = safe_media_relpath(body.image_path)
        if image is None:
            raise HTTPException(422, "image_path must be a relative path inside the media directory")
    row = Notification(user_id=owner.id, camera_id=body.camera_id, message=body.message, image_path=image)
    db.add(row)
    db.flush()
    return _out(row, owner.uuid)


@inbox.get("/notifications/{notification_id}", response_model=NotificationOut, responses=errors(401, 404))
def get_notification(notification_id: RowId, user: CurrentUser, db: DB) -> NotificationOut:
    return _out(_get(db, user, notification_id), user.uuid)


@inbox.patch("/notifications/{notification_id}", response_model=NotificationOut, responses=errors(401, 404, 422))
def mark(notification_id: RowId, body: ReadBody, user: CurrentUser, db: DB) -> NotificationOut:
    row = _get(db, user, notification_id)
    row.read_at = (row.read_at or utcnow()) if body.read else None
    db.flush()
    return _out(row, user.uuid)


@inbox.post("/notifications/{notification_id}/read", response_model=NotificationOut, responses=errors(401, 404))
def mark_read(notification_id: RowId, user: CurrentUser, db: DB) -> NotificationOut:
    row = _get(db, user, notification_id)
    row.read_at = row.read_at or utcnow()
    db.flush()
    return _out(row, user.uuid)


class ReadAllBody(ReadBody):
    camera_id: int | None = Field(None, ge=1, le=2**31 - 1, description="Only this camera's entries.")


@inbox.patch("/notifications", response_model=Count, responses=errors(401, 422))
def mark_all(body: ReadAllBody, user: CurrentUser, db: DB) -> Count:
    """Mark every entry (of one camera) read, or unread with ``{"read": false}``."""
    query = update(Notification).where(Notification.user_id == user.id)
    if body.camera_id is not None:
        query = query.where(Notification.camera_id == body.camera_id)
    if body.read:
        query = query.where(Notification.read_at.is_(None)).values(read_at=utcnow())
    else:
        query = query.where(Notification.read_at.is_not(None)).values(read_at=None)
    result = db.execute(query.execution_options(synchronize_session=False))
    return Count(updated=result.rowcount)


@inbox.delete("/notifications/{notification_id}", response_model=Message, responses=errors(401, 404))
def delete_notification(notification_id: RowId, user: CurrentUser, db: DB) -> Message:
    db.delete(_get(db, user, notification_id))
    return Message(message="notification deleted")


router = APIRouter()
for _part in (inbox, channels.router, notification_rules.router, deliveries.router):
    router.include_router(_part)
