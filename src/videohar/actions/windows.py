"""Per-track skeleton history, resampled to a fixed rate, and the one window normalisation.

Trackers deliver people at irregular times (dropped frames, variable analysis fps); models are
trained on fixed-rate windows. `SkeletonBuffer` keeps the raw observations of one track and
resamples them on demand; `normalise_window` is the exact transform trained models see, so
training code imports it from here.

    spec = WindowSpec()
    buffer = SkeletonBuffer()
    buffer.push(t, person)             # every time the tracker sees the track
    window = buffer.window(spec)       # (48, 17, 3) pixels + confidence, or None
    model_input = normalise_window(window, spec)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from videohar.vision.types import Person

NORMALISATIONS = ("midhip_torso", "none")
L_SHOULDER, R_SHOULDER, L_HIP, R_HIP = 5, 6, 11, 12


@dataclass(frozen=True, slots=True)
class WindowSpec:
    """Input contract of a skeleton action model (declared in its ONNX metadata)."""

    T: int = 48
    V: int = 17
    C: int = 3
    fps: float = 16.0
    normalisation: str = "midhip_torso"
    min_score: float = 0.2

    def __post_init__(self) -> None:
        if self.T < 2:
            raise ValueError(f"WindowSpec.T must be >= 2, got {self.T}")
        if self.V != 17:
            raise ValueError(f"WindowSpec.V must be 17 (COCO-17), got {self.V}")
        if self.C != 3:
            raise ValueError(f"WindowSpec.C must be 3 (x, y, score), got {self.C}")
        if not self.fps > 0:
            raise ValueError(f"WindowSpec.fps must be > 0, got {self.fps}")
        if self.normalisation not in NORMALISATIONS:
            raise ValueError(f"unknown normalisation {self.normalisation!r}; known: {NORMALISATIONS}")
        if not 0.0 <= self.min_score <= 1.0:
            raise ValueError(f"WindowSpec.min_score must be in [0, 1], got {self.min_score}")

    @property
    def seconds(self) -> float:
        """Time spanned from the first to the last sample of a window."""
        return (self.T - 1) / self.fps


class SkeletonBuffer:
    """Raw (t, box, keypoints) history of one track, resampled on demand.

    Keeps `keep_seconds` of history so one buffer can serve every recogniser (rules need a
    few seconds of raw pixels, models need their window). Times must not go backwards.
    """

    def __init__(self, keep_seconds: float = 6.0, capacity: int = 512) -> None:
        if keep_seconds <= 0:
            raise ValueError("keep_seconds must be > 0")
        self.keep_seconds = float(keep_seconds)
        self._times = np.empty(capacity, dtype=np.float64)
        self._keypoints = np.empty((capacity, 17, 3), dtype=np.float32)
        self._boxes = np.empty((capacity, 4), dtype=np.float32)
        self._start = 0
        self._end = 0
        self.last_person: Person | None = None

    def __len__(self) -> int:
        return self._end - self._start

    def push(self, t: float, person: Person) -> None:
        t = float(t)
        if not np.isfinite(t):
            raise ValueError(f"timestamp must be finite, got {t}")
        if len(self) and t < self._times[self._end - 1]:
            raise ValueError(f"timestamps must not go backwards ({t} < {self._times[self._end - 1]})")
        keypoints = np.asarray(person.keypoints, dtype=np.float32)
        if keypoints.shape != (17, 3) or not np.all(np.isfinite(keypoints)):
            raise ValueError("person keypoints must be a finite (17, 3) array")
        if len(self) and t == self._times[self._end - 1]:
            self._end -= 1  # same instant seen twice: the later observation wins
        self._drop_older_than(t - self.keep_seconds)
        if self._end == len(self._times):
            self._compact()
        self._times[self._end] = t
        self._keypoints[self._end] = keypoints
        self._boxes[self._end] = person.box
        self._end += 1
        self.last_person = person

    def _drop_older_than(self, cutoff: float) -> None:
        # Keep one observation before the cutoff so interpolation at the cutoff stays possible.
        index = int(np.searchsorted(self._times[self._start : self._end], cutoff, side="right"))
        self._start += max(0, index - 1)

    def _compact(self) -> None:
        count = len(self)
        if count == len(self._times):  # full of recent data: grow
            grown = len(self._times) * 2
            self._times = np.resize(self._times, grown)
            self._keypoints = np.resize(self._keypoints, (grown, 17, 3))
            self._boxes = np.resize(self._boxes, (grown, 4))
            return
        for array in (self._times, self._keypoints, self._boxes):
            array[:count] = array[self._start : self._end]
        self._start, self._end = 0, count

    @property
    def times(self) -> np.ndarray:
        """Observation times, oldest first (a view; do not modify)."""
        return self._times[self._start : self._end]

    @property
    def keypoints(self) -> np.ndarray:
        """Raw (n, 17, 3) pixel keypoints, oldest first (a view; do not modify)."""
        return self._keypoints[self._start : self._end]

    @property
    def boxes(self) -> np.ndarray:
        """Raw (n, 4) xyxy pixel boxes, oldest first (a view; do not modify)."""
        return self._boxes[self._start : self._end]

    @property
    def last_time(self) -> float | None:
        return float(self._times[self._end - 1]) if len(self) else None

    def sample_times(self, spec: WindowSpec, end: float | None = None) -> np.ndarray:
        end = self.last_time if end is None else float(end)
        if end is None:
            raise ValueError("empty buffer has no sample times")
        return end - np.arange(spec.T - 1, -1, -1, dtype=np.float64) / spec.fps

    def resample(self, sample_times: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Linearly interpolated (n, 17, 3) keypoints and (n, 4) boxes at `sample_times`.

        Times before the first observation hold the first observation (edge padding).
        """
        if not len(self):
            raise ValueError("empty buffer cannot be resampled")
        times = self.times
        sample_times = np.asarray(sample_times, dtype=np.float64)
        if len(times) == 1:
            n = len(sample_times)
            return np.repeat(self.keypoints, n, axis=0), np.repeat(self.boxes, n, axis=0)
        index = np.clip(np.searchsorted(times, sample_times, side="right"), 1, len(times) - 1)
        t0, t1 = times[index - 1], times[index]
        weight = np.clip((sample_times - t0) / np.maximum(t1 - t0, 1e-9), 0.0, 1.0).astype(np.float32)
        keypoints = self.keypoints
        boxes = self.boxes
        w_k = weight[:, None, None]
        w_b = weight[:, None]
        out_k = keypoints[index - 1] * (1.0 - w_k) + keypoints[index] * w_k
        out_b = boxes[index - 1] * (1.0 - w_b) + boxes[index] * w_b
        return out_k.astype(np.float32), out_b.astype(np.float32)

    def coverage(self, spec: WindowSpec) -> float:
        """Fraction of the window duration that real observations span."""
        if len(self) < 2:
            return 0.0
        return min(1.0, float(self.times[-1] - self.times[0]) / spec.seconds)

    def window(self, spec: WindowSpec, *, min_coverage: float = 0.75) -> np.ndarray | None:
        """(T, 17, 3) pixel keypoints at the spec's rate ending at the last observation.

        None until observations span `min_coverage` of the window; the uncovered start is
        padded with the first observation (as the NFD engine pads its histories).
        """
        if spec.seconds > self.keep_seconds + 1e-9:
            raise ValueError(f"window of {spec.seconds:.2f}s exceeds keep_seconds={self.keep_seconds}")
        if self.coverage(spec) + 1e-9 < min_coverage:
            return None
        keypoints, _ = self.resample(self.sample_times(spec))
        return keypoints


