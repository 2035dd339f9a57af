"""Label sets, segment validation, per-clip label status, pre-labels from a model, and the
dataset's labelled windows for training.

A segment labels frames [start_frame, end_frame) of one track. Segments that count as ground
truth: user and imported ones, and model pre-labels a user accepted.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from videohar.actions.base import WindowRecogniser
from videohar.actions.windows import WindowSpec
from videohar.datasets.clips import clip_tracks, load_doc
from videohar.db.training_models import ClipStatus, Dataset, DatasetClip, LabelSegment, LabelStatus
from videohar.training.dataset import Segment, WindowSet, build_windows
from videohar.training.labels import available_label_maps, load_label_map

DEFAULT_COLORS = ("#2e7d32", "#1565c0", "#6a1b9a", "#c62828", "#ef6c00", "#f9a825", "#00838f", "#757575")


class LabelError(ValueError):
    """A segment or label set breaks a rule (outside the clip, unknown track or label ...)."""


def builtin_label_sets() -> dict[str, list[dict[str, Any]]]:
    return {
        name: [{"name": lab.name, "color": lab.color, "hotkey": lab.hotkey} for lab in load_label_map(name)]
        for name in available_label_maps()
    }


def normalise_label_set(labels: Sequence[dict[str, Any]], other_label: str) -> list[dict[str, Any]]:
    """Distinct names, distinct hotkeys, a colour each, and the `other` class present (appended if missing)."""
    out: list[dict[str, Any]] = []
    names: set[str] = set()
    keys: set[str] = set()
    for i, entry in enumerate(labels):
        name = str(entry["name"]).strip()
        if not name or name in names:
            raise LabelError(f"label names must be non-empty and distinct ({name!r})")
        hotkey = entry.get("hotkey") or None
        if hotkey is not None and hotkey in keys:
            raise LabelError(f"hotkey {hotkey!r} is used twice")
        names.add(name)
        if hotkey:
            keys.add(hotkey)
        out.append(
            {"name": name, "color": entry.get("color") or DEFAULT_COLORS[i % len(DEFAULT_COLORS)], "hotkey": hotkey}
        )
    if other_label not in names:
        out.append({"name": other_label, "color": "#757575", "hotkey": None if "o" in keys else "o"})
    if len(out) < 2:
        raise LabelError("a label set needs at least one label besides the other class")
    return out


def validate_segment(dataset: Dataset, clip: DatasetClip, track_id: int, start: int, end: int, label: str) -> None:
    if clip.status != ClipStatus.ready.value:
        raise LabelError("the clip's skeletons are still being extracted")
    if label not in dataset.label_names:
        raise LabelError(f"label {label!r} is not in the dataset's label set {dataset.label_names}")
    if not 0 <= start < end <= clip.frames:
        raise LabelError(f"frames must satisfy 0 <= start_frame < end_frame <= {clip.frames} (the clip's length)")
    if track_id not in (clip.track_ids or []):
        raise LabelError(f"track {track_id} does not exist in the clip (tracks: {clip.track_ids})")


def counts_as_truth(segment: LabelSegment) -> bool:
    return segment.source != "model" or segment.accepted is True


def refresh_label_status(db: Session, clip: DatasetClip) -> None:
    """unlabelled <-> labelled follows the segments; `reviewed` is set by a user and kept."""
    if clip.label_status == LabelStatus.reviewed.value:
        return
    segments = db.scalars(select(LabelSegment).where(LabelSegment.clip_id == clip.id)).all()
    labelled = any(counts_as_truth(s) for s in segments)
    clip.label_status = (LabelStatus.labelled if labelled else LabelStatus.unlabelled).value


def prelabel(
    model: WindowRecogniser,
    doc: dict[str, Any],
    clip: DatasetClip,
    *,
    other_label: str,
    stride_s: float = 0.5,
    min_score: float = 0.5,
    on_track: Callable[[int, int], None] | None = None,
) -> list[dict[str, Any]]:
    """Proposed segments: the model's top label per sliding window, merged into runs per track.

    Windows whose top label is the other class or below `min_score` propose nothing.
    `on_track(done, total)` is called before each track and at the end (progress, cancel checks).
    """
    spec: WindowSpec = model.spec
    tracks = clip_tracks(doc, clip)
    proposals: list[dict[str, Any]] = []
    items = sorted(tracks.tracks.items())
    for done, (track_id, series) in enumerate(items):
        if on_track is not None:
            on_track(done, len(items))
        if len(series.frames) < 2:
            continue
        fake = [Segment(tracks.clip_id, track_id, int(series.frames[0]), int(series.frames[-1]) + 1, "x")]
        try:
            ws = build_windows([tracks], fake, ["x", "_"], spec=spec, stride_s=stride_s, min_coverage=0.75)
        except ValueError:
            continue  # track shorter than a window
        scores = np.asarray(model.score(ws.x))
        best = scores.argmax(axis=1)
        first_t = float(tracks.time_of(series.frames[0]))
        ends = first_t + spec.seconds + np.arange(len(best)) * stride_s
        run: dict[str, Any] | None = None
        for end_t, idx, row in zip(ends, best, scores, strict=True):
            label, score = model.labels[idx], float(row[idx])
            start_f = max(int(series.frames[0]), tracks.frame_at(end_t - spec.seconds))
            end_f = min(int(series.frames[-1]) + 1, tracks.frame_at(end_t) + 1)
            keep = label != other_label and score >= min_score
            if run is not None and (not keep or label != run["label"]):
                proposals.append(run)
                run = None
            if keep:
                if run is None:
                    run = {
                        "track_id": track_id,
                        "start_frame": start_f,
                        "end_frame": end_f,
                        "label": label,
                        "score": score,
                    }
                else:
                    run["end_frame"], run["score"] = end_f, max(run["score"], score)
        if run is not None:
            proposals.append(run)
    if on_track is not None:
        on_track(len(items), len(items))
    return proposals


def dataset_windows(db: Session, media_root: Path, dataset: Dataset, spec: WindowSpec | None = None) -> WindowSet:
    """Every ground-truth segment of the dataset's ready clips as normalised training windows."""
    clips = db.scalars(
        select(DatasetClip).where(DatasetClip.dataset_id == dataset.id, DatasetClip.status == ClipStatus.ready.value)
    ).all()
    segments = db.scalars(select(LabelSegment).where(LabelSegment.clip_id.in_([c.id for c in clips]))).all()
    truth = [s for s in segments if counts_as_truth(s) and s.label in dataset.label_names]
    labelled_clips = {s.clip_id for s in truth}
    if not truth:
        raise LabelError("the dataset has no labelled segments yet")
    tracks = [clip_tracks(load_doc(media_root, c), c) for c in clips if c.id in labelled_clips]
    segs = [Segment(str(s.clip_id), s.track_id, s.start_frame, s.end_frame, s.label) for s in truth]
    return build_windows(tracks, segs, dataset.label_names, spec=spec, other_label=dataset.other_label)
