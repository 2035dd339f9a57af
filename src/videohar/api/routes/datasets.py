"""Datasets: label sets, clips (from events, camera recordings, uploads), label segments,
pre-labels from the active model, and mmaction2 / pyskl pickle import and export."""

from __future__ import annotations

import tempfile
import uuid
from datetime import datetime
from pathlib import Path as FsPath
from typing import Annotated, Literal

from fastapi import APIRouter, File, Form, HTTPException, Path, UploadFile
from fastapi.responses import FileResponse, Response
from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import func, select

from videohar.api.body_limit import dataset_upload_limit, too_large_message
from videohar.api.deps import DB, CurrentUser, SettingsDep
from videohar.api.routes.cameras import camera_or_error
from videohar.api.routes.events import event_or_404
from videohar.api.schemas import Message, errors
from videohar.datasets import clips as clip_store
from videohar.datasets import interchange
from videohar.datasets import labels as labelling
from videohar.datasets.extract import UnsupportedVideo, probe_video
from videohar.datasets.mmaction import UnsafePickle
from videohar.datasets.settings import get_dataset_settings
from videohar.db.models import Role, User
from videohar.db.training_models import ClipStatus, Dataset, DatasetClip, LabelSegment, LabelStatus
from videohar.training.jobs import enqueue

router = APIRouter(tags=["datasets"])
DatasetId = Annotated[int, Path(ge=1, le=2**31 - 1, description="Dataset id")]
ClipId = Annotated[int, Path(ge=1, le=2**31 - 1, description="Clip id")]
SegmentId = Annotated[int, Path(ge=1, le=2**31 - 1, description="Segment id")]
TOO_LARGE = {413: {"description": "Upload too large", "model": errors(400)[400]["model"]}}
LabelName = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_ ./()+-]+$")]


class LabelIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: LabelName
    color: str | None = Field(None, pattern=r"^#[0-9a-fA-F]{6}$")
    hotkey: str | None = Field(None, min_length=1, max_length=1)


class DatasetCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    description: str = Field("", max_length=2000)
    labels: list[LabelIn] | None = Field(None, max_length=200, description="Own label set (in model output order).")
    label_set: str | None = Field(None, max_length=64, description="Or a built-in set: see GET /label_sets.")
    other_label: LabelName = "other"

    @model_validator(mode="after")
    def _one_source(self) -> DatasetCreate:
        if (self.labels is None) == (self.label_set is None):
            raise ValueError("give either labels or label_set")
        return self


class DatasetUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, min_length=1, max_length=100)
    description: str | None = Field(None, max_length=2000)
    add_labels: list[LabelIn] = Field(default_factory=list, max_length=200, description="Appended to the label set.")


class DatasetOut(BaseModel):
    id: int
    name: str
    description: str
    labels: list[dict]
    other_label: str
    owner_id: int
    clips: int
    created_at: datetime


class ClipOut(BaseModel):
    id: int
    dataset_id: int
    name: str
    source: str
    camera_id: int | None
    event_id: int | None
    group: str
    status: ClipStatus
    label_status: LabelStatus
    fps: float
    frames: int
    width: int
    height: int
    track_ids: list[int]
    has_video: bool
    segments: int
    job_id: int | None = None


class ClipCreate(BaseModel):
    """From an event (copy its clip) or by recording `seconds` of a camera (a job)."""

    model_config = ConfigDict(extra="forbid")

    event_id: int | None = Field(None, ge=1, le=2**31 - 1)
    camera_id: int | None = Field(None, ge=1, le=2**31 - 1)
    seconds: float = Field(10.0, gt=0, le=3600)

    @model_validator(mode="after")
    def _one_source(self) -> ClipCreate:
        if (self.event_id is None) == (self.camera_id is None):
            raise ValueError("give either event_id or camera_id")
        return self


class ClipUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, max_length=200)
    group: str | None = Field(None, max_length=100)
    label_status: LabelStatus | None = None


class SegmentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    track_id: int = Field(ge=0, le=2**31 - 1)
    start_frame: int = Field(ge=0, le=2**31 - 1)
    end_frame: int = Field(ge=1, le=2**31 - 1, description="Exclusive.")
    label: LabelName


class SegmentUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    track_id: int | None = Field(None, ge=0, le=2**31 - 1)
    start_frame: int | None = Field(None, ge=0, le=2**31 - 1)
    end_frame: int | None = Field(None, ge=1, le=2**31 - 1)
    label: LabelName | None = None
    accepted: bool | None = Field(None, description="Accept (true) or reject (false) a pre-label.")


class SegmentOut(BaseModel):
    id: int
    clip_id: int
    track_id: int
    start_frame: int
    end_frame: int
    label: str
    source: str = Field(description="user, import, or model (a pre-label).")
    score: float | None = Field(description="The model's score of a pre-label.")
    accepted: bool | None = Field(description="Pre-labels: null = pending review, true = accepted, false = rejected.")
    truth: bool = Field(description="Counts as a label (label status, export, training): user, import, accepted.")

    @classmethod
    def of(cls, s: LabelSegment) -> SegmentOut:
        return cls(
            id=s.id,
            clip_id=s.clip_id,
            track_id=s.track_id,
            start_frame=s.start_frame,
            end_frame=s.end_frame,
            label=s.label,
            source=s.source,
            score=s.score,
            accepted=s.accepted,
            truth=labelling.counts_as_truth(s),
        )


class PrelabelIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    model_id: int | None = Field(
        None, ge=1, le=2**31 - 1, description="Default: the clip's camera's model, else the default one."
    )
    min_score: float = Field(0.5, ge=0, le=1, description="Windows scoring less propose nothing.")


class PrelabelOut(BaseModel):
    job_id: int
    clip_id: int
    model_id: int


class ToDataset(BaseModel):
    model_config = ConfigDict(extra="forbid")

    dataset_id: int = Field(ge=1, le=2**31 - 1)


class ImportOut(BaseModel):
    clips: int
    segments: int
    skipped_labels: list[int]


# helpers ---------------------------------------------------------------------------------------
def _writer(user: User) -> None:
    if user.role == Role.viewer.value:
        raise HTTPException(403, "viewers cannot change datasets")


def dataset_or_404(db: DB, user: User, dataset_id: int, *, write: bool = False) -> Dataset:
    """The caller's dataset (admins: any). A write by a viewer is 403 whichever dataset it names."""
    if write:
        _writer(user)
    dataset = db.get(Dataset, dataset_id)
    if dataset is None or (dataset.owner_id != user.id and user.role != Role.admin.value):
        raise HTTPException(404, "dataset not found")
    return dataset


def clip_or_404(db: DB, dataset: Dataset, clip_id: int) -> DatasetClip:
    clip = db.get(DatasetClip, clip_id)
    if clip is None or clip.dataset_id != dataset.id:
        raise HTTPException(404, "clip not found")
    return clip


def _dataset_out(db: DB, d: Dataset) -> DatasetOut:
    n = db.scalar(select(func.count()).select_from(DatasetClip).where(DatasetClip.dataset_id == d.id)) or 0
    return DatasetOut(
        id=d.id,
        name=d.name,
        description=d.description,
        labels=d.labels,
        other_label=d.other_label,
        owner_id=d.owner_id,
        clips=n,
        created_at=d.created_at,
    )


def _clip_out(db: DB, c: DatasetClip, job_id: int | None = None) -> ClipOut:
    n = db.scalar(select(func.count()).select_from(LabelSegment).where(LabelSegment.clip_id == c.id)) or 0
    return ClipOut(
        id=c.id,
        dataset_id=c.dataset_id,
        name=c.name,
        source=c.source,
        camera_id=c.camera_id,
        event_id=c.event_id,
        group=c.group,
        status=ClipStatus(c.status),
        label_status=LabelStatus(c.label_status),
        fps=c.fps,
        frames=c.frames,
        width=c.width,
        height=c.height,
        track_ids=list(c.track_ids or []),
        has_video=bool(c.video_path),
        segments=n,
        job_id=job_id,
    )


