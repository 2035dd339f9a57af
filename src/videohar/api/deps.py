"""Shared request dependencies: database session, current user, role checks, CSRF."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from videohar.auth import tokens
from videohar.config import Settings, get_settings
from videohar.db.models import AuthSession, Role, User
from videohar.db.session import session_scope

ACCESS_COOKIE = "vh_access"
REFRESH_COOKIE = "vh_refresh"
CSRF_COOKIE = "vh_csrf"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}

bearer = HTTPBearer(auto_error=False, description="Access token from /login (or the vh_access cookie)")


def get_db() -> Iterator[Session]:
    with session_scope() as session:
        yield session


DB = Annotated[Session, Depends(get_db, scope="function")]
"""Committed before the response is sent, so a client's next request sees its write."""
SettingsDep = Annotated[Settings, Depends(get_settings)]

UNAUTHORIZED = HTTPException(401, "authentication required", headers={"WWW-Authenticate": "Bearer"})


def _user_from_token(db: Session, settings: Settings, token: str) -> User:
    try:
        claims = tokens.decode(settings.secret(), token, expected="access")
    except tokens.InvalidToken:
        raise UNAUTHORIZED from None
    session = db.get(AuthSession, claims.session_id)
    if session is None or session.revoked_at is not None or session.expires_at <= datetime.now(UTC):
        raise UNAUTHORIZED
    user = db.get(User, claims.user_id)
    if user is None or user.disabled or session.user_id != user.id:
        raise UNAUTHORIZED
    return user


def current_user(
    request: Request,
    db: DB,
    settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> User:
    """Bearer for API clients; the HttpOnly cookie (plus double-submit CSRF on writes) for browsers."""
    if credentials is not None:
        return _user_from_token(db, settings, credentials.credentials)
    token = request.cookies.get(ACCESS_COOKIE)
    if not token:
        raise UNAUTHORIZED
    user = _user_from_token(db, settings, token)
    if request.method not in SAFE_METHODS:
        sent = request.headers.get(CSRF_HEADER, "")
        expected = request.cookies.get(CSRF_COOKIE, "")
        if not expected or not secrets.compare_digest(sent, expected):
            raise HTTPException(403, "missing or wrong CSRF token (send the vh_csrf cookie value in X-CSRF-Token)")
    return user


CurrentUser = Annotated[User, Depends(current_user)]


def optional_user(
    request: Request,
    db: DB,
    settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> User | None:
    """No credentials at all is None (the route decides, e.g. by a signed link); bad ones are still a 401."""
    if credentials is None and not request.cookies.get(ACCESS_COOKIE):
        return None
    return current_user(request, db, settings, credentials)


MaybeUser = Annotated[User | None, Depends(optional_user)]


def require_role(*roles: Role):  # type: ignore[no-untyped-def]
    allowed = {r.value for r in roles}

    def check(user: CurrentUser) -> User:
        if user.role not in allowed:
            raise HTTPException(403, f"this needs the role {' or '.join(sorted(allowed))}")
        return user

    return check


AdminUser = Annotated[User, Depends(require_role(Role.admin))]
WriterUser = Annotated[User, Depends(require_role(Role.admin, Role.operator))]
