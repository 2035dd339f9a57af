"""Constant-velocity Kalman filter on a box (cx, cy, w, h), driven by elapsed seconds.

Camera frame rates vary (dropped frames, slow consumers), so prediction uses the real time
step instead of "one frame". Noise scales with the box height: a person's motion and the
detector's jitter are both proportional to how big the person appears.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

_H = np.hstack([np.eye(4), np.zeros((4, 4))]).astype(np.float64)


@dataclass(frozen=True, slots=True)
class KalmanNoise:
    """Standard deviations as fractions of the box height (per second where rates)."""

    measure_pos: float = 0.05
    measure_size: float = 0.10
    accel_pos: float = 1.0
    """Acceleration of the centre, heights/s²: people start, stop and turn, but walk smoothly."""
    accel_size: float = 1.0
    init_vel_pos: float = 1.0
    """Initial velocity uncertainty, heights/s (a brisk walk is about 0.7)."""
    init_vel_size: float = 0.5


def xyxy_to_cxcywh(box: np.ndarray) -> np.ndarray:
    x0, y0, x1, y1 = (float(v) for v in box)
    return np.array([(x0 + x1) / 2, (y0 + y1) / 2, max(x1 - x0, 1.0), max(y1 - y0, 1.0)])


def cxcywh_to_xyxy(state: np.ndarray) -> np.ndarray:
    cx, cy = state[0], state[1]
    w, h = max(state[2], 1.0), max(state[3], 1.0)
    return np.array([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], dtype=np.float32)


class BoxKalman:
    """One box's state (8,) = cx, cy, w, h and their rates, with covariance (8, 8)."""

    def __init__(self, box_xyxy: np.ndarray, noise: KalmanNoise | None = None) -> None:
        self.noise = noise or KalmanNoise()
        z = xyxy_to_cxcywh(box_xyxy)
        self.mean = np.concatenate([z, np.zeros(4)])
        h, n = z[3], self.noise
        std = np.array(
            [
                2 * n.measure_pos * h,
                2 * n.measure_pos * h,
                2 * n.measure_size * h,
                2 * n.measure_size * h,
                n.init_vel_pos * h,
                n.init_vel_pos * h,
                n.init_vel_size * h,
                n.init_vel_size * h,
            ]
        )
        self.cov = np.diag(std**2)

    @property
    def box(self) -> np.ndarray:
        """The current (predicted or corrected) box, xyxy float32."""
        return cxcywh_to_xyxy(self.mean)

    @property
    def velocity(self) -> np.ndarray:
        """Centre velocity (vx, vy) in pixels per second."""
        return self.mean[4:6].copy()

    def predict(self, dt: float) -> None:
        """Advance the state by `dt` seconds (white-noise acceleration model)."""
        if dt <= 0:
            return
        f = np.eye(8)
        f[:4, 4:] = np.eye(4) * dt
        h, n = max(self.mean[3], 1.0), self.noise
        accel = np.array([n.accel_pos, n.accel_pos, n.accel_size, n.accel_size]) * h
        q_pp, q_pv, q_vv = dt**4 / 4, dt**3 / 2, dt**2
        q = np.zeros((8, 8))
        idx = np.arange(4)
        q[idx, idx] = q_pp * accel**2
        q[idx, idx + 4] = q[idx + 4, idx] = q_pv * accel**2
        q[idx + 4, idx + 4] = q_vv * accel**2
        self.mean = f @ self.mean
        self.cov = f @ self.cov @ f.T + q

    def update(self, box_xyxy: np.ndarray) -> None:
        """Correct the state with a measured box."""
        z = xyxy_to_cxcywh(box_xyxy)
        h, n = z[3], self.noise
        r = np.diag(np.array([n.measure_pos, n.measure_pos, n.measure_size, n.measure_size]) ** 2 * h**2)
        s = _H @ self.cov @ _H.T + r
        gain = np.linalg.solve(s, _H @ self.cov).T  # cov H^T S^-1, S symmetric
        self.mean = self.mean + gain @ (z - _H @ self.mean)
        self.cov = (np.eye(8) - gain @ _H) @ self.cov