async def _save_upload(file: UploadFile, folder: FsPath, suffix: str) -> FsPath:
    """Stream the upload to a file under `folder`, refusing it (413) past the configured size.

    `UploadSizeLimit` already ended any request whose declared or received body ran past the limit
    plus the multipart overhead; this is the exact check on the file part itself."""
    limit = dataset_upload_limit()
    folder.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=folder, prefix="upload-", suffix=suffix)
    path, size = FsPath(name), 0
    try:
        with open(fd, "wb") as out:
            while chunk := await file.read(1024 * 1024):
                size += len(chunk)
                if size > limit:
                    raise HTTPException(413, too_large_message(limit))
                out.write(chunk)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    if size == 0:
        path.unlink(missing_ok=True)
        raise HTTPException(422, "the uploaded file is empty")
    return path


# label sets and datasets ---------------------------------------------------------------------------
@router.get("/label_sets", response_model=dict[str, list[dict]], responses=errors(401))
def list_label_sets(user: CurrentUser) -> dict[str, list[dict]]:
    """Built-in label sets (the default one and NTU60), usable as `label_set` of a new dataset."""
    return labelling.builtin_label_sets()


@router.get("/datasets", response_model=list[DatasetOut], responses=errors(401))
def list_datasets(user: CurrentUser, db: DB) -> list[DatasetOut]:
    query = select(Dataset).order_by(Dataset.id)
    if user.role != Role.admin.value:
        query = query.where(Dataset.owner_id == user.id)
    return [_dataset_out(db, d) for d in db.scalars(query)]


@router.post("/datasets", status_code=201, response_model=DatasetOut, responses=errors(401, 403, 422))
def create_dataset(body: DatasetCreate, user: CurrentUser, db: DB) -> DatasetOut:
    _writer(user)
    if body.label_set is not None:
        sets = labelling.builtin_label_sets()
        if body.label_set not in sets:
            raise HTTPException(422, f"unknown label_set {body.label_set!r}; built-in: {sorted(sets)}")
        raw = sets[body.label_set]
    else:
        raw = [lab.model_dump() for lab in body.labels or []]
    try:
        labels = labelling.normalise_label_set(raw, body.other_label)
    except labelling.LabelError as exc:
        raise HTTPException(422, str(exc)) from None
    dataset = Dataset(
        owner_id=user.id, name=body.name, description=body.description, labels=labels, other_label=body.other_label
    )
    db.add(dataset)
    db.flush()
    return _dataset_out(db, dataset)


@router.get("/datasets/{dataset_id}", response_model=DatasetOut, responses=errors(401, 404))
def read_dataset(dataset_id: DatasetId, user: CurrentUser, db: DB) -> DatasetOut:
    return _dataset_out(db, dataset_or_404(db, user, dataset_id))


@router.patch("/datasets/{dataset_id}", response_model=DatasetOut, responses=errors(401, 403, 404, 422))
def update_dataset(dataset_id: DatasetId, body: DatasetUpdate, user: CurrentUser, db: DB) -> DatasetOut:
    """Labels can be added, never removed or reordered (segments and models refer to them)."""
    dataset = dataset_or_404(db, user, dataset_id, write=True)
    if body.name is not None:
        dataset.name = body.name
    if body.description is not None:
        dataset.description = body.description
    if body.add_labels:
        try:
            dataset.labels = labelling.normalise_label_set(
                [*dataset.labels, *(lab.model_dump() for lab in body.add_labels)], dataset.other_label
            )
        except labelling.LabelError as exc:
            raise HTTPException(422, str(exc)) from None
    db.flush()
    return _dataset_out(db, dataset)


