"""Moving labelled data between a dataset and the mmaction2 / pyskl annotation pickle (API and CLI)."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from videohar.datasets import clips as clip_store
from videohar.datasets import labels as labelling
from videohar.datasets.mmaction import build_annotations, parse_annotations
from videohar.db.training_models import ClipStatus, Dataset, DatasetClip, LabelSegment, LabelStatus


def export_pickle(db: Session, media: Path, dataset: Dataset) -> bytes | None:
    clips = db.scalars(
        select(DatasetClip).where(DatasetClip.dataset_id == dataset.id, DatasetClip.status == ClipStatus.ready.value)
    ).all()
    index = {name: i for i, name in enumerate(dataset.label_names)}
    samples, splits = [], {"train": [], "val": []}
    for n, clip in enumerate(sorted(clips, key=lambda c: c.id)):
        segs = [
            s
            for s in db.scalars(select(LabelSegment).where(LabelSegment.clip_id == clip.id))
            if labelling.counts_as_truth(s) and s.label in index
        ]
        if not segs:
            continue
        doc = clip_store.load_doc(media, clip)
        for s in segs:
            name = f"clip{clip.id}_track{s.track_id}_{s.start_frame}-{s.end_frame}"
            samples.append((name, index[s.label], doc, s.track_id, s.start_frame, s.end_frame))
            splits["val" if n % 5 == 4 else "train"].append(name)
    return build_annotations(samples, splits) if samples else None


def import_pickle(db: Session, media: Path, dataset: Dataset, data: bytes, *, fps: float) -> dict[str, Any]:
    """Each annotation becomes a skeleton-only clip with one segment per person over all its frames;
    `label` indexes the dataset's label set (labels out of range are skipped and reported)."""
    samples = parse_annotations(data, fps=fps)
    names = dataset.label_names
    skipped: set[int] = set()
    n_clips = n_segments = 0
    created: list[DatasetClip] = []
    try:
        for sample in samples:
            if not 0 <= sample.label < len(names) or not sample.track_ids:
                skipped.add(sample.label)
                continue
            group = "" if sample.split is None else f"import-{sample.split}"
            clip = clip_store.add_skeleton_clip(
                db, media, dataset, sample.doc, name=sample.name, source="import", group=group
            )
            created.append(clip)
            n_clips += 1
            for track_id in sample.track_ids:
                db.add(
                    LabelSegment(
                        clip_id=clip.id,
                        track_id=track_id,
                        start_frame=0,
                        end_frame=clip.frames,
                        label=names[sample.label],
                        source="import",
                        accepted=True,
                    )
                )
                n_segments += 1
            clip.label_status = LabelStatus.labelled.value
        db.flush()
    except BaseException:
        for clip in created:
            with contextlib.suppress(Exception):
                clip_store.remove_clip_files(media, clip)
        raise
    return {"clips": n_clips, "segments": n_segments, "skipped_labels": sorted(skipped)}
