"""Labelled skeleton windows for training: from per-clip tracks and labelled segments.

Tracks are resampled to the window rate with `SkeletonBuffer` and normalised with
`normalise_window`, the exact transform the recognition workers apply, so a trained model
sees at inference what it saw in training. Numpy only (no torch).

    clips = [ClipTracks.from_frames("clip1", fps=10, frames=per_frame_tracks)]
    segments = [Segment("clip1", track_id=3, start_frame=20, end_frame=80, label="walk")]
    ws = build_windows(clips, segments, labels=["walk", "fall", "other"], other_label="other")
    train, val = split_windows(ws, val_fraction=0.2, by="clip", seed=0)
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from videohar.actions.windows import SkeletonBuffer, WindowSpec, normalise_window
from videohar.vision.types import Person


@dataclass(slots=True)
class TrackSeries:
    """One person's keypoints over a clip: frame indices (n,) ascending and (n, 17, 3) pixels."""

    frames: np.ndarray
    keypoints: np.ndarray

    def __post_init__(self) -> None:
        self.frames = np.asarray(self.frames, dtype=np.int64).reshape(-1)
        self.keypoints = np.asarray(self.keypoints, dtype=np.float32)
        if self.keypoints.shape != (len(self.frames), 17, 3):
            raise ValueError(f"keypoints must be ({len(self.frames)}, 17, 3), got {self.keypoints.shape}")
        if len(self.frames) and np.any(np.diff(self.frames) <= 0):
            raise ValueError("track frames must be strictly increasing")
        if not np.all(np.isfinite(self.keypoints)):
            raise ValueError("keypoints contain NaN or infinity")


@dataclass(slots=True)
class ClipTracks:
    """Skeleton tracks of one clip. `group` (camera / site) keeps related clips in one split."""

    clip_id: str
    fps: float
    tracks: dict[int, TrackSeries]
    group: str | None = None
    times: np.ndarray | None = None
    """Seconds of each frame index. Recorded and event clips keep their capture times, which are
    uneven (a slow first frame, drops); windows must see motion at its real speed, as workers do.
    None = frames evenly spaced at `fps` (uploads, imports)."""

    def __post_init__(self) -> None:
        if not self.fps > 0:
            raise ValueError(f"clip {self.clip_id!r}: fps must be > 0, got {self.fps}")
        if self.times is not None:
            self.times = np.asarray(self.times, dtype=np.float64).reshape(-1)
            if not np.all(np.isfinite(self.times)) or np.any(np.diff(self.times) <= 0):
                raise ValueError(f"clip {self.clip_id!r}: frame times must be finite and strictly increasing")

    def time_of(self, frames: np.ndarray | int) -> np.ndarray:
        """Seconds of frame indices (past the last known time: extrapolated at `fps`)."""
        f = np.asarray(frames, dtype=np.float64)
        if self.times is None or not len(self.times):
            return f / self.fps
        last = len(self.times) - 1
        inside = self.times[np.clip(f, 0, last).astype(np.int64)]
        return np.where(f > last, self.times[last] + (f - last) / self.fps, inside)

    def frame_at(self, t: float) -> int:
        """The frame shown at time `t` (the last one that started by then)."""
        if self.times is None or not len(self.times):
            return round(t * self.fps)
        return max(0, int(np.searchsorted(self.times, t + 1e-6, side="right")) - 1)

    @classmethod
    def from_frames(
        cls,
        clip_id: str,
        fps: float,
        frames: Iterable[Iterable[tuple[int, np.ndarray]]],
        group: str | None = None,
        times: Sequence[float] | None = None,
    ) -> ClipTracks:
        """From per-frame lists of (track id, (17, 3) keypoints), frame index = position."""
        per_track: dict[int, tuple[list[int], list[np.ndarray]]] = defaultdict(lambda: ([], []))
        for index, people in enumerate(frames):
            for track_id, keypoints in people:
                f, k = per_track[int(track_id)]
                f.append(index)
                k.append(np.asarray(keypoints, dtype=np.float32))
        tracks = {
            tid: TrackSeries(np.asarray(f), np.stack(k) if k else np.zeros((0, 17, 3), np.float32))
            for tid, (f, k) in per_track.items()
        }
        frame_times = None if times is None else np.asarray(times, dtype=np.float64)
        return cls(clip_id=clip_id, fps=fps, tracks=tracks, group=group, times=frame_times)


@dataclass(frozen=True, slots=True)
class Segment:
    """Label of one track over frames [start_frame, end_frame) of a clip."""

    clip_id: str
    track_id: int
    start_frame: int
    end_frame: int
    label: str