@router.delete("/datasets/{dataset_id}", response_model=Message, responses=errors(401, 403, 404))
def delete_dataset(dataset_id: DatasetId, user: CurrentUser, db: DB, settings: SettingsDep) -> Message:
    dataset = dataset_or_404(db, user, dataset_id, write=True)
    db.delete(dataset)
    db.flush()
    clip_store.remove_dataset_files(settings.media_path, dataset_id)
    return Message(message="dataset deleted")


# clips ----------------------------------------------------------------------------------------------
@router.get("/datasets/{dataset_id}/clips", response_model=list[ClipOut], responses=errors(401, 404))
def list_clips(dataset_id: DatasetId, user: CurrentUser, db: DB) -> list[ClipOut]:
    dataset = dataset_or_404(db, user, dataset_id)
    rows = db.scalars(select(DatasetClip).where(DatasetClip.dataset_id == dataset.id).order_by(DatasetClip.id))
    return [_clip_out(db, c) for c in rows]


def _clip_from_event(db: DB, user: User, dataset: Dataset, event_id: int, media: FsPath) -> ClipOut:
    event = event_or_404(db, user, event_id)
    try:
        clip = clip_store.add_event_clip(db, media, dataset, event)
    except clip_store.ClipSourceError as exc:
        raise HTTPException(409, str(exc)) from None
    return _clip_out(db, clip)


@router.post(
    "/datasets/{dataset_id}/clips", status_code=201, response_model=ClipOut, responses=errors(401, 403, 404, 409, 422)
)
def add_clip(dataset_id: DatasetId, body: ClipCreate, user: CurrentUser, db: DB, settings: SettingsDep) -> ClipOut:
    """Copy an event's clip, or start recording a camera (the clip is `processing` until its job ends)."""
    dataset = dataset_or_404(db, user, dataset_id, write=True)
    if body.event_id is not None:
        return _clip_from_event(db, user, dataset, body.event_id, settings.media_path)
    camera = camera_or_error(db, user, body.camera_id or 0)
    limit = get_dataset_settings().max_record_seconds
    if body.seconds > limit:
        raise HTTPException(422, f"seconds: at most {limit:g} s can be recorded")
    if not camera.enabled:
        raise HTTPException(409, "the camera is disabled: enable it to record from it")
    fps = float((camera.settings or {}).get("analysis_fps", 10.0))
    clip = DatasetClip(
        dataset_id=dataset.id,
        name=f"{camera.name} recording",
        source="recording",
        camera_id=camera.id,
        group=f"camera{camera.id}",
        status=ClipStatus.processing.value,
        track_ids=[],
    )
    db.add(clip)
    db.flush()
    job = enqueue(
        db,
        "record",
        {
            "clip_id": clip.id,
            "camera_id": camera.id,
            "seconds": body.seconds,
            "fps": fps,
            "pose": (camera.settings or {}).get("pose", "default"),
        },
        user.id,
    )
    return _clip_out(db, clip, job.id)


@router.post(
    "/events/{event_id}/to_dataset",
    status_code=201,
    response_model=ClipOut,
    responses=errors(401, 403, 404, 409, 422),
    tags=["events"],
)
def event_to_dataset(
    event_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    body: ToDataset,
    user: CurrentUser,
    db: DB,
    settings: SettingsDep,
) -> ClipOut:
    """ "Add to dataset": the event's clip and skeleton file become a dataset clip."""
    dataset = dataset_or_404(db, user, body.dataset_id, write=True)
    return _clip_from_event(db, user, dataset, event_id, settings.media_path)


