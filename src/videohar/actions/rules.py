"""Geometric action rules on raw pixel history: fall, lying, hands up, running, loitering, intrusion.

Every measure is relative to the person's own upright body height in pixels (the camera is a
fixed CCTV looking down at an angle, so pixel sizes change with distance and tilt). Scores are
in [0, 1]; 1 means the rule's condition holds. Sustain and flicker are handled twice: rules
that need a duration measure it here (lying, hands up, loitering), and the event engine adds
hysteresis on top.
"""

from __future__ import annotations

import warnings
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from videohar.actions.base import Recogniser, RecogniserContext, TrackScores, foot_point, register_recogniser
from videohar.actions.fall_state import FallConfig, FallStateMachine, FallVerdict
from videohar.actions.geometry import HEAD, L_HIP, L_SHOULDER, L_WRIST, R_HIP, R_SHOULDER, R_WRIST, clamp01
from videohar.actions.windows import SkeletonBuffer

RULE_LABELS = ("fall", "lying", "hands_up", "running", "loitering", "intrusion")


@dataclass(frozen=True, slots=True)
class RuleConfig:
    fall: FallConfig = field(default_factory=FallConfig)
    joint_min_score: float = 0.3
    lying_seconds: float = 1.5
    """How long the posture must stay down before `lying` scores 1."""
    hands_up_seconds: float = 1.0
    running_seconds: float = 1.0
    """Speed is the displacement over this span."""
    running_speed: float = 1.5
    """Body heights per second where `running` scores 0.5."""
    running_ramp: float = 0.4
    """Speed band (each side of `running_speed`) over which the score ramps 0 -> 1."""
    area_exit_grace_seconds: float = 2.0
    """Time outside an area after which loitering dwell restarts."""
    min_coverage: float = 0.8
    """Fraction of a sustain span that observations must cover before a rule may score."""


@dataclass(slots=True)
class _TrackState:
    lying: deque[tuple[float, bool]] = field(default_factory=deque)
    area_entered: dict[str, float] = field(default_factory=dict)
    area_last_inside: dict[str, float] = field(default_factory=dict)
    last_verdict: FallVerdict | None = None


def _sustained(flags: deque[tuple[float, bool]], t: float, span: float, min_coverage: float) -> float:
    """Fraction of the samples in (t - span, t] that are True, 0 until the span is covered."""
    while flags and flags[0][0] < t - span - 1.0:
        flags.popleft()
    recent = [flag for time, flag in flags if time > t - span - 1e-9]
    times = [time for time, _ in flags if time > t - span - 1e-9]
    if len(recent) < 2 or times[-1] - times[0] < min_coverage * span:
        return 0.0
    return float(np.mean(recent))


