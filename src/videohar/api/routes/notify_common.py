"""Helpers shared by the notification routers: whose resource a request acts on, and path ids."""

from __future__ import annotations

from typing import Annotated

from fastapi import HTTPException, Query
from fastapi import Path as PathParam
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from videohar.db.models import Role, User

RowId = Annotated[int, PathParam(ge=1, le=2**31 - 1, description="Row id")]


def is_admin(user: User) -> bool:
    return user.role == Role.admin.value


def account_for(db: Session, user: User, account_uuid: str | None) -> User:
    """The account a write is for: the caller's own, or (admins only) another existing one."""
    if account_uuid is None or account_uuid == user.uuid:
        return user
    if not is_admin(user):
        raise HTTPException(403, "account_uuid must be your own account (only admins act for others)")
    other = db.scalar(select(User).where(User.uuid == account_uuid))
    if other is None:
        raise HTTPException(404, "account not found")
    return other


def owned(user: User, owner_id: int) -> bool:
    return owner_id == user.id or is_admin(user)


class StrictQuery(BaseModel):
    """Query parameters that refuse unknown names (a typo is a 422, not a silently ignored filter)."""

    model_config = ConfigDict(extra="forbid")


class AccountQuery(StrictQuery):
    account_uuid: str | None = Field(None, max_length=36, description="Admins: another account's rows.")


AccountParams = Annotated[AccountQuery, Query()]
