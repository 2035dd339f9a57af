"""Request and response bodies shared by several routers."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import Path as PathParam
from pydantic import BaseModel, ConfigDict, EmailStr, Field

from videohar.db.models import Role


class Message(BaseModel):
    message: str


class ErrorOut(BaseModel):
    message: str
    detail: object = None


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    uuid: str
    username: str
    email: str
    role: Role
    disabled: bool
    created_at: datetime


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=3, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
    email: EmailStr
    password: str = Field(min_length=1, max_length=256)
    role: Role = Role.operator


class UserUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: EmailStr | None = None
    role: Role | None = None
    disabled: bool | None = None
    password: str | None = Field(None, min_length=1, max_length=256)


ERRORS = {
    400: {"model": ErrorOut, "description": "Bad request"},
    401: {"model": ErrorOut, "description": "Authentication required"},
    403: {"model": ErrorOut, "description": "Not allowed"},
    404: {"model": ErrorOut, "description": "Not found"},
    409: {"model": ErrorOut, "description": "Conflict"},
    422: {"model": ErrorOut, "description": "Validation error"},
    429: {"model": ErrorOut, "description": "Too many requests"},
}


def errors(*codes: int) -> dict[int | str, dict[str, object]]:
    """OpenAPI error responses for a route (so clients and schemathesis know them)."""
    return {code: ERRORS[code] for code in codes}


CameraId = Annotated[int, PathParam(ge=1, le=2**31 - 1, description="Camera id")]
UserId = Annotated[int, PathParam(ge=1, le=2**31 - 1, description="User id")]
"""Path ids bounded to the database integer range, so huge numbers are a 422, not a driver error."""