def hands_up_flags(keypoints: np.ndarray, min_score: float) -> np.ndarray:
    """(n,) True where both wrists are above the head (nose/eyes/ears; shoulders + half a torso if unseen)."""
    kps = np.asarray(keypoints)
    score = kps[:, :, 2] >= min_score
    head_y = np.where(score[:, HEAD], kps[:, HEAD, 1], np.nan)
    shoulder_y = np.where(score[:, [L_SHOULDER, R_SHOULDER]], kps[:, [L_SHOULDER, R_SHOULDER], 1], np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # rows without any head / shoulder joint
        head = np.nanmin(head_y, axis=1)
        shoulder = np.nanmean(shoulder_y, axis=1)
    # Without a visible head, half a shoulder width above the shoulders stands in for it.
    width = np.abs(kps[:, L_SHOULDER, 0] - kps[:, R_SHOULDER, 0])
    reference = np.where(np.isnan(head), shoulder - 0.5 * width, head)
    # Upright order (head over shoulders over hips) rules out people lying towards the camera.
    hips_y = np.where(score[:, [L_HIP, R_HIP]], kps[:, [L_HIP, R_HIP], 1], np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        hip = np.nanmean(hips_y, axis=1)
    upright = ~(shoulder >= hip) & ~(reference >= shoulder)
    wrists_ok = score[:, L_WRIST] & score[:, R_WRIST] & np.isfinite(reference) & upright
    highest_wrist = np.maximum(kps[:, L_WRIST, 1], kps[:, R_WRIST, 1])  # image y grows downwards
    return wrists_ok & (highest_wrist < reference)


@register_recogniser("rules")
class RuleRecogniser(Recogniser):
    """All geometric rules of one camera; `labels` limits which ones are scored."""

    name = "rules"

    def __init__(self, config: RuleConfig | None = None, labels: tuple[str, ...] = RULE_LABELS) -> None:
        unknown = set(labels) - set(RULE_LABELS)
        if unknown:
            raise ValueError(f"unknown rule labels {sorted(unknown)}; known: {RULE_LABELS}")
        self.config = config or RuleConfig()
        self.labels = tuple(labels)
        self.falls = FallStateMachine(self.config.fall)
        self._tracks: dict[int, _TrackState] = {}

    def forget(self, track_id: int) -> None:
        self._tracks.pop(track_id, None)
        self.falls.forget(track_id)

    def verdict(self, track_id: int) -> FallVerdict | None:
        """The fall state machine's last verdict for a track (for display and debugging)."""
        state = self._tracks.get(track_id)
        return state.last_verdict if state else None

    def update(self, t: float, tracks: Mapping[int, SkeletonBuffer], context: RecogniserContext) -> TrackScores:
        return {
            track_id: self._score_track(track_id, t, buffer, context)
            for track_id, buffer in tracks.items()
            if len(buffer)
        }

    def _score_track(
        self, track_id: int, t: float, buffer: SkeletonBuffer, context: RecogniserContext
    ) -> dict[str, float]:
        config = self.config
        state = self._tracks.setdefault(track_id, _TrackState())
        box, keypoints = buffer.boxes[-1], buffer.keypoints[-1]
        verdict = self.falls.update(track_id, t, box, keypoints)
        state.last_verdict = verdict
        falling = verdict.state in ("candidate", "fallen")
        down = verdict.posture >= config.fall.posture_enter
        state.lying.append((t, down and not falling))

        scores: dict[str, float] = {}
        if "fall" in self.labels:
            scores["fall"] = 1.0 if verdict.state == "fallen" else 0.0
        if "lying" in self.labels:
            lying = _sustained(state.lying, t, config.lying_seconds, config.min_coverage)
            scores["lying"] = 0.0 if falling else lying
        if "hands_up" in self.labels:
            scores["hands_up"] = self._hands_up(buffer, t, upright=not down)
        if "running" in self.labels:
            scores["running"] = self._running(buffer, t, verdict.baseline_height) if not down else 0.0
        if "loitering" in self.labels or "intrusion" in self.labels:
            scores.update(self._areas(state, t, foot_point(box), context))
        return scores

    def _hands_up(self, buffer: SkeletonBuffer, t: float, upright: bool) -> float:
        span = self.config.hands_up_seconds
        times = buffer.times
        start = int(np.searchsorted(times, t - span - 1e-9))
        if not upright or len(times) - start < 2 or times[-1] - times[start] < self.config.min_coverage * span:
            return 0.0
        return float(hands_up_flags(buffer.keypoints[start:], self.config.joint_min_score).mean())

    def _running(self, buffer: SkeletonBuffer, t: float, baseline_height: float | None) -> float:
        """Speed of the box centre in body heights per second over `running_seconds`."""
        config = self.config
        span = config.running_seconds
        times = buffer.times
        if times[-1] - times[0] < config.min_coverage * span:
            return 0.0
        _, boxes = buffer.resample(np.array([t - span, t]))
        centres = (boxes[:, :2] + boxes[:, 2:]) * 0.5
        elapsed = min(span, t - float(times[0]))
        box = buffer.boxes[-1]
        height = baseline_height or max(float(box[3] - box[1]), 1.0)
        speed = float(np.linalg.norm(centres[1] - centres[0])) / elapsed / height
        return clamp01(0.5 + (speed - config.running_speed) / (2 * config.running_ramp))

    def _areas(
        self, state: _TrackState, t: float, point: tuple[float, float], context: RecogniserContext
    ) -> dict[str, float]:
        loitering = intrusion = 0.0
        for area in context.areas:
            inside = area.contains(point)
            if inside:
                last = state.area_last_inside.get(area.name)
                if last is None or t - last > self.config.area_exit_grace_seconds:
                    state.area_entered[area.name] = t
                state.area_last_inside[area.name] = t
                if area.reacts_to("intrusion"):
                    intrusion = 1.0
                if area.reacts_to("loitering") and t - state.area_entered[area.name] >= area.dwell_seconds:
                    loitering = 1.0
        out = {}
        if "loitering" in self.labels:
            out["loitering"] = loitering
        if "intrusion" in self.labels:
            out["intrusion"] = intrusion
        return out
