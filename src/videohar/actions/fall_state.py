"""Fall confirmation by geometry: impact, then a fallen posture, after having been upright.

Adapted from the fall fusion of Neura Fall Detection 0.1.0 (`neura_fall_detection/fall_logic.py`,
Copyright 2026 Darrien Rafael Wijaya, Apache-2.0): per-person upright baseline, hip-drop veto
for bending and sitting, impact = hips dropping towards the feet in body heights per second,
confirmation dwell, recovery dwell. Changes: pixel coordinates (aspect thresholds in pixels),
vectorised and median-filtered impact search, and the model probabilities are optional so the
geometric rule and the NFD model share one state machine.

States: normal, descending (impact seen, posture not down yet), candidate (impact + down,
dwelling), fallen (confirmed), recovering; person_down = down without an impact (lying).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

import numpy as np

from videohar.actions.geometry import BodyObservation, clamp01, observe


@dataclass(frozen=True, slots=True)
class FallConfig:
    history_seconds: float = 5.0
    impact_window_seconds: float = 2.0
    confirmation_seconds: float = 1.5
    minimum_confirmation_seconds: float = 0.6
    recovery_seconds: float = 2.0
    posture_exit_dwell_seconds: float = 0.6
    baseline_smoothing: float = 0.15
    baseline_update_below: float = 0.25
    impact_velocity_threshold: float = 0.45
    """Hip descent, body heights per second, that counts as an impact."""
    impact_velocity_full: float = 1.20
    impact_min_elapsed: float = 0.3
    """Shortest span a drop speed is measured over; shorter spans amplify keypoint jitter."""
    neural_impact_threshold: float = 0.62
    """P(descending) from the NFD model that also counts as an impact."""
    neural_posture_weight: float = 0.78
    posture_enter: float = 0.55
    posture_exit: float = 0.38
    upright_max_aspect: float = 1.0
    """Box width/height in pixels above which a pose never seeds the upright baseline."""
    joint_min_score: float = 0.3


@dataclass(slots=True)
class _Baseline:
    established: bool = False
    height: float = 0.0
    aspect: float = 0.0
    centre_y: float = 0.0
    hip_y: float | None = None
    torso_length: float | None = None

    def seed(self, obs: BodyObservation) -> None:
        self.established = True
        self.height, self.aspect, self.centre_y = obs.height, obs.aspect, obs.centre_y
        self.hip_y, self.torso_length = obs.hip_y, obs.torso_length

    def blend(self, obs: BodyObservation, alpha: float) -> None:
        self.height += alpha * (obs.height - self.height)
        self.aspect += alpha * (obs.aspect - self.aspect)
        self.centre_y += alpha * (obs.centre_y - self.centre_y)
        if obs.hip_y is not None:
            self.hip_y = obs.hip_y if self.hip_y is None else self.hip_y + alpha * (obs.hip_y - self.hip_y)
        if obs.torso_length is not None:
            self.torso_length = (
                obs.torso_length
                if self.torso_length is None
                else self.torso_length + alpha * (obs.torso_length - self.torso_length)
            )


@dataclass(slots=True)
class _Memory:
    observations: deque[BodyObservation] = field(default_factory=deque)
    baseline: _Baseline = field(default_factory=_Baseline)
    state: str = "normal"
    state_since: float = 0.0
    was_upright: bool = False
    upright_since: float | None = None
    below_exit_since: float | None = None


@dataclass(frozen=True, slots=True)
class FallVerdict:
    state: str
    """normal, descending, candidate, fallen, recovering or person_down."""
    event: bool
    """True only on the update that confirms a fall."""
    posture: float
    """0 = upright like the baseline, 1 = clearly down."""
    peak_descent_speed: float
    """Body heights per second over the impact window."""
    baseline_height: float | None


class FallStateMachine:
    """Per-track fall state for one camera."""

    def __init__(self, config: FallConfig | None = None) -> None:
        self.config = config or FallConfig()
        self._people: dict[int, _Memory] = {}

    def forget(self, track_id: int) -> None:
        self._people.pop(track_id, None)

    def update(
        self,
        track_id: int,
        t: float,
        box: np.ndarray,
        keypoints: np.ndarray,
        probabilities: np.ndarray | None = None,
    ) -> FallVerdict:
        """Advance one track; `probabilities` = NFD (normal, descending, fallen, recovering) if any."""
        config = self.config
        memory = self._people.setdefault(track_id, _Memory(state_since=t))
        obs = observe(t, box, keypoints, config.joint_min_score)
        memory.observations.append(obs)
        while len(memory.observations) > 2 and t - memory.observations[0].t > config.history_seconds:
            memory.observations.popleft()

        if not memory.baseline.established and self._looks_upright(obs):
            memory.baseline.seed(obs)
        posture = self._posture(obs, memory.baseline)
        if probabilities is not None:
            # The model strengthens uncertain geometry but never bypasses impact + upright history.
            posture = max(posture, float(probabilities[2]) * config.neural_posture_weight)
        peak_speed = self._peak_descent_speed(memory, t)
        had_impact = peak_speed >= config.impact_velocity_threshold or (
            probabilities is not None and float(probabilities[1]) >= config.neural_impact_threshold
        )

        upright = memory.baseline.established and posture <= config.baseline_update_below
        if upright:
            memory.baseline.blend(obs, config.baseline_smoothing)
            memory.was_upright = True
            if memory.upright_since is None:
                memory.upright_since = t
        elif posture >= config.posture_exit:
            memory.upright_since = None

        previous = memory.state
        state = self._next_state(memory, t, posture, peak_speed, had_impact, upright)
        if state != previous:
            memory.state, memory.state_since = state, t
        baseline = memory.baseline
        return FallVerdict(
            state=state,
            event=state == "fallen" and previous != "fallen",
            posture=posture,
            peak_descent_speed=peak_speed,
            baseline_height=baseline.height if baseline.established else None,
        )

    def _next_state(
        self, memory: _Memory, t: float, posture: float, peak_speed: float, had_impact: bool, upright: bool
    ) -> str:
        config = self.config
        if posture >= config.posture_exit:
            memory.below_exit_since = None
        elif memory.below_exit_since is None:
            memory.below_exit_since = t
        released = (
            memory.below_exit_since is not None and t - memory.below_exit_since >= config.posture_exit_dwell_seconds
        )
        down = posture >= config.posture_enter
        fall_like = down and had_impact and memory.was_upright
        recovered = (
            upright and memory.upright_since is not None and (t - memory.upright_since >= config.recovery_seconds)
        )
        state = memory.state
        if state in ("normal", "recovering"):
            if fall_like:
                return "candidate"
            if down:
                return "person_down"
            if had_impact and posture >= config.posture_exit and memory.was_upright:
                return "descending"
            if state == "recovering" and t - memory.state_since < config.recovery_seconds:
                return "recovering"
            return "normal"
        if state == "person_down":
            if fall_like:
                return "candidate"
            return "normal" if recovered else "person_down"
        if state == "descending":
            if fall_like:
                return "candidate"
            return "normal" if released else "descending"
        if state == "candidate":
            if released:
                return "normal"
            if t - memory.state_since >= self._confirmation_delay(posture, peak_speed):
                return "fallen"
            return "candidate"
        if state == "fallen":
            return "recovering" if recovered else "fallen"
        return state

    def _confirmation_delay(self, posture: float, peak_speed: float) -> float:
        config = self.config
        posture_strength = clamp01((posture - config.posture_enter) / max(1e-6, 1.0 - config.posture_enter))
        impact_strength = clamp01(
            (peak_speed - config.impact_velocity_threshold)
            / max(1e-6, config.impact_velocity_full - config.impact_velocity_threshold)
        )
        evidence = 0.7 * posture_strength + 0.3 * impact_strength
        delay = config.confirmation_seconds * (1.0 - 0.7 * evidence)
        return max(config.minimum_confirmation_seconds, min(config.confirmation_seconds, delay))

    def _looks_upright(self, obs: BodyObservation) -> bool:
        if obs.aspect >= self.config.upright_max_aspect:
            return False
        return obs.torso_angle is None or obs.torso_angle < 45.0

    @staticmethod
    def _posture(obs: BodyObservation, baseline: _Baseline) -> float:
        cues: list[tuple[float, float]] = []
        if baseline.established and baseline.height > 1e-6:
            cues.append((clamp01((1.0 - obs.height / baseline.height) / 0.55), 0.30))
            if baseline.aspect > 1e-6:
                cues.append((clamp01((obs.aspect / baseline.aspect - 1.0) / 2.0), 0.20))
            cues.append((clamp01((obs.centre_y - baseline.centre_y) / baseline.height / 0.35), 0.15))
        else:
            cues.append((clamp01((obs.aspect - 0.75) / 0.75), 0.35))
        if obs.torso_angle is not None:
            cues.append((clamp01((obs.torso_angle - 30.0) / 45.0), 0.20))
        hip_factor = None
        if obs.hip_y is not None and baseline.hip_y is not None and baseline.torso_length:
            hip_factor = clamp01((obs.hip_y - baseline.hip_y) / baseline.torso_length)
            cues.append((hip_factor, 0.25))
        total = sum(weight for _, weight in cues)
        score = clamp01(sum(value * weight for value, weight in cues) / max(total, 1e-6))
        if hip_factor is not None:  # bending or sitting keeps the hips up: veto
            score = min(score, 0.35 + 0.65 * hip_factor)
        return score

    def _peak_descent_speed(self, memory: _Memory, t: float) -> float:
        recent = [o for o in memory.observations if t - o.t <= self.config.impact_window_seconds]
        if len(recent) < 2:
            return 0.0
        reference = memory.baseline.height if memory.baseline.established else max(o.height for o in recent)
        times = np.array([o.t for o in recent])
        heights = np.array([o.hip_height for o in recent])
        if len(heights) >= 3:  # causal median of 3: one frame with a missed hip or ankle is no drop
            stacked = np.stack([heights, np.r_[heights[:1], heights[:-1]], np.r_[heights[:2], heights[:-2]]])
            heights = np.median(stacked, axis=0)
        elapsed = times[None, :] - times[:, None]
        drop = heights[:, None] - heights[None, :]  # [start, end]: positive when the hips went down
        valid = elapsed >= self.config.impact_min_elapsed - 1e-9
        if not valid.any():
            return 0.0
        speeds = np.where(valid, drop / np.where(valid, elapsed, 1.0), 0.0)
        return max(0.0, float(speeds.max()) / max(reference, 1e-6))