def _fill_nan_rows(values: np.ndarray) -> np.ndarray:
    """Fill NaN rows of a (T, k) array by linear interpolation over frame index."""
    valid = ~np.isnan(values).any(axis=1)
    if valid.all() or not valid.any():
        return values
    frames = np.arange(len(values))
    out = values.copy()
    for column in range(values.shape[1]):
        out[:, column] = np.interp(frames, frames[valid], values[valid, column])
    return out


def _joint_midpoint(kps: np.ndarray, valid: np.ndarray, a: int, b: int) -> np.ndarray:
    """(T, 2) midpoint of joints a and b per frame, using one side when only one is valid; NaN if none."""
    va = valid[:, a : a + 1]
    vb = valid[:, b : b + 1]
    total = va.astype(np.float32) + vb
    summed = kps[:, a, :2] * va + kps[:, b, :2] * vb
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, summed / np.maximum(total, 1), np.nan)


def normalise_window(kps: np.ndarray, spec: WindowSpec) -> np.ndarray:
    """The model-input transform: centre on mid-hip, scale by torso length, zero weak joints.

    `kps` is (T, 17, 3) pixel x, y, confidence. Per frame the centre is the mid-hip (one hip
    if only one is seen; frames with neither are interpolated from neighbours); the scale is
    the median torso length (mid-shoulder to mid-hip) over the window, robust to a few bad
    frames; joints with confidence < `spec.min_score` become (0, 0, 0); the confidence stays
    as channel 3. A window with no usable joints is all zeros.
    """
    kps = np.asarray(kps, dtype=np.float32)
    if kps.shape != (spec.T, spec.V, spec.C):
        raise ValueError(f"expected keypoints of shape {(spec.T, spec.V, spec.C)}, got {kps.shape}")
    if not np.all(np.isfinite(kps)):
        raise ValueError("keypoints contain NaN or infinity")
    valid = kps[:, :, 2] >= spec.min_score
    if spec.normalisation == "none":
        return np.where(valid[:, :, None], kps, 0.0).astype(np.float32)
    if not valid.any():
        return np.zeros_like(kps)

    hips = _joint_midpoint(kps, valid, L_HIP, R_HIP)
    shoulders = _joint_midpoint(kps, valid, L_SHOULDER, R_SHOULDER)
    if np.isnan(hips).all():
        # No hip in the whole window: fall back to the centroid of the visible joints.
        counts = valid.sum(axis=1, keepdims=True)
        with np.errstate(invalid="ignore", divide="ignore"):
            hips = np.where(counts > 0, (kps[:, :, :2] * valid[:, :, None]).sum(axis=1) / counts, np.nan)
    centre = _fill_nan_rows(hips)

    torso = np.linalg.norm(shoulders - hips, axis=1)
    torso = torso[np.isfinite(torso) & (torso > 1e-3)]
    if len(torso):
        scale = float(np.median(torso))
    else:  # no frame with both a shoulder and a hip: a torso is ~0.3 of the visible extent
        extent = [np.ptp(kps[f, valid[f], 1]) if valid[f].sum() >= 2 else np.nan for f in range(spec.T)]
        scale = 0.3 * float(np.nanmedian(extent)) if np.isfinite(extent).any() else 1.0
    scale = max(scale, 1e-3)

    out = np.zeros_like(kps)
    out[:, :, :2] = (kps[:, :, :2] - centre[:, None, :]) / scale
    out[:, :, 2] = kps[:, :, 2]
    out[~valid] = 0.0
    return out
