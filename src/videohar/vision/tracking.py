"""ByteTrack-style multi-person tracker: stable ids per camera from per-frame detections.

Each track carries a constant-velocity Kalman filter on its box, driven by the frame's
timestamp (camera frame rates vary). Each frame, detections are matched to tracks in
ByteTrack's order: confident detections to all confirmed tracks, then weak detections to the
tracks still unmatched (a partly hidden person scores low but is still the same person), then
leftover confident detections to tentative tracks; what remains starts new tentative tracks.
Similarity is box IoU against the predicted box, blended with keypoint similarity (OKS) when
both skeletons have enough confident joints, which separates people whose boxes overlap.
Pairs are assigned by the Hungarian method.

A track is confirmed after `min_hits` matches and only then gets a public id (so ids count
people, not detector flicker); it survives `max_age` seconds unseen. One `Tracker` per camera.

>>> tracker = Tracker()
>>> for frame, t in frames:
...     for tracked in tracker.update(backend.estimate(frame), t):
...         print(tracked.track_id, tracked.person.box)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import linear_sum_assignment

from videohar.vision.geometry import iou_matrix, oks_matrix
from videohar.vision.kalman import BoxKalman, KalmanNoise
from videohar.vision.types import Person, TrackedPerson


@dataclass(frozen=True, slots=True)
class TrackerConfig:
    """Tracker settings; defaults suit MoveNet on CCTV views (small people score 0.2-0.45)."""

    high_score: float = 0.3
    """Detections at or above this take part in the first association stage."""
    low_score: float = 0.1
    """Detections below this are ignored; between low and high they only extend existing tracks."""
    new_track_score: float = 0.3
    """An unmatched detection must score at least this to start a track."""
    min_hits: int = 3
    """Matches before a track is confirmed, returned and given an id."""
    max_age: float = 1.0
    """Seconds a confirmed track is kept unseen (occlusion) before it is dropped."""
    match_high: float = 0.2
    """Minimum similarity (IoU/OKS blend) to match in the first stage."""
    match_low: float = 0.3
    """Minimum similarity for weak detections, stricter because they are less reliable."""
    match_tentative: float = 0.3
    """Minimum similarity to extend a tentative track."""
    oks_weight: float = 0.5
    """Weight of OKS in the similarity when both skeletons are confident (0 = IoU only)."""
    keypoint_conf: float = 0.2
    """Joint confidence needed for a joint to count in OKS."""
    oks_min_joints: int = 4
    """Joints both skeletons must share for OKS to be used."""
    noise: KalmanNoise = field(default_factory=KalmanNoise)

    def __post_init__(self) -> None:
        if self.min_hits < 1:
            raise ValueError("min_hits must be at least 1")
        if self.max_age < 0:
            raise ValueError("max_age must be non-negative seconds")
        if not 0.0 <= self.oks_weight <= 1.0:
            raise ValueError("oks_weight must be within 0..1")
        if self.low_score > self.high_score:
            raise ValueError("low_score must not exceed high_score")


class Track:
    """One followed person. `track_id` is None until the track is confirmed."""

    def __init__(self, person: Person, t: float, noise: KalmanNoise) -> None:
        self.track_id: int | None = None
        self.kalman = BoxKalman(person.box, noise)
        self._centre_at_hit = self.kalman.mean[:2].copy()
        self.person = person
        self.first_seen = t
        self.last_seen = t
        self.hits = 1
        self.frames = 1
        self.time_since_update = 0.0

    @property
    def confirmed(self) -> bool:
        return self.track_id is not None

    @property
    def age(self) -> float:
        """Seconds since the track started."""
        return self.last_seen - self.first_seen + self.time_since_update

    @property
    def box(self) -> np.ndarray:
        """The Kalman box (predicted when the person was not seen this frame)."""
        return self.kalman.box

    def hit(self, person: Person, t: float) -> None:
        """Correct the track with its detection in this frame."""
        self.kalman.update(person.box)
        self._centre_at_hit = self.kalman.mean[:2].copy()
        self.person = person
        self.last_seen = t
        self.time_since_update = 0.0
        self.hits += 1
        self.frames += 1

    def predicted_keypoints(self) -> np.ndarray:
        """The last skeleton moved as far as the filter says the person moved since then.

        Only the filter's motion is applied, not its offset from the detected box, so box
        jitter does not leak into the keypoints (which are usually more precise than the box).
        """
        shift = self.kalman.mean[:2] - self._centre_at_hit
        keypoints = self.person.keypoints.copy()
        keypoints[:, :2] += shift.astype(np.float32)
        return keypoints

    def __repr__(self) -> str:
        return (
            f"Track(id={self.track_id}, hits={self.hits}, frames={self.frames}, "
            f"since_update={self.time_since_update:.2f}s)"
        )


class Tracker:
    """Multi-person tracker for one camera; feed it every analysed frame with its timestamp."""

    def __init__(self, config: TrackerConfig | None = None) -> None:
        self.config = config or TrackerConfig()
        self._tracks: list[Track] = []
        self._next_id = 1
        self._last_t: float | None = None
        self.dropped: list[int] = []
        """Ids of confirmed tracks removed by the last `update` (to free per-track state)."""

    @property
    def tracks(self) -> list[Track]:
        """Live tracks, tentative ones included."""
        return list(self._tracks)

    def get(self, track_id: int) -> Track | None:
        return next((tr for tr in self._tracks if tr.track_id == track_id), None)

    def reset(self) -> None:
        """Forget all tracks (source changed). Ids keep increasing so old events stay unambiguous."""
        self.dropped = [tr.track_id for tr in self._tracks if tr.track_id is not None]
        self._tracks = []
        self._last_t = None

    def update(self, people: Sequence[Person], t: float) -> list[TrackedPerson]:
        """Match this frame's detections; return the confirmed tracks seen in it, by id.

        `t` is the frame time in seconds; a timestamp earlier than the previous one is
        treated as no time passing. Each result holds the detection itself (not the Kalman
        box) and `age` = frames since the track started.
        """
        cfg = self.config
        dt = 0.0 if self._last_t is None else max(0.0, t - self._last_t)
        self._last_t = t if self._last_t is None else max(t, self._last_t)
        now = self._last_t
        for track in self._tracks:
            track.kalman.predict(dt)

        people = [p for p in people if p.score >= cfg.low_score and np.isfinite(p.box).all()]
        high = [i for i, p in enumerate(people) if p.score >= cfg.high_score]
        low = [i for i, p in enumerate(people) if p.score < cfg.high_score]
        confirmed = [tr for tr in self._tracks if tr.confirmed]
        tentative = [tr for tr in self._tracks if not tr.confirmed]

        matches, rest_tracks, rest_high = self._associate(confirmed, people, high, cfg.match_high)
        # Unlike ByteTrack, weak detections may also re-find coasting tracks: MoveNet scores small
        # people 0.2-0.45, so a person coming out of an occlusion is often a weak detection first.
        low_matches, _, _ = self._associate(rest_tracks, people, low, cfg.match_low)
        tent_matches, _, new_high = self._associate(tentative, people, rest_high, cfg.match_tentative)

        matched: set[int] = set()
        for track, index in (*matches, *low_matches, *tent_matches):
            track.hit(people[index], now)
            self._confirm_if_due(track)
            matched.add(id(track))
        for index in new_high:
            if people[index].score >= cfg.new_track_score:
                track = Track(people[index], now, cfg.noise)
                self._tracks.append(track)
                self._confirm_if_due(track)
                matched.add(id(track))

        self.dropped = []
        alive = []
        for track in self._tracks:
            if id(track) not in matched:
                track.frames += 1
                track.time_since_update = now - track.last_seen
                if not track.confirmed or track.time_since_update > cfg.max_age:
                    if track.confirmed:
                        self.dropped.append(track.track_id)
                    continue
            alive.append(track)
        self._tracks = alive

        result = [
            TrackedPerson(track_id=tr.track_id, person=tr.person, confirmed=True, age=tr.frames)
            for tr in self._tracks
            if tr.confirmed and tr.time_since_update == 0.0
        ]
        return sorted(result, key=lambda tp: tp.track_id)

    def _confirm_if_due(self, track: Track) -> None:
        if track.track_id is None and track.hits >= self.config.min_hits:
            track.track_id = self._next_id
            self._next_id += 1

    def _similarity(self, tracks: Sequence[Track], dets: Sequence[Person]) -> np.ndarray:
        boxes = np.stack([tr.box for tr in tracks])
        sim = iou_matrix(boxes, np.stack([p.box for p in dets]))
        weight = self.config.oks_weight
        if weight > 0:
            areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
            oks = oks_matrix(
                np.stack([tr.predicted_keypoints() for tr in tracks]),
                np.stack([p.keypoints for p in dets]),
                areas,
                min_conf=self.config.keypoint_conf,
                min_joints=self.config.oks_min_joints,
            )
            sim = np.where(np.isnan(oks), sim, (1.0 - weight) * sim + weight * oks)
        return sim

    def _associate(
        self, tracks: Sequence[Track], people: Sequence[Person], indices: Sequence[int], min_sim: float
    ) -> tuple[list[tuple[Track, int]], list[Track], list[int]]:
        """Hungarian matching of `tracks` to `people[indices]`; returns matches and leftovers."""
        if not tracks or not indices:
            return [], list(tracks), list(indices)
        sim = self._similarity(tracks, [people[i] for i in indices])
        rows, cols = linear_sum_assignment(np.where(sim >= min_sim, 1.0 - sim, 1e6))
        pairs = [(r, c) for r, c in zip(rows, cols, strict=True) if sim[r, c] >= min_sim]
        used_rows = {r for r, _ in pairs}
        used_cols = {c for _, c in pairs}
        return (
            [(tracks[r], indices[c]) for r, c in pairs],
            [tr for k, tr in enumerate(tracks) if k not in used_rows],
            [i for k, i in enumerate(indices) if k not in used_cols],
        )
