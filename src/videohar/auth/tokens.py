"""Typed JWTs: an access token is never accepted as a refresh token and vice versa."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

import jwt

ALGORITHM = "HS256"
TokenType = Literal["access", "refresh"]


class InvalidToken(Exception):
    """Expired, tampered, unsigned or of the wrong type."""


@dataclass(frozen=True, slots=True)
class TokenClaims:
    user_id: int
    session_id: str
    type: TokenType
    expires_at: datetime


def issue(secret: str, *, user_id: int, session_id: str, type: TokenType, lifetime: timedelta) -> str:
    now = datetime.now(UTC)
    payload = {
        "sub": str(user_id),
        "sid": session_id,
        "typ": type,
        "iat": int(now.timestamp()),
        "exp": int((now + lifetime).timestamp()),
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(payload, secret, algorithm=ALGORITHM)


def decode(secret: str, token: str, *, expected: TokenType) -> TokenClaims:
    try:
        payload = jwt.decode(token, secret, algorithms=[ALGORITHM], options={"require": ["exp", "sub", "sid", "typ"]})
    except jwt.PyJWTError as exc:
        raise InvalidToken(str(exc)) from None
    if payload.get("typ") != expected:
        raise InvalidToken(f"expected a {expected} token")
    try:
        user_id = int(payload["sub"])
    except (TypeError, ValueError):
        raise InvalidToken("bad subject") from None
    return TokenClaims(
        user_id=user_id,
        session_id=str(payload["sid"]),
        type=expected,
        expires_at=datetime.fromtimestamp(payload["exp"], UTC),
    )
