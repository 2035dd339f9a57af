"""Who may see and change which camera: owners and admins write, shares read, others get a 404."""

from __future__ import annotations

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from videohar.db.models import Camera, CameraShare, Role, User


class CameraNotFound(LookupError):
    pass


class CameraReadOnly(PermissionError):
    pass


def visible_query(user: User) -> Select[tuple[Camera]]:
    query = select(Camera).order_by(Camera.id)
    if user.role == Role.admin.value:
        return query
    shared = select(CameraShare.camera_id).where(CameraShare.user_id == user.id)
    return query.where(or_(Camera.owner_id == user.id, Camera.id.in_(shared)))


def can_edit(user: User, camera: Camera) -> bool:
    if user.role == Role.admin.value:
        return True
    return user.role == Role.operator.value and camera.owner_id == user.id


def get_camera(db: Session, user: User, camera_id: int, *, write: bool = False) -> Camera:
    camera = db.scalar(visible_query(user).where(Camera.id == camera_id))
    if camera is None:
        raise CameraNotFound(camera_id)
    if write and not can_edit(user, camera):
        raise CameraReadOnly(camera_id)
    return camera
