"""Seeded numpy augmentations of normalised skeleton windows, batched over (B, T, V, C).

Windows are centred on the mid-hip, so in-plane affine maps act about the body centre and
keep zeroed (missing) joints at zero. Every function returns a new array.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from videohar.vision.types import COCO17_FLIP

_FLIP_INDEX = np.asarray(COCO17_FLIP)


@dataclass(frozen=True, slots=True)
class AugmentConfig:
    """Ranges of the random transforms applied per window during training."""

    rotate_deg: float = 15.0
    scale: tuple[float, float] = (0.85, 1.15)
    shear: float = 0.15
    flip_p: float = 0.5
    crop_p: float = 0.5
    crop: tuple[float, float] = (0.7, 1.0)
    """Fraction of the window kept by a temporal crop before it is resized back to T."""
    joint_drop_p: float = 0.03
    noise_std: float = 0.01

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> AugmentConfig:
        d = dict(d)
        for k in ("scale", "crop"):
            if k in d:
                d[k] = tuple(d[k])
        return cls(**d)


NO_AUGMENT = AugmentConfig(
    rotate_deg=0.0, scale=(1.0, 1.0), shear=0.0, flip_p=0.0, crop_p=0.0, joint_drop_p=0.0, noise_std=0.0
)


def _check(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    if x.ndim != 4 or x.shape[3] != 3:
        raise ValueError(f"expected windows of shape (B, T, V, 3), got {x.shape}")
    return x


def valid_mask(x: np.ndarray) -> np.ndarray:
    """(B, T, V) True where a joint was kept by the normaliser (x or y non-zero)."""
    return (x[..., 0] != 0) | (x[..., 1] != 0)


def flip(x: np.ndarray) -> np.ndarray:
    """Mirror horizontally: negate x and swap left/right joints. An involution."""
    x = _check(x)
    out = x[:, :, _FLIP_INDEX].copy()
    out[..., 0] = -out[..., 0] + 0.0  # + 0.0 turns -0.0 into 0.0 so missing joints stay exactly zero
    return out


def affine(x: np.ndarray, matrices: np.ndarray) -> np.ndarray:
    """Apply one 2x2 matrix per window (B, 2, 2) to the x, y channels."""
    x = _check(x)
    matrices = np.asarray(matrices, dtype=np.float32)
    if matrices.shape != (x.shape[0], 2, 2):
        raise ValueError(f"expected ({x.shape[0]}, 2, 2) matrices, got {matrices.shape}")
    out = x.copy()
    out[..., :2] = x[..., :2] @ matrices[:, None].transpose(0, 1, 3, 2)
    return out


def rotation_matrices(angles_rad: np.ndarray) -> np.ndarray:
    c, s = np.cos(angles_rad), np.sin(angles_rad)
    return np.stack([np.stack([c, -s], -1), np.stack([s, c], -1)], -2).astype(np.float32)


def rotate(x: np.ndarray, angles_rad: np.ndarray | float) -> np.ndarray:
    x = _check(x)
    angles = np.broadcast_to(np.asarray(angles_rad, dtype=np.float64), (x.shape[0],))
    return affine(x, rotation_matrices(angles))


def temporal_crop_resize(x: np.ndarray, starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Keep frames [start, start + length) of each window and stretch them back to T.

    Nearest-frame resampling: interpolating would blend zeroed joints with real ones.
    """
    x = _check(x)
    b, t = x.shape[:2]
    starts = np.asarray(starts, dtype=np.float64).reshape(b, 1)
    lengths = np.asarray(lengths, dtype=np.float64).reshape(b, 1)
    if np.any(starts < 0) or np.any(lengths < 1) or np.any(starts + lengths > t + 1e-9):
        raise ValueError("crop must lie inside the window")
    pos = starts + (np.arange(t)[None, :] + 0.5) * lengths / t - 0.5
    index = np.clip(np.rint(pos), starts, starts + lengths - 1).astype(np.int64)
    return x[np.arange(b)[:, None], index]


def drop_joints(x: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Zero (x, y, score) where mask (B, T, V) or (B, V) is True, as a missed detection looks."""
    x = _check(x)
    mask = np.asarray(mask, dtype=bool)
    if mask.ndim == 2:
        mask = np.broadcast_to(mask[:, None, :], x.shape[:3])
    out = x.copy()
    out[mask] = 0.0
    return out


def add_noise(x: np.ndarray, std: float, rng: np.random.Generator) -> np.ndarray:
    """Gaussian jitter on the x, y of kept joints only."""
    x = _check(x)
    out = x.copy()
    noise = rng.normal(0.0, std, x[..., :2].shape).astype(np.float32)
    out[..., :2] += noise * valid_mask(x)[..., None]
    return out


def augment_batch(x: np.ndarray, rng: np.random.Generator, cfg: AugmentConfig) -> np.ndarray:
    """All transforms with per-window random parameters drawn from `rng` (deterministic per seed)."""
    x = _check(x)
    b, t = x.shape[:2]
    if cfg.crop_p > 0:
        lo, hi = cfg.crop
        lengths = np.maximum(1, np.rint(t * rng.uniform(lo, hi, b))).astype(np.int64)
        lengths = np.where(rng.random(b) < cfg.crop_p, lengths, t)
        starts = np.floor(rng.random(b) * (t - lengths + 1)).astype(np.int64)
        x = temporal_crop_resize(x, starts, lengths)
    if cfg.flip_p > 0:
        chosen = rng.random(b) < cfg.flip_p
        if chosen.any():
            x = x.copy()
            x[chosen] = flip(x[chosen])
    angles = np.deg2rad(rng.uniform(-cfg.rotate_deg, cfg.rotate_deg, b))
    scales = rng.uniform(cfg.scale[0], cfg.scale[1], b)
    shears = rng.uniform(-cfg.shear, cfg.shear, (b, 2))
    shear_m = np.tile(np.eye(2, dtype=np.float32), (b, 1, 1))
    shear_m[:, 0, 1], shear_m[:, 1, 0] = shears[:, 0], shears[:, 1]
    matrices = rotation_matrices(angles) @ shear_m * scales[:, None, None].astype(np.float32)
    x = affine(x, matrices)
    if cfg.joint_drop_p > 0:
        x = drop_joints(x, rng.random((b, x.shape[2])) < cfg.joint_drop_p)
    if cfg.noise_std > 0:
        x = add_noise(x, cfg.noise_std, rng)
    return x
