"""Accounts: the seed's /register, /login, /token/refresh plus /logout and /me."""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, datetime, timedelta

from fastapi import APIRouter, HTTPException, Request, Response
from pydantic import BaseModel, ConfigDict, EmailStr, Field

from videohar.api.deps import (
    ACCESS_COOKIE,
    CSRF_COOKIE,
    DB,
    REFRESH_COOKIE,
    CurrentUser,
    SettingsDep,
)
from videohar.api.schemas import Message, UserOut, errors
from videohar.auth import ratelimit, tokens
from videohar.auth.passwords import WeakPassword, verify_password
from videohar.auth.users import BadUsername, UserExists, create_user, find_by_username, set_password
from videohar.bus.connection import get_redis
from videohar.config import Settings
from videohar.db.models import AuthSession, User

router = APIRouter(tags=["accounts"])


class RegisterIn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    username: str = Field(min_length=3, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
    email: EmailStr
    password: str = Field(min_length=10, max_length=256)


class RegisterOut(BaseModel):
    message: str
    account_uuid: str


class LoginIn(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class LoginOut(BaseModel):
    message: str
    account_uuid: str
    access_token: str
    refresh_token: str
    token_type: str = "bearer"
    expires_in: int


class RefreshIn(BaseModel):
    refresh_token: str | None = Field(None, max_length=4096, description="Omit to use the vh_refresh cookie")


class AccessOut(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int


class PasswordChangeIn(BaseModel):
    current_password: str = Field(min_length=1, max_length=256)
    new_password: str = Field(min_length=1, max_length=256)


@router.post("/register", status_code=201, response_model=RegisterOut, responses=errors(400, 403, 409))
def register(body: RegisterIn, db: DB, settings: SettingsDep) -> RegisterOut:
    if not settings.allow_registration:
        raise HTTPException(403, "self-registration is disabled; ask an admin for an account")
    try:
        user = create_user(db, username=body.username, email=str(body.email), password=body.password)
    except (WeakPassword, BadUsername) as exc:
        raise HTTPException(400, str(exc)) from None
    except UserExists:
        raise HTTPException(409, "that username is taken") from None
    return RegisterOut(message="Account created", account_uuid=user.uuid)


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _set_cookies(response: Response, settings: Settings, access: str, refresh: str) -> None:
    common = {"httponly": True, "secure": settings.cookie_secure, "samesite": "lax"}
    response.set_cookie(ACCESS_COOKIE, access, max_age=settings.access_token_minutes * 60, path="/", **common)
    response.set_cookie(REFRESH_COOKIE, refresh, max_age=settings.refresh_token_days * 86400, path="/token", **common)
    response.set_cookie(
        CSRF_COOKIE,
        secrets.token_urlsafe(24),
        max_age=settings.refresh_token_days * 86400,
        path="/",
        secure=settings.cookie_secure,
        samesite="lax",
        httponly=False,
    )


def _access(settings: Settings, user_id: int, session_id: str) -> str:
    return tokens.issue(
        settings.secret(),
        user_id=user_id,
        session_id=session_id,
        type="access",
        lifetime=timedelta(minutes=settings.access_token_minutes),
    )


@router.post("/login", response_model=LoginOut, responses=errors(400, 401, 429))
def login(body: LoginIn, request: Request, response: Response, db: DB, settings: SettingsDep) -> LoginOut:
    r = get_redis()
    client = _client(request)
    wait = ratelimit.retry_after(r, body.username, client, settings.login_max_failures)
    if wait:
        raise HTTPException(429, "too many failed logins; try again later", headers={"Retry-After": str(wait)})
    user = find_by_username(db, body.username)
    ok = verify_password(user.password_hash if user else None, body.password)
    if not ok or user is None or user.disabled:
        ratelimit.record_failure(r, body.username, client, settings.login_window_seconds)
        raise HTTPException(401, "invalid username or password")
    ratelimit.clear(r, body.username, client)
    now = datetime.now(UTC)
    session = AuthSession(
        id=str(uuid.uuid4()),
        user_id=user.id,
        created_at=now,
        expires_at=now + timedelta(days=settings.refresh_token_days),
        user_agent=request.headers.get("user-agent", "")[:255],
    )
    db.add(session)
    db.flush()
    access = _access(settings, user.id, session.id)
    refresh = tokens.issue(
        settings.secret(),
        user_id=user.id,
        session_id=session.id,
        type="refresh",
        lifetime=timedelta(days=settings.refresh_token_days),
    )
    _set_cookies(response, settings, access, refresh)
    return LoginOut(
        message="Login successful",
        account_uuid=user.uuid,
        access_token=access,
        refresh_token=refresh,
        expires_in=settings.access_token_minutes * 60,
    )


@router.post("/token/refresh", response_model=AccessOut, responses=errors(400, 401))
def refresh(
    request: Request, response: Response, db: DB, settings: SettingsDep, body: RefreshIn | None = None
) -> AccessOut:
    token = (body.refresh_token if body else None) or request.cookies.get(REFRESH_COOKIE)
    if not token:
        raise HTTPException(401, "a refresh token is required")
    try:
        claims = tokens.decode(settings.secret(), token, expected="refresh")
    except tokens.InvalidToken:
        raise HTTPException(401, "invalid or expired refresh token") from None
    session = db.get(AuthSession, claims.session_id)
    user = db.get(User, claims.user_id)
    if (
        session is None
        or session.revoked_at is not None
        or session.user_id != claims.user_id
        or user is None
        or user.disabled
    ):
        raise HTTPException(401, "invalid or expired refresh token")
    access = _access(settings, user.id, session.id)
    response.set_cookie(
        ACCESS_COOKIE,
        access,
        max_age=settings.access_token_minutes * 60,
        path="/",
        httponly=True,
        secure=settings.cookie_secure,
        samesite="lax",
    )
    return AccessOut(access_token=access, expires_in=settings.access_token_minutes * 60)


@router.post("/logout", response_model=Message, responses=errors(401, 403))
def logout(request: Request, response: Response, user: CurrentUser, db: DB, settings: SettingsDep) -> Message:
    token = request.headers.get("authorization", "").removeprefix("Bearer ").strip() or request.cookies.get(
        ACCESS_COOKIE, ""
    )
    claims = tokens.decode(settings.secret(), token, expected="access")
    session = db.get(AuthSession, claims.session_id)
    if session is not None and session.revoked_at is None:
        session.revoked_at = datetime.now(UTC)
    for name, path in ((ACCESS_COOKIE, "/"), (REFRESH_COOKIE, "/token"), (CSRF_COOKIE, "/")):
        response.delete_cookie(name, path=path)
    return Message(message="Logged out")


@router.get("/me", response_model=UserOut, responses=errors(401))
def me(user: CurrentUser) -> User:
    return user


@router.post("/me/password", response_model=Message, responses=errors(400, 401, 403))
def change_password(body: PasswordChangeIn, user: CurrentUser, db: DB) -> Message:
    if not verify_password(user.password_hash, body.current_password):
        raise HTTPException(400, "the current password is wrong")
    try:
        set_password(db, user, body.new_password)
    except WeakPassword as exc:
        raise HTTPException(400, str(exc)) from None
    return Message(message="Password changed; log in again")