@router.post(
    "/datasets/{dataset_id}/uploads",
    status_code=202,
    response_model=ClipOut,
    responses={**errors(400, 401, 403, 404, 422), **TOO_LARGE},
)
async def upload_video(
    dataset_id: DatasetId,
    user: CurrentUser,
    db: DB,
    settings: SettingsDep,
    file: Annotated[UploadFile, File(description="A video file (MP4, MKV, AVI, MOV ...).")],
    group: Annotated[str, Form(max_length=100)] = "",
) -> ClipOut:
    """Accept a video (size-limited, checked by decoding it), then extract skeletons in a job."""
    dataset = dataset_or_404(db, user, dataset_id, write=True)
    media = settings.media_path
    suffix = FsPath(file.filename or "").suffix.lower()
    suffix = suffix if suffix.isascii() and suffix[1:].isalnum() and len(suffix) <= 6 else ".bin"
    path = await _save_upload(file, clip_store.dataset_dir(media, dataset.id) / "uploads", suffix)
    try:
        info = probe_video(path)
        if info.duration_s > get_dataset_settings().max_video_seconds:
            raise UnsupportedVideo(f"the video is longer than {get_dataset_settings().max_video_seconds:g} s")
    except UnsupportedVideo as exc:
        path.unlink(missing_ok=True)
        raise HTTPException(422, f"unsupported video: {exc}") from None
    name = (file.filename or "upload")[:200]
    clip = DatasetClip(
        dataset_id=dataset.id,
        name=name,
        source="upload",
        group=group or f"upload-{uuid.uuid4().hex[:8]}",
        status=ClipStatus.processing.value,
        track_ids=[],
        width=info.width,
        height=info.height,
    )
    db.add(clip)
    db.flush()
    job = enqueue(db, "extract", {"clip_id": clip.id, "upload": path.relative_to(media).as_posix()}, user.id)
    return _clip_out(db, clip, job.id)


@router.get("/datasets/{dataset_id}/clips/{clip_id}", response_model=ClipOut, responses=errors(401, 404))
def read_clip(dataset_id: DatasetId, clip_id: ClipId, user: CurrentUser, db: DB) -> ClipOut:
    return _clip_out(db, clip_or_404(db, dataset_or_404(db, user, dataset_id), clip_id))


@router.patch("/datasets/{dataset_id}/clips/{clip_id}", response_model=ClipOut, responses=errors(401, 403, 404, 422))
def update_clip(dataset_id: DatasetId, clip_id: ClipId, body: ClipUpdate, user: CurrentUser, db: DB) -> ClipOut:
    """Rename, regroup, or mark reviewed (setting unlabelled/labelled recomputes it from the segments)."""
    clip = clip_or_404(db, dataset_or_404(db, user, dataset_id, write=True), clip_id)
    if body.name is not None:
        clip.name = body.name
    if body.group is not None:
        clip.group = body.group
    if body.label_status is not None:
        clip.label_status = body.label_status.value
        if body.label_status != LabelStatus.reviewed:
            labelling.refresh_label_status(db, clip)
    db.flush()
    return _clip_out(db, clip)


@router.delete("/datasets/{dataset_id}/clips/{clip_id}", response_model=Message, responses=errors(401, 403, 404))
def delete_clip(dataset_id: DatasetId, clip_id: ClipId, user: CurrentUser, db: DB, settings: SettingsDep) -> Message:
    clip = clip_or_404(db, dataset_or_404(db, user, dataset_id, write=True), clip_id)
    clip_store.remove_clip_files(settings.media_path, clip)
    db.delete(clip)
    return Message(message="clip deleted")


@router.get(
    "/datasets/{dataset_id}/clips/{clip_id}/media/{kind}",
    response_class=FileResponse,
    responses={200: {"content": {"video/mp4": {}, "application/json": {}}}, **errors(401, 404)},
)
def clip_media(
    dataset_id: DatasetId,
    clip_id: ClipId,
    kind: Literal["video", "skeleton"],
    user: CurrentUser,
    db: DB,
    settings: SettingsDep,
) -> FileResponse:
    """The clip's MP4 (`video`) or its skeleton file (`skeleton`, format in docs/training.md)."""
    clip = clip_or_404(db, dataset_or_404(db, user, dataset_id), clip_id)
    rel = clip.video_path if kind == "video" else clip.skeleton_path
    path = settings.media_path / rel if rel else None
    if path is None or not path.is_file():
        raise HTTPException(404, f"the clip has no {kind} file")
    return FileResponse(path, media_type="video/mp4" if kind == "video" else "application/json")


