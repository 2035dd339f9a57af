"""Admin user management."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException
from sqlalchemy import func, select

from videohar.api.deps import DB, AdminUser
from videohar.api.schemas import Message, UserCreate, UserId, UserOut, UserUpdate, errors
from videohar.auth.passwords import WeakPassword
from videohar.auth.users import BadUsername, UserExists, create_user, revoke_sessions, set_password
from videohar.db.models import Role, User

router = APIRouter(prefix="/users", tags=["users"])


def _get(db: DB, user_id: int) -> User:
    user = db.get(User, user_id)
    if user is None:
        raise HTTPException(404, "user not found")
    return user


@router.get("", response_model=list[UserOut], responses=errors(401, 403))
def list_users(admin: AdminUser, db: DB) -> list[User]:
    return list(db.scalars(select(User).order_by(User.id)))


@router.post("", status_code=201, response_model=UserOut, responses=errors(400, 401, 403, 409))
def add_user(body: UserCreate, admin: AdminUser, db: DB) -> User:
    try:
        return create_user(db, username=body.username, email=str(body.email), password=body.password, role=body.role)
    except (WeakPassword, BadUsername) as exc:
        raise HTTPException(400, str(exc)) from None
    except UserExists:
        raise HTTPException(409, "that username is taken") from None


@router.get("/{user_id}", response_model=UserOut, responses=errors(401, 403, 404))
def get_user(user_id: UserId, admin: AdminUser, db: DB) -> User:
    return _get(db, user_id)


def _admins_left(db: DB, excluding: int) -> int:
    return (
        db.scalar(
            select(func.count(User.id)).where(
                User.role == Role.admin.value, User.disabled.is_(False), User.id != excluding
            )
        )
        or 0
    )


@router.patch("/{user_id}", response_model=UserOut, responses=errors(400, 401, 403, 404, 409))
def update_user(user_id: UserId, body: UserUpdate, admin: AdminUser, db: DB) -> User:
    user = _get(db, user_id)
    demoting = (body.role is not None and body.role != Role.admin) or body.disabled
    if user.role == Role.admin.value and demoting and _admins_left(db, user.id) == 0:
        raise HTTPException(409, "the last active admin cannot be demoted or disabled")
    if body.password is not None:
        try:
            set_password(db, user, body.password)
        except WeakPassword as exc:
            raise HTTPException(400, str(exc)) from None
    if body.email is not None:
        user.email = str(body.email)
    if body.role is not None:
        user.role = body.role.value
    if body.disabled is not None:
        user.disabled = body.disabled
        if body.disabled:
            revoke_sessions(db, user.id)
    return user


@router.delete("/{user_id}", response_model=Message, responses=errors(401, 403, 404, 409))
def delete_user(user_id: UserId, admin: AdminUser, db: DB) -> Message:
    user = _get(db, user_id)
    if user.role == Role.admin.value and _admins_left(db, user.id) == 0:
        raise HTTPException(409, "the last active admin cannot be deleted")
    db.delete(user)
    return Message(message="User deleted")
