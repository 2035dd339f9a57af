"""The `prelabel` job: a registered model proposes segments on a clip; a user accepts or rejects them.

Scoring every track of a clip takes about 0.5 s per track-minute with the default ST-GCN++ on one
core (a 60 s clip with 5 people: ~2.5 s), too long for a request, so it runs as a job with
progress. Proposals are `LabelSegment(source="model", accepted=None)`; a new run replaces only the
pending ones, and proposes nothing a user already decided (same track and label, overlapping an
accepted, rejected or user-made segment).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from videohar.db.training_models import Dataset, DatasetClip, LabelSegment


def _overlaps(a: dict[str, Any], b: LabelSegment) -> bool:
    same = a["track_id"] == b.track_id and a["label"] == b.label
    return same and a["start_frame"] < b.end_frame and b.start_frame < a["end_frame"]


def store_proposals(db: Session, dataset: Dataset, clip: DatasetClip, proposals: list[dict[str, Any]]) -> int:
    """Replace the clip's pending proposals with `proposals` (labels of the dataset only); how many were stored."""
    existing = db.scalars(select(LabelSegment).where(LabelSegment.clip_id == clip.id)).all()
    decided = []
    for segment in existing:
        if segment.source == "model" and segment.accepted is None:
            db.delete(segment)
        else:
            decided.append(segment)
    stored = 0
    names = set(dataset.label_names)
    for p in proposals:
        if p["label"] not in names or any(_overlaps(p, d) for d in decided):
            continue
        db.add(LabelSegment(clip_id=clip.id, source="model", accepted=None, **p))
        stored += 1
    db.flush()
    return stored


def run_prelabel_job(ctx) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """Params {clip_id, model_id, min_score}; progress is the fraction of tracks scored."""
    from videohar.actions.onnx_model import ModelSpecError
    from videohar.config import get_settings
    from videohar.datasets import labels as labelling
    from videohar.datasets.clips import ClipSourceError, load_doc
    from videohar.db.session import session_scope
    from videohar.training.jobs import JobFailed
    from videohar.worker.models import load_verified

    media = get_settings().media_path
    clip_id, model_id = int(ctx.params["clip_id"]), int(ctx.params["model_id"])
    try:
        model = load_verified(model_id, media)
    except LookupError:
        raise JobFailed(f"model {model_id} is no longer in the registry") from None
    except (OSError, ValueError, ModelSpecError) as exc:
        raise JobFailed(f"model {model_id} cannot be loaded: {exc}") from None
    with session_scope() as db:
        clip = db.get(DatasetClip, clip_id)
        if clip is None:
            raise JobFailed("the clip was deleted")
        try:
            doc = load_doc(media, clip)
        except (ClipSourceError, OSError, ValueError) as exc:
            raise JobFailed(f"the clip's skeleton file cannot be read: {exc}") from None
        other = clip.dataset.other_label
        db.expunge(clip)

    def on_track(done: int, total: int) -> None:
        ctx.check_cancel()
        ctx.progress(fraction=round(0.99 * done / max(total, 1), 3), tracks=done, of=total)

    proposals = labelling.prelabel(
        model, doc, clip, other_label=other, min_score=float(ctx.params.get("min_score", 0.5)), on_track=on_track
    )
    with session_scope() as db:
        clip = db.get(DatasetClip, clip_id)
        if clip is None:
            raise JobFailed("the clip was deleted while it was pre-labelled")
        stored = store_proposals(db, clip.dataset, clip, proposals)
        labelling.refresh_label_status(db, clip)
    ctx.progress(fraction=1.0)
    return {"clip_id": clip_id, "model_id": model_id, "proposals": stored}