# segments -------------------------------------------------------------------------------------------
@router.get(
    "/datasets/{dataset_id}/clips/{clip_id}/segments", response_model=list[SegmentOut], responses=errors(401, 404)
)
def list_segments(dataset_id: DatasetId, clip_id: ClipId, user: CurrentUser, db: DB) -> list[SegmentOut]:
    clip = clip_or_404(db, dataset_or_404(db, user, dataset_id), clip_id)
    rows = db.scalars(
        select(LabelSegment).where(LabelSegment.clip_id == clip.id).order_by(LabelSegment.start_frame, LabelSegment.id)
    )
    return [SegmentOut.of(s) for s in rows]


def _validate(dataset: Dataset, clip: DatasetClip, s: SegmentIn | LabelSegment) -> None:
    try:
        labelling.validate_segment(dataset, clip, s.track_id, s.start_frame, s.end_frame, s.label)
    except labelling.LabelError as exc:
        raise HTTPException(422, str(exc)) from None


@router.post(
    "/datasets/{dataset_id}/clips/{clip_id}/segments",
    status_code=201,
    response_model=SegmentOut,
    responses=errors(401, 403, 404, 422),
)
def add_segment(dataset_id: DatasetId, clip_id: ClipId, body: SegmentIn, user: CurrentUser, db: DB) -> SegmentOut:
    dataset = dataset_or_404(db, user, dataset_id, write=True)
    clip = clip_or_404(db, dataset, clip_id)
    _validate(dataset, clip, body)
    segment = LabelSegment(clip_id=clip.id, source="user", accepted=True, **body.model_dump())
    db.add(segment)
    db.flush()
    labelling.refresh_label_status(db, clip)
    return SegmentOut.of(segment)


def _segment_or_404(db: DB, clip: DatasetClip, segment_id: int) -> LabelSegment:
    segment = db.get(LabelSegment, segment_id)
    if segment is None or segment.clip_id != clip.id:
        raise HTTPException(404, "segment not found")
    return segment


@router.patch(
    "/datasets/{dataset_id}/clips/{clip_id}/segments/{segment_id}",
    response_model=SegmentOut,
    responses=errors(401, 403, 404, 422),
)
def update_segment(
    dataset_id: DatasetId, clip_id: ClipId, segment_id: SegmentId, body: SegmentUpdate, user: CurrentUser, db: DB
) -> SegmentOut:
    """Edit a segment, or accept / reject a model pre-label (`accepted`)."""
    dataset = dataset_or_404(db, user, dataset_id, write=True)
    clip = clip_or_404(db, dataset, clip_id)
    segment = _segment_or_404(db, clip, segment_id)
    if body.accepted is not None and segment.source != "model":
        raise HTTPException(422, "accepted: only model pre-labels are accepted or rejected")
    changes = body.model_dump(exclude_unset=True, exclude={"accepted"})
    merged = SegmentIn(**{k: getattr(segment, k) for k in ("track_id", "start_frame", "end_frame", "label")} | changes)
    _validate(dataset, clip, merged)
    for key, value in changes.items():
        setattr(segment, key, value)
    if body.accepted is not None:
        segment.accepted = body.accepted
    elif changes and segment.source == "model":
        segment.accepted = True  # a corrected pre-label is the user's label
    db.flush()
    labelling.refresh_label_status(db, clip)
    return SegmentOut.of(segment)


@router.delete(
    "/datasets/{dataset_id}/clips/{clip_id}/segments/{segment_id}",
    response_model=Message,
    responses=errors(401, 403, 404),
)
def delete_segment(dataset_id: DatasetId, clip_id: ClipId, segment_id: SegmentId, user: CurrentUser, db: DB) -> Message:
    clip = clip_or_404(db, dataset_or_404(db, user, dataset_id, write=True), clip_id)
    db.delete(_segment_or_404(db, clip, segment_id))
    db.flush()
    labelling.refresh_label_status(db, clip)
    return Message(message="segment deleted")


