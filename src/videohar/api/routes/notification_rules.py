"""`/notification_rules`: which events notify the caller, through which targets, how often and when not."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from videohar.api.deps import DB, CurrentUser
from videohar.api.routes.notify_common import AccountParams, RowId, account_for, owned
from videohar.api.schemas import Message, errors
from videohar.cameras.access import CameraNotFound, get_camera
from videohar.db.models import Area, User
from videohar.db.notify_models import NotifyRule, NotifyTarget
from videohar.notify.schedule import parse_quiet_hours

router = APIRouter(tags=["notification rules"])


class QuietHoursIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    start: str = Field(max_length=8, examples=["22:00"])
    end: str = Field(max_length=8, examples=["06:00"], description="Not after start = the next morning.")
    timezone: str | None = Field(None, max_length=64, description="Default: the rule's time zone.")
    weekdays: list[str | int] | None = Field(None, max_length=7, description="Days a window starts; default all.")


def _zone(value: str) -> str:
    if value:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
    return value


class RuleBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field("", max_length=100)
    camera_id: int | None = Field(None, ge=1, le=2**31 - 1, description="None = every camera you own.")
    area_id: int | None = Field(None, ge=1, le=2**31 - 1, description="Only events in this area (needs camera_id).")
    labels: list[str] = Field(default_factory=list, max_length=64, description="Empty = alert-level actions.")
    min_score: float = Field(0.0, ge=0, le=1)
    target_ids: list[int] = Field(default_factory=list, max_length=100, description="Empty = all your targets.")
    cooldown_s: int = Field(60, ge=0, le=7 * 86400, description="Per camera and label.")
    quiet_hours: list[QuietHoursIn] = Field(default_factory=list, max_length=14)
    timezone: str = Field("", max_length=64, description="For quiet hours and message times; default UTC.")
    enabled: bool = True

    @field_validator("labels")
    @classmethod
    def _labels(cls, value: list[str]) -> list[str]:
        if any(not label or len(label) > 64 for label in value):
            raise ValueError("action labels are 1-64 characters")
        return sorted(set(value))

    @field_validator("timezone")
    @classmethod
    def _tz(cls, value: str) -> str:
        return _zone(value)


class RuleCreate(RuleBody):
    account_uuid: str | None = Field(None, max_length=36, description="Default: your own account.")


class RuleOut(BaseModel):
    id: int
    account_uuid: str
    name: str
    camera_id: int | None
    area_id: int | None
    labels: list[str]
    min_score: float
    target_ids: list[int]
    cooldown_s: int
    quiet_hours: list[dict[str, Any]]
    timezone: str
    enabled: bool
    created_at: datetime


def _check(db: Session, owner: User, body: RuleBody) -> list[dict[str, Any]]:
    """Refs must be the owner's own (or visible) and quiet hours must parse; returns normalised windows."""
    if body.camera_id is not None:
        try:
            get_camera(db, owner, body.camera_id)
        except CameraNotFound:
            raise HTTPException(422, "camera_id: no such camera") from None
    if body.area_id is not None:
        area = db.get(Area, body.area_id)
        if body.camera_id is None or area is None or area.camera_id != body.camera_id:
            raise HTTPException(422, "area_id: no such area on this camera (area rules need camera_id)")
    if body.target_ids:
        mine = set(
            db.scalars(
                select(NotifyTarget.id).where(NotifyTarget.user_id == owner.id, NotifyTarget.id.in_(body.target_ids))
            )
        )
        missing = sorted(set(body.target_ids) - mine)
        if missing:
            raise HTTPException(422, f"target_ids: no such targets {missing}")
    windows = []
    for window in body.quiet_hours:
        try:
            parsed = parse_quiet_hours(window.model_dump(exclude_none=True), default_timezone=body.timezone or "UTC")
        except ValueError as exc:
            raise HTTPException(422, f"quiet_hours: {exc}") from None
        windows.append(parsed.to_dict())
    return windows