@dataclass(slots=True)
class WindowSet:
    """Normalised windows x (N, T, V, C), label indices y (N,) into `labels`, and per-window
    clip id and split group (camera group, or the clip id when none)."""

    x: np.ndarray
    y: np.ndarray
    labels: tuple[str, ...]
    clip_ids: np.ndarray
    groups: np.ndarray
    spec: WindowSpec = field(default_factory=WindowSpec)

    def __post_init__(self) -> None:
        self.labels = tuple(self.labels)
        if len(self.labels) < 2 or len(set(self.labels)) != len(self.labels):
            raise ValueError(f"labels must be at least 2 distinct names, got {list(self.labels)}")
        self.x = np.asarray(self.x, dtype=np.float32)
        self.y = np.asarray(self.y, dtype=np.int64).reshape(-1)
        n = len(self.y)
        expected = (n, self.spec.T, self.spec.V, self.spec.C)
        if self.x.shape != expected:
            raise ValueError(f"windows must have shape (N, T, V, C) = {expected}, got {self.x.shape}")
        if n and (self.y.min() < 0 or self.y.max() >= len(self.labels)):
            raise ValueError(f"label indices must be in [0, {len(self.labels)}), got {self.y.min()}..{self.y.max()}")
        if not np.all(np.isfinite(self.x)):
            raise ValueError("windows contain NaN or infinity")
        self.clip_ids = np.asarray(self.clip_ids, dtype=str).reshape(-1)
        self.groups = np.asarray(self.groups, dtype=str).reshape(-1)
        if len(self.clip_ids) != n or len(self.groups) != n:
            raise ValueError("clip_ids and groups need one entry per window")

    @classmethod
    def from_arrays(
        cls,
        x: np.ndarray,
        y: Sequence[int] | np.ndarray,
        labels: Sequence[str],
        clip_ids: Sequence[str] | np.ndarray | None = None,
        groups: Sequence[str] | np.ndarray | None = None,
        spec: WindowSpec | None = None,
    ) -> WindowSet:
        """Already-normalised windows; each window is its own clip unless clip_ids say otherwise."""
        n = len(np.asarray(y).reshape(-1))
        clip_ids = np.arange(n).astype(str) if clip_ids is None else clip_ids
        groups = clip_ids if groups is None else groups
        return cls(x, y, tuple(labels), clip_ids, groups, spec or WindowSpec())

    def __len__(self) -> int:
        return len(self.y)

    def subset(self, index: np.ndarray | Sequence[int]) -> WindowSet:
        index = np.asarray(index, dtype=np.int64)
        return WindowSet(self.x[index], self.y[index], self.labels, self.clip_ids[index], self.groups[index], self.spec)

    def class_counts(self) -> np.ndarray:
        return np.bincount(self.y, minlength=len(self.labels))

    def fingerprint(self) -> str:
        """Content hash, so a checkpoint is only resumed on the data it was trained on."""
        h = hashlib.sha256()
        h.update(repr((self.labels, self.x.shape, self.spec)).encode())
        h.update(np.ascontiguousarray(self.x).tobytes())
        h.update(self.y.tobytes())
        return h.hexdigest()

    def save(self, path: str | Path) -> None:
        s = self.spec
        np.savez_compressed(
            path,
            x=self.x,
            y=self.y,
            labels=np.asarray(self.labels, dtype=str),
            clip_ids=self.clip_ids,
            groups=self.groups,
            spec=np.asarray([s.T, s.V, s.C, s.fps, s.min_score], dtype=np.float64),
            normalisation=np.asarray(s.normalisation),
        )

    @classmethod
    def load(cls, path: str | Path) -> WindowSet:
        with np.load(path, allow_pickle=False) as d:
            t, v, c, fps, min_score = d["spec"].tolist()
            spec = WindowSpec(T=int(t), V=int(v), C=int(c), fps=fps, min_score=min_score,
                              normalisation=str(d["normalisation"]))  # fmt: skip
            return cls(d["x"], d["y"], tuple(d["labels"].tolist()), d["clip_ids"], d["groups"], spec)


def concat(sets: Sequence[WindowSet]) -> WindowSet:
    if not sets:
        raise ValueError("nothing to concatenate")
    first = sets[0]
    for s in sets[1:]:
        if s.labels != first.labels or s.spec != first.spec:
            raise ValueError("window sets have different labels or specs")
    return WindowSet(
        np.concatenate([s.x for s in sets]),
        np.concatenate([s.y for s in sets]),
        first.labels,
        np.concatenate([s.clip_ids for s in sets]),
        np.concatenate([s.groups for s in sets]),
        first.spec,
    )


