"""Model registry: list, versions, artifacts, import of external ONNX models, activate, roll back."""

from __future__ import annotations

import contextlib
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, File, Form, HTTPException, Path, Query, UploadFile
from fastapi.responses import FileResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from videohar.api.deps import DB, CurrentUser, SettingsDep
from videohar.api.routes.cameras import camera_or_error
from videohar.api.routes.datasets import TOO_LARGE, _save_upload
from videohar.api.schemas import errors
from videohar.bus.connection import get_redis
from videohar.db.models import Role, User
from videohar.db.training_models import ActionModel
from videohar.training import registry

router = APIRouter(tags=["models"])
ModelId = Annotated[int, Path(ge=1, le=2**31 - 1, description="Model id")]


class ModelOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    version: int
    source: str
    labels: list[str]
    spec: dict
    metrics: dict
    artifacts: list[str]
    sha256: str
    size_bytes: int
    dataset_id: int | None
    job_id: int | None
    owner_id: int | None
    created_at: datetime


class Scope(BaseModel):
    model_config = ConfigDict(extra="forbid")

    camera_id: int | None = Field(None, ge=1, le=2**31 - 1, description="A camera; omitted = the default.")


class ActiveOut(BaseModel):
    camera_id: int | None
    model_id: int | None
    """None = no trained model: rules and the NFD fall model only."""


def model_or_404(db: DB, model_id: int) -> ActionModel:
    model = db.get(ActionModel, model_id)
    if model is None:
        raise HTTPException(404, "model not found")
    return model


def _check_scope(db: DB, user: User, camera_id: int | None) -> None:
    """The default needs an admin; a camera needs write access to it."""
    if user.role == Role.viewer.value:
        raise HTTPException(403, "viewers cannot change models")
    if camera_id is None:
        if user.role != Role.admin.value:
            raise HTTPException(403, "only an admin changes the default model; give camera_id")
    else:
        camera_or_error(db, user, camera_id, write=True)


def _announce() -> None:
    with contextlib.suppress(Exception):  # Redis down: workers see it on their next successful poll
        registry.announce_models_changed(get_redis())


@router.get("/models", response_model=list[ModelOut], responses=errors(401, 422))
def list_models(user: CurrentUser, db: DB, name: Annotated[str | None, Query(max_length=100)] = None) -> list[ModelOut]:
    """Every registered model version, newest first (filter by `name` for one model's versions)."""
    query = select(ActionModel).order_by(ActionModel.id.desc())
    if name:
        query = query.where(ActionModel.name == name)
    return [ModelOut.model_validate(m) for m in db.scalars(query)]


@router.get("/models/active", response_model=ActiveOut, responses=errors(401, 404, 422))
def active_model(
    user: CurrentUser, db: DB, camera_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None
) -> ActiveOut:
    """The model a camera runs (its pin, its own activation, else the default), or the default."""
    pinned = None
    if camera_id is not None:
        camera = camera_or_error(db, user, camera_id)
        pinned = (camera.settings or {}).get("model_id")
    return ActiveOut(camera_id=camera_id, model_id=registry.active_model_id(db, camera_id, pinned))


@router.post(
    "/models/import", status_code=201, response_model=ModelOut, responses={**errors(400, 401, 403, 422), **TOO_LARGE}
)
async def import_model(
    user: CurrentUser,
    db: DB,
    settings: SettingsDep,
    file: Annotated[UploadFile, File(description="ONNX skeleton model (e.g. an mmaction2 / pyskl ST-GCN++ export)")],
    name: Annotated[str, Form(min_length=1, max_length=100)] = "imported",
    spec: Annotated[
        str | None,
        Form(
            max_length=32_000,
            description="JSON of the model's `videohar_spec` (layout, M, T, V, C, fps, normalisation, labels, "
            "output), for a file that does not declare one; it is embedded in the stored file.",
        ),
    ] = None,
) -> ModelOut:
    """Register an external ONNX model. It is loaded and run on a blank batch first, like a worker
    would; a file without `videohar_spec` metadata needs the `spec` field."""
    if user.role == Role.viewer.value:
        raise HTTPException(403, "viewers cannot import models")
    path = await _save_upload(file, settings.data_path / "tmp", ".onnx")
    try:
        data = path.read_bytes()
    finally:
        path.unlink(missing_ok=True)
    try:
        data = registry.prepare_import(data, spec)
        model = registry.register_model(db, settings.media_path, data, name=name, source="imported", owner_id=user.id)
    except registry.ModelImportError as exc:
        raise HTTPException(422, f"not a usable skeleton model: {exc}") from None
    return ModelOut.model_validate(model)


@router.get("/models/{model_id:int}", response_model=ModelOut, responses=errors(401, 404))
def read_model(model_id: ModelId, user: CurrentUser, db: DB) -> ModelOut:
    return ModelOut.model_validate(model_or_404(db, model_id))


@router.get(
    "/models/{model_id:int}/artifacts/{name}",
    response_class=FileResponse,
    responses={200: {"content": {"application/octet-stream": {}, "image/png": {}}}, **errors(401, 404)},
)
def model_artifact(
    model_id: ModelId, name: Annotated[str, Path(max_length=64)], user: CurrentUser, db: DB, settings: SettingsDep
) -> FileResponse:
    """model.onnx, confusion.png, curves.png, metrics.json, comparison.json (those the model has)."""
    model = model_or_404(db, model_id)
    if name not in model.artifacts:
        raise HTTPException(404, f"the model has no artifact {name!r}; it has {model.artifacts}")
    path = registry.model_folder(settings.media_path, model) / name
    if not path.is_file():
        raise HTTPException(404, "artifact file missing")
    media_type = {"png": "image/png", "json": "application/json"}.get(
        name.rsplit(".", 1)[-1], "application/octet-stream"
    )
    return FileResponse(path, media_type=media_type, filename=f"{model.name}-v{model.version}-{name}")


@router.post("/models/{model_id:int}/activate", response_model=ActiveOut, responses=errors(401, 403, 404, 422))
def activate_model(model_id: ModelId, body: Scope, user: CurrentUser, db: DB) -> ActiveOut:
    """Workers pick the model up within about a second, without a restart."""
    model_or_404(db, model_id)
    _check_scope(db, user, body.camera_id)
    registry.activate(db, model_id, camera_id=body.camera_id, user_id=user.id)
    db.commit()
    _announce()
    return ActiveOut(camera_id=body.camera_id, model_id=model_id)


@router.post("/models/rollback", response_model=ActiveOut, responses=errors(401, 403, 404, 409, 422))
def rollback_model(body: Scope, user: CurrentUser, db: DB) -> ActiveOut:
    """Undo the newest activation of the scope: the previously active model runs again."""
    _check_scope(db, user, body.camera_id)
    try:
        current = registry.rollback(db, camera_id=body.camera_id)
    except registry.NothingToRollBack as exc:
        raise HTTPException(409, str(exc)) from None
    db.commit()
    _announce()
    return ActiveOut(camera_id=body.camera_id, model_id=current.model_id if current else None)
