"""Account operations shared by the API and the CLI."""

from __future__ import annotations

import re
import secrets
import uuid
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from videohar.auth.passwords import check_policy, hash_password
from videohar.db.models import AuthSession, Role, User

USERNAME_RE = re.compile(r"^[A-Za-z0-9_.-]{3,64}$")


class UserExists(ValueError):
    pass


class BadUsername(ValueError):
    pass


def find_by_username(db: Session, username: str) -> User | None:
    return db.scalar(select(User).where(func.lower(User.username) == username.lower()))


def create_user(db: Session, *, username: str, email: str, password: str, role: Role = Role.operator) -> User:
    if not USERNAME_RE.match(username):
        raise BadUsername("username must be 3-64 characters of letters, digits, '_', '.', '-'")
    check_policy(password, username=username)
    if find_by_username(db, username) is not None:
        raise UserExists(f"user {username!r} already exists")
    user = User(
        uuid=str(uuid.uuid4()),
        username=username,
        email=email,
        password_hash=hash_password(password),
        role=role.value,
    )
    db.add(user)
    db.flush()
    return user


def set_password(db: Session, user: User, password: str) -> None:
    """Change the password and end every session of the user."""
    check_policy(password, username=user.username)
    user.password_hash = hash_password(password)
    user.password_changed_at = datetime.now(UTC)
    revoke_sessions(db, user.id)


def revoke_sessions(db: Session, user_id: int) -> None:
    now = datetime.now(UTC)
    for s in db.scalars(select(AuthSession).where(AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None))):
        s.revoked_at = now


def ensure_admin(db: Session, username: str, password: str | None) -> tuple[User, bool, str | None]:
    """Create the first admin if there is no admin yet.

    Returns (admin, created now, generated password or None when it came from the configuration).
    """
    admin = db.scalar(select(User).where(User.role == Role.admin.value).order_by(User.id))
    if admin is not None:
        return admin, False, None
    generated = None
    if not password:
        generated = password = secrets.token_urlsafe(12)
    user = create_user(db, username=username, email=f"{username}@localhost", password=password, role=Role.admin)
    return user, True, generated
