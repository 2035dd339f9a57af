"""Model registry: ONNX files (atomically written, hashed) with spec and metrics, activation history.

A model lives in `<media>/models/<id>/` (model.onnx plus evaluation artifacts). Which model runs
where is a stack of `ModelActivation` rows per scope (a camera, or NULL = the default): the newest
row wins, rollback pops it. Every change bumps a Redis counter the workers poll each second.

    model = register_model(db, media, onnx_bytes, name="walkers", source="trained", owner_id=1)
    data = prepare_import(mmaction_export, spec_json)   # an external file without our metadata
    activate(db, model.id, camera_id=None, user_id=1); announce_models_changed(redis_client)
    active_model_id(db, camera_id=3, pinned=None)   # -> model id or None
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
import redis
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from videohar.actions.onnx_model import SPEC_KEY, MissingSpec, ModelSpec, ModelSpecError, OnnxSkeletonModel
from videohar.db.training_models import ActionModel, ModelActivation
from videohar.media.store import write_atomic

MODELS_VERSION_KEY = "videohar:models:version"
MODEL_FILE = "model.onnx"


class ModelImportError(ValueError):
    """The bytes are not a usable ONNX skeleton model (no `videohar_spec`, wrong input, corrupt)."""


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _length_delimited(field: int, payload: bytes) -> bytes:
    return _varint(field << 3 | 2) + _varint(len(payload)) + payload


def embed_spec(data: bytes, spec_json: str) -> bytes:
    """`data` (a serialized ONNX ModelProto) with a `videohar_spec` metadata property added.

    Protobuf parsers merge concatenated messages and append repeated fields, so appending one
    `metadata_props` entry (ModelProto field 14: StringStringEntryProto {key = 1, value = 2}) is an
    exact edit that needs neither the `onnx` package nor a re-serialisation of the graph.
    """
    entry = _length_delimited(1, SPEC_KEY.encode()) + _length_delimited(2, spec_json.encode())
    return data + _length_delimited(14, entry)


def _dry_run(model: OnnxSkeletonModel) -> None:
    """Score two blank windows of the declared spec: catches a label count that does not match the
    output width, or an input size (T, V, C, M) the graph does not accept, before a worker meets it."""
    w = model.spec
    try:
        scores = model.score(np.zeros((2, w.T, w.V, w.C), np.float32))
    except ModelSpecError as exc:
        raise ModelImportError(str(exc)) from None
    except Exception as exc:  # onnxruntime raises its own types for shape mismatches
        raise ModelImportError(
            f"the model does not run on a window of its spec (layout {model.model_spec.layout}, "
            f"M={model.model_spec.persons}, T={w.T}, V={w.V}, C={w.C}): {exc}"
        ) from None
    if scores.shape != (2, len(model.labels)) or not np.all(np.isfinite(scores)):
        raise ModelImportError(f"the model gave scores of shape {scores.shape}, not finite (2, {len(model.labels)})")


class NothingToRollBack(LookupError):
    """The scope has no activation to undo."""


def inspect_model(data: bytes) -> OnnxSkeletonModel:
    """Load like a worker would and score a blank batch; raises ModelImportError with the reason."""
    try:
        model = OnnxSkeletonModel(data)
    except ModelSpecError as exc:
        raise ModelImportError(str(exc)) from None
    _dry_run(model)
    return model


def prepare_import(data: bytes, spec_json: str | None = None) -> bytes:
    """The bytes to register for an external model: as given when they declare `videohar_spec`,
    else with `spec_json` (validated, normalised) embedded. ModelImportError says what is wrong."""
    try:
        OnnxSkeletonModel(data)
    except MissingSpec:
        if spec_json is None:
            raise ModelImportError(
                f"the ONNX file has no {SPEC_KEY!r} metadata: pass `spec`, the JSON of its input spec and "
                'labels, e.g. {"layout": "NMTVC", "M": 2, "T": 48, "fps": 16, "labels": [...], "output": "logits"}'
            ) from None
        try:
            spec = ModelSpec.from_json(spec_json)
        except ModelSpecError as exc:
            raise ModelImportError(f"spec: {exc}") from None
        return embed_spec(data, spec.to_json())
    except ModelSpecError as exc:
        raise ModelImportError(str(exc)) from None
    if spec_json is not None:
        raise ModelImportError(f"the file already declares {SPEC_KEY!r}; leave out `spec`")
    return data


def model_folder(media_root: Path, model: ActionModel) -> Path:
    return media_root / model.folder


def model_path(media_root: Path, model: ActionModel) -> Path:
    return model_folder(media_root, model) / MODEL_FILE


def register_model(
    db: Session,
    media_root: Path,
    data: bytes,
    *,
    name: str,
    source: str,
    owner_id: int | None,
    metrics: dict | None = None,
    artifacts: dict[str, Path] | None = None,
    dataset_id: int | None = None,
    job_id: int | None = None,
) -> ActionModel:
    """Validate, store the file atomically under a new version of `name`, copy the artifacts."""
    loaded = inspect_model(data)
    version = (db.scalar(select(func.max(ActionModel.version)).where(ActionModel.name == name)) or 0) + 1
    model = ActionModel(
        owner_id=owner_id,
        name=name,
        version=version,
        source=source,
        labels=list(loaded.labels),
        spec=json.loads(loaded.model_spec.to_json()),
        metrics=metrics or {},
        artifacts=[MODEL_FILE],
        folder="",
        sha256=hashlib.sha256(data).hexdigest(),
        size_bytes=len(data),
        dataset_id=dataset_id,
        job_id=job_id,
    )
    db.add(model)
    db.flush()
    model.folder = f"models/{model.id}"
    folder = model_folder(media_root, model)
    try:
        for file_name, source_path in (artifacts or {}).items():
            write_atomic(folder / file_name, Path(source_path).read_bytes())
            model.artifacts = [*model.artifacts, file_name]
        write_atomic(folder / MODEL_FILE, data)  # last: a folder with model.onnx is complete
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    db.flush()
    return model


def delete_model_files(media_root: Path, model: ActionModel) -> None:
    shutil.rmtree(model_folder(media_root, model), ignore_errors=True)


def _scope(camera_id: int | None):  # type: ignore[no-untyped-def]
    return ModelActivation.camera_id.is_(None) if camera_id is None else ModelActivation.camera_id == camera_id


def current_activation(db: Session, camera_id: int | None) -> ModelActivation | None:
    query = select(ModelActivation).where(_scope(camera_id)).order_by(ModelActivation.id.desc()).limit(1)
    return db.scalar(query)


def activate(db: Session, model_id: int | None, *, camera_id: int | None, user_id: int | None) -> ModelActivation:
    """Make `model_id` (None = no trained model) the active one of the scope."""
    row = ModelActivation(camera_id=camera_id, model_id=model_id, user_id=user_id)
    db.add(row)
    db.flush()
    return row


def rollback(db: Session, *, camera_id: int | None) -> ModelActivation | None:
    """Undo the newest activation of the scope; returns the one now in force (None = no model)."""
    newest = current_activation(db, camera_id)
    if newest is None:
        raise NothingToRollBack("nothing to roll back" + (f" on camera {camera_id}" if camera_id else ""))
    db.delete(newest)
    db.flush()
    return current_activation(db, camera_id)


def active_model_id(db: Session, camera_id: int | None, pinned: int | None = None) -> int | None:
    """Which model a camera runs: its pinned setting, else its own activation, else the default."""
    if pinned is not None and db.get(ActionModel, pinned) is not None:
        return pinned
    if camera_id is not None:
        own = current_activation(db, camera_id)
        if own is not None:
            return own.model_id
    default = current_activation(db, None)
    return default.model_id if default is not None else None


def announce_models_changed(client: redis.Redis) -> None:
    """Workers compare this counter each second and re-resolve their models when it moves."""
    client.incr(MODELS_VERSION_KEY)


def models_version(client: redis.Redis) -> int:
    raw = client.get(MODELS_VERSION_KEY)
    return int(raw) if raw else 0