def _track_buffer(track: TrackSeries, clip: ClipTracks) -> SkeletonBuffer:
    times = clip.time_of(track.frames)
    span = float(times[-1] - times[0]) if len(times) else 0.0
    buffer = SkeletonBuffer(keep_seconds=span + 10.0, capacity=max(8, len(times)))
    box = np.zeros(4, np.float32)
    for t, kps in zip(times, track.keypoints, strict=True):
        buffer.push(float(t), Person(box=box, score=0.0, keypoints=kps))
    return buffer


def _window_ends(start: float, end: float, duration: float, stride: float) -> np.ndarray:
    """End times of windows sliding over [start, end]; one centred window if the span is shorter."""
    if end - start < duration:
        return np.asarray([(start + end) / 2 + duration / 2])
    return np.arange(start + duration, end + 1e-9, stride)


def _subtract(span: tuple[float, float], cuts: list[tuple[float, float]]) -> list[tuple[float, float]]:
    pieces = [span]
    for a, b in sorted(cuts):
        nxt = []
        for s, e in pieces:
            if b <= s or a >= e:
                nxt.append((s, e))
                continue
            if a > s:
                nxt.append((s, a))
            if b < e:
                nxt.append((b, e))
        pieces = nxt
    return pieces


def build_windows(
    clips: Sequence[ClipTracks],
    segments: Sequence[Segment],
    labels: Sequence[str],
    *,
    spec: WindowSpec | None = None,
    stride_s: float = 0.5,
    min_coverage: float = 0.5,
    other_label: str | None = None,
    other_stride_s: float = 1.0,
    other_margin_s: float = 0.5,
    max_other_ratio: float = 1.0,
    seed: int = 0,
) -> WindowSet:
    """Sliding windows over every labelled segment, plus `other_label` windows from unlabelled
    track time (at least `other_margin_s` away from any segment; capped at `max_other_ratio`
    times the largest labelled class). A window is kept when the track covers at least
    `min_coverage` of it; segments shorter than a window get one window centred on them."""
    spec = spec or WindowSpec()
    labels = tuple(labels)
    if len(labels) < 2 or len(set(labels)) != len(labels):
        raise ValueError(f"labels must be at least 2 distinct names, got {list(labels)}")
    if stride_s <= 0 or other_stride_s <= 0:
        raise ValueError("strides must be > 0")
    if other_label is not None and other_label not in labels:
        raise ValueError(f"other_label {other_label!r} is not one of the labels {list(labels)}")
    label_index = {name: i for i, name in enumerate(labels)}
    by_clip = {c.clip_id: c for c in clips}
    if len(by_clip) != len(clips):
        raise ValueError("clip ids must be unique")
    for s in segments:
        if s.label not in label_index:
            raise ValueError(f"segment label {s.label!r} is not one of the labels {list(labels)}")
        if s.clip_id not in by_clip:
            raise ValueError(f"segment refers to unknown clip {s.clip_id!r}")
        if s.track_id not in by_clip[s.clip_id].tracks:
            raise ValueError(f"segment refers to unknown track {s.track_id} in clip {s.clip_id!r}")
        if s.end_frame <= s.start_frame:
            raise ValueError(f"segment end_frame must be > start_frame, got {s.start_frame}..{s.end_frame}")

    duration = spec.seconds
    offsets = np.arange(spec.T - 1, -1, -1, dtype=np.float64) / spec.fps
    labelled: list[tuple[str, str, np.ndarray, int]] = []  # (clip, group, window, label)
    unlabelled: list[tuple[str, str, np.ndarray]] = []
    segs_by_track: dict[tuple[str, int], list[Segment]] = defaultdict(list)
    for s in segments:
        segs_by_track[(s.clip_id, s.track_id)].append(s)
    track_keys = set(segs_by_track)
    if other_label is not None:
        track_keys |= {(c.clip_id, tid) for c in clips for tid, tr in c.tracks.items() if len(tr.frames)}

    for clip_id, track_id in sorted(track_keys):
        clip = by_clip[clip_id]
        track = clip.tracks[track_id]
        if len(track.frames) == 0:
            continue
        group = clip.group or clip.clip_id
        buffer = _track_buffer(track, clip)
        t0, t1 = float(buffer.times[0]), float(buffer.times[-1])

        def window_at(end: float, buffer=buffer, t0=t0, t1=t1) -> np.ndarray | None:
            covered = min(end, t1) - max(end - duration, t0)
            if covered < min_coverage * duration:
                return None
            keypoints, _ = buffer.resample(end - offsets)
            return normalise_window(keypoints, spec)

        track_segments = segs_by_track.get((clip_id, track_id), [])
        for s in track_segments:
            first, last = float(clip.time_of(s.start_frame)), float(clip.time_of(s.end_frame - 1))  # end exclusive
            for end in _window_ends(first, last, duration, stride_s):
                w = window_at(float(end))
                if w is not None:
                    labelled.append((clip_id, group, w, label_index[s.label]))
        if other_label is not None:
            cuts = [(float(clip.time_of(s.start_frame)) - other_margin_s,
                     float(clip.time_of(s.end_frame - 1)) + other_margin_s) for s in track_segments]  # fmt: skip
            for a, b in _subtract((t0, t1), cuts):
                if b - a < duration:
                    continue
                for end in np.arange(a + duration, b + 1e-9, other_stride_s):
                    w = window_at(float(end))
                    if w is not None:
                        unlabelled.append((clip_id, group, w))

    if other_label is not None and unlabelled:
        counts = np.bincount([w[3] for w in labelled], minlength=len(labels)) if labelled else np.zeros(1)
        cap = max(1, int(max_other_ratio * counts.max())) if labelled else len(unlabelled)
        if len(unlabelled) > cap:
            keep = np.sort(np.random.default_rng(seed).choice(len(unlabelled), cap, replace=False))
            unlabelled = [unlabelled[i] for i in keep]
        other = label_index[other_label]
        labelled.extend((c, g, w, other) for c, g, w in unlabelled)

    if not labelled:
        raise ValueError("no windows: no segment overlaps a track long enough for a window")
    return WindowSet(
        np.stack([w[2] for w in labelled]),
        np.asarray([w[3] for w in labelled]),
        labels,
        np.asarray([w[0] for w in labelled]),
        np.asarray([w[1] for w in labelled]),
        spec,
    )


