"""Dataset clips on disk: where their files live, adding one from an event or a skeleton document,
reading their tracks back for training, and removing them without leaving files behind.

Each clip is `<media>/datasets/<dataset>/clips/<clip>.mp4` (H.264, optional for imported skeletons)
plus `<clip>.json` in the skeleton format of `videohar.media.clips`.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from videohar.db.models import Event
from videohar.db.training_models import ClipStatus, Dataset, DatasetClip
from videohar.media.clips import read_skeleton, track_ids
from videohar.media.store import write_atomic
from videohar.training.dataset import ClipTracks


class ClipSourceError(ValueError):
    """The clip cannot be made from this source (no clip or skeleton, unreadable file)."""


def dataset_dir(media_root: Path, dataset_id: int) -> Path:
    return media_root / "datasets" / str(int(dataset_id))


def clip_files(media_root: Path, dataset_id: int, clip_id: int) -> tuple[Path, Path]:
    folder = dataset_dir(media_root, dataset_id) / "clips"
    return folder / f"{clip_id}.mp4", folder / f"{clip_id}.json"


def _rel(media_root: Path, path: Path) -> str:
    return path.relative_to(media_root).as_posix()


def finish_clip(media_root: Path, clip: DatasetClip, doc: dict[str, Any], *, has_video: bool) -> None:
    """Fill a clip row from its (already written) skeleton document."""
    mp4, skeleton = clip_files(media_root, clip.dataset_id, clip.id)
    clip.skeleton_path = _rel(media_root, skeleton)
    clip.video_path = _rel(media_root, mp4) if has_video else None
    clip.frames = len(doc["frames"])
    clip.fps = float(doc.get("fps") or 0.0) or 10.0
    clip.width, clip.height = int(doc.get("width") or 0), int(doc.get("height") or 0)
    clip.track_ids = sorted(track_ids(doc))
    clip.status = ClipStatus.ready.value


def add_skeleton_clip(
    db: Session,
    media_root: Path,
    dataset: Dataset,
    doc: dict[str, Any],
    *,
    name: str,
    source: str,
    group: str = "",
    camera_id: int | None = None,
) -> DatasetClip:
    """A clip that has only skeletons (imported annotations)."""
    clip = DatasetClip(
        dataset_id=dataset.id,
        name=name[:200],
        source=source,
        group=group[:100],
        camera_id=camera_id,
        status=ClipStatus.processing.value,
        track_ids=[],
    )
    db.add(clip)
    db.flush()
    _, skeleton = clip_files(media_root, dataset.id, clip.id)
    write_atomic(skeleton, json.dumps(doc, separators=(",", ":")).encode())
    finish_clip(media_root, clip, doc, has_video=False)
    return clip


def add_event_clip(db: Session, media_root: Path, dataset: Dataset, event: Event) -> DatasetClip:
    """Copy an event's clip and skeleton file into the dataset."""
    if not event.clip_path or not event.skeleton_path:
        raise ClipSourceError("the event has no finished clip and skeleton file yet")
    src_mp4, src_skel = media_root / event.clip_path, media_root / event.skeleton_path
    try:
        doc = read_skeleton(src_skel)
    except (OSError, ValueError) as exc:
        raise ClipSourceError(f"the event's skeleton file cannot be read: {exc}") from None
    if not src_mp4.is_file():
        raise ClipSourceError("the event's clip file is missing")
    clip = DatasetClip(
        dataset_id=dataset.id,
        name=f"event {event.id} ({event.label})",
        source="event",
        camera_id=event.camera_id,
        event_id=event.id,
        group=f"camera{event.camera_id}",
        status=ClipStatus.processing.value,
        track_ids=[],
    )
    db.add(clip)
    db.flush()
    mp4, skeleton = clip_files(media_root, dataset.id, clip.id)
    try:
        write_atomic(mp4, src_mp4.read_bytes())
        write_atomic(skeleton, src_skel.read_bytes())
    except BaseException:
        remove_clip_files(media_root, clip)
        raise
    finish_clip(media_root, clip, doc, has_video=True)
    return clip


def remove_files(media_root: Path, dataset_id: int, clip_id: int) -> None:
    """The clip's MP4 and skeleton file, and an encoder's half-written `.tmp-` MP4 if one is left."""
    mp4, skeleton = clip_files(media_root, dataset_id, clip_id)
    for path in (mp4, skeleton, mp4.with_name(f".tmp-{mp4.name}")):
        path.unlink(missing_ok=True)


def remove_clip_files(media_root: Path, clip: DatasetClip) -> None:
    remove_files(media_root, clip.dataset_id, clip.id)


def remove_dataset_files(media_root: Path, dataset_id: int) -> None:
    shutil.rmtree(dataset_dir(media_root, dataset_id), ignore_errors=True)


def load_doc(media_root: Path, clip: DatasetClip) -> dict[str, Any]:
    if not clip.skeleton_path:
        raise ClipSourceError(f"clip {clip.id} has no skeleton file yet")
    return read_skeleton(media_root / clip.skeleton_path)


def clip_tracks(doc: dict[str, Any], clip: DatasetClip) -> ClipTracks:
    """The clip's tracks as training series (frame index = position in the skeleton file, at its time)."""
    frames = [
        [(int(p["track_id"]), np.asarray(p["keypoints"], dtype=np.float32)) for p in f["people"]] for f in doc["frames"]
    ]
    group = clip.group or f"clip{clip.id}"
    fps = clip.fps or 10.0
    try:
        return ClipTracks.from_frames(str(clip.id), fps, frames, group=group, times=[f.get("t") for f in doc["frames"]])
    except (TypeError, ValueError):  # no usable capture times (missing, not increasing): evenly spaced at fps
        return ClipTracks.from_frames(str(clip.id), fps, frames, group=group)