@router.post(
    "/datasets/{dataset_id}/clips/{clip_id}/prelabel",
    status_code=202,
    response_model=PrelabelOut,
    responses=errors(401, 403, 404, 409, 422),
)
def prelabel_clip(dataset_id: DatasetId, clip_id: ClipId, body: PrelabelIn, user: CurrentUser, db: DB) -> PrelabelOut:
    """Start a `prelabel` job: the model scores every track of the clip and its proposals (labels of
    this dataset only) replace the clip's pending ones, to be accepted or rejected with PATCH
    `.../segments/{id}` `{"accepted": true|false}`. Follow it with `GET /jobs/{job_id}`."""
    from videohar.db.training_models import ActionModel
    from videohar.training.registry import active_model_id

    dataset = dataset_or_404(db, user, dataset_id, write=True)
    clip = clip_or_404(db, dataset, clip_id)
    if clip.status != ClipStatus.ready.value:
        raise HTTPException(409, "the clip's skeletons are still being extracted")
    model_id = body.model_id if body.model_id is not None else active_model_id(db, clip.camera_id)
    if model_id is None:
        raise HTTPException(409, "no model is active; give model_id")
    model = db.get(ActionModel, model_id)
    if model is None:
        raise HTTPException(404, "model not found")
    shared = set(model.labels) & set(dataset.label_names) - {dataset.other_label}
    if not shared:
        raise HTTPException(422, f"model {model_id} knows none of the dataset's labels (model: {model.labels[:20]})")
    job = enqueue(db, "prelabel", {"clip_id": clip.id, "model_id": model_id, "min_score": body.min_score}, user.id)
    return PrelabelOut(job_id=job.id, clip_id=clip.id, model_id=model_id)


# mmaction2 / pyskl ------------------------------------------------------------------------------------
@router.get(
    "/datasets/{dataset_id}/export",
    response_class=Response,
    responses={200: {"content": {"application/octet-stream": {}}}, **errors(401, 404, 409)},
)
def export_dataset(dataset_id: DatasetId, user: CurrentUser, db: DB, settings: SettingsDep) -> Response:
    """The labelled segments as an mmaction2 / pyskl skeleton pickle; clips split 80/20 (train/val) by id."""
    dataset = dataset_or_404(db, user, dataset_id)
    data = interchange.export_pickle(db, settings.media_path, dataset)
    if data is None:
        raise HTTPException(409, "the dataset has no labelled segments")
    return Response(
        data,
        media_type="application/octet-stream",
        headers={"Content-Disposition": f'attachment; filename="dataset-{dataset.id}.pkl"'},
    )


@router.post(
    "/datasets/{dataset_id}/import",
    status_code=201,
    response_model=ImportOut,
    responses={**errors(400, 401, 403, 404, 422), **TOO_LARGE},
)
async def import_dataset(
    dataset_id: DatasetId,
    user: CurrentUser,
    db: DB,
    settings: SettingsDep,
    file: Annotated[UploadFile, File(description="mmaction2 / pyskl skeleton annotation pickle")],
    fps: Annotated[float, Form(gt=0, le=240, description="Frame rate of the annotated sequences.")] = 30.0,
) -> ImportOut:
    """Each annotation becomes a skeleton-only clip with one segment per person over all its frames;
    `label` indexes this dataset's label set (labels out of range are skipped and reported)."""
    dataset = dataset_or_404(db, user, dataset_id, write=True)
    media = settings.media_path
    path = await _save_upload(file, clip_store.dataset_dir(media, dataset.id) / "uploads", ".pkl")
    try:
        result = interchange.import_pickle(db, media, dataset, path.read_bytes(), fps=fps)
    except (UnsafePickle, ValueError) as exc:
        raise HTTPException(422, f"cannot import: {exc}") from None
    finally:
        path.unlink(missing_ok=True)
    return ImportOut(**result)