def split_windows(
    windows: WindowSet, val_fraction: float = 0.2, *, by: str = "clip", seed: int = 0
) -> tuple[WindowSet, WindowSet]:
    """Split by clip or by camera group, so all windows of one clip land in one split.

    Groups are taken into the validation split at random, but first one group for each
    class that appears in at least two groups, so validation covers every class it can;
    a group is never taken when it holds the last training windows of a class (a class seen
    in one clip only must be learnt, not just validated).
    """
    if not 0 < val_fraction < 1:
        raise ValueError(f"val_fraction must be in (0, 1), got {val_fraction}")
    if by not in ("clip", "group"):
        raise ValueError(f"split by 'clip' or 'group', got {by!r}")
    keys = windows.clip_ids if by == "clip" else windows.groups
    uniq, inverse = np.unique(keys, return_inverse=True)
    if len(uniq) < 2:
        raise ValueError(f"need at least 2 distinct {by}s to split without leakage, got {len(uniq)}")
    rng = np.random.default_rng(seed)
    n_classes = len(windows.labels)
    per_group = np.zeros((len(uniq), n_classes), dtype=np.int64)
    np.add.at(per_group, (inverse, windows.y), 1)
    target = val_fraction * len(windows)
    chosen = np.zeros(len(uniq), dtype=bool)
    order = rng.permutation(len(uniq))

    def leaves_train_coverage(g: int) -> bool:
        in_train = per_group[~chosen].sum(axis=0) - per_group[g]
        return bool(np.all(in_train[per_group[g] > 0] > 0))

    for cls in np.argsort(per_group.sum(axis=0)):
        holders = [g for g in order if per_group[g, cls] > 0]
        if len(holders) < 2 or any(chosen[g] for g in holders) or not leaves_train_coverage(holders[0]):
            continue
        if per_group[chosen].sum() + per_group[holders[0]].sum() <= max(target, 1) * 1.5:
            chosen[holders[0]] = True
    for g in order:
        if per_group[chosen].sum() >= target or chosen.sum() == len(uniq) - 1:
            break
        if leaves_train_coverage(g):
            chosen[g] = True
    if not chosen.any():
        chosen[order[0]] = True
    val_mask = chosen[inverse]
    return windows.subset(np.flatnonzero(~val_mask)), windows.subset(np.flatnonzero(val_mask))


def class_weights(y: np.ndarray, num_classes: int) -> np.ndarray:
    """Inverse-frequency weights with mean 1 over present classes (absent classes get 0)."""
    counts = np.bincount(np.asarray(y, dtype=np.int64), minlength=num_classes).astype(np.float64)
    weights = np.where(counts > 0, 1.0 / np.maximum(counts, 1), 0.0)
    present = counts > 0
    if present.any():
        weights[present] /= weights[present].mean()
    return weights.astype(np.float32)