def _out(db: Session, rule: NotifyRule) -> RuleOut:
    owner = db.get(User, rule.user_id)
    return RuleOut(
        id=rule.id,
        account_uuid=owner.uuid if owner else "",
        name=rule.name,
        camera_id=rule.camera_id,
        area_id=rule.area_id,
        labels=list(rule.labels or []),
        min_score=rule.min_score,
        target_ids=list(rule.target_ids or []),
        cooldown_s=rule.cooldown_s,
        quiet_hours=list(rule.quiet_hours or []),
        timezone=rule.timezone,
        enabled=rule.enabled,
        created_at=rule.created_at,
    )


def _get(db: Session, user: User, rule_id: int) -> NotifyRule:
    rule = db.get(NotifyRule, rule_id)
    if rule is None or not owned(user, rule.user_id):
        raise HTTPException(404, "rule not found")
    return rule


def _apply(rule: NotifyRule, body: RuleBody, windows: list[dict[str, Any]]) -> None:
    values = body.model_dump(exclude={"account_uuid", "quiet_hours"})
    for name, value in values.items():
        setattr(rule, name, value)
    rule.quiet_hours = windows


@router.get("/notification_rules", response_model=list[RuleOut], responses=errors(401, 403, 404))
def list_rules(user: CurrentUser, db: DB, params: AccountParams) -> list[RuleOut]:
    """Your rules. With none, you get every alert-level action of your cameras through all your targets,
    at most once a minute per camera and label."""
    owner = account_for(db, user, params.account_uuid)
    rows = db.scalars(select(NotifyRule).where(NotifyRule.user_id == owner.id).order_by(NotifyRule.id))
    return [_out(db, r) for r in rows]


@router.post("/notification_rules", status_code=201, response_model=RuleOut, responses=errors(401, 403, 404, 422))
def add_rule(body: RuleCreate, user: CurrentUser, db: DB) -> RuleOut:
    owner = account_for(db, user, body.account_uuid)
    windows = _check(db, owner, body)
    rule = NotifyRule(user_id=owner.id)
    _apply(rule, body, windows)
    db.add(rule)
    db.flush()
    return _out(db, rule)


@router.get("/notification_rules/{rule_id}", response_model=RuleOut, responses=errors(401, 404))
def get_rule(rule_id: RowId, user: CurrentUser, db: DB) -> RuleOut:
    return _out(db, _get(db, user, rule_id))


@router.put("/notification_rules/{rule_id}", response_model=RuleOut, responses=errors(401, 404, 422))
def replace_rule(rule_id: RowId, body: RuleBody, user: CurrentUser, db: DB) -> RuleOut:
    rule = _get(db, user, rule_id)
    owner = db.get(User, rule.user_id) or user
    _apply(rule, body, _check(db, owner, body))
    db.flush()
    return _out(db, rule)


@router.patch("/notification_rules/{rule_id}", response_model=RuleOut, responses=errors(401, 404, 422))
def update_rule(rule_id: RowId, changes: dict[str, Any], user: CurrentUser, db: DB) -> RuleOut:
    """Partial update: the fields given replace the stored ones (validated as a whole rule)."""
    rule = _get(db, user, rule_id)
    current = _out(db, rule).model_dump(include=set(RuleBody.model_fields))
    try:
        body = RuleBody.model_validate({**current, **changes})
    except ValueError as exc:
        raise HTTPException(422, f"invalid rule: {exc}") from None
    owner = db.get(User, rule.user_id) or user
    _apply(rule, body, _check(db, owner, body))
    db.flush()
    return _out(db, rule)


@router.delete("/notification_rules/{rule_id}", response_model=Message, responses=errors(401, 404))
def delete_rule(rule_id: RowId, user: CurrentUser, db: DB) -> Message:
    db.delete(_get(db, user, rule_id))
    return Message(message="rule deleted")
