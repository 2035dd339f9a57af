"""Procedural skeleton motion for tests and benchmarks: never present it as real data.

A 3-D stick figure (metres, COCO-17 joints) is posed from joint angles per action, placed on
a ground plane, turned by a viewpoint yaw and projected by a tilted CCTV-style camera (weak
perspective) into pixels, then jittered, given confidences and occasionally dropped joints.

    rng = np.random.default_rng(0)
    kps = generate_sequence("fall", seconds=4, fps=16, rng=rng)          # (64, 17, 3)
    people = generate_people("walk", seconds=3, fps=10, rng=rng)         # list[Person]
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from videohar.vision.types import Person

ACTIONS = ("walk", "stand", "sit_down", "fall", "wave", "hands_up", "run", "lie")
BODY_HEIGHT_M = 1.7

# Body-frame segment lengths in metres (x = person's left, y = up, z = forward).
_HIP_HALF, _SHOULDER_HALF = 0.10, 0.18
_THIGH, _SHIN, _FOOT_DROP = 0.45, 0.43, 0.05
_SPINE, _UPPER_ARM, _FOREARM = 0.50, 0.30, 0.27


@dataclass(slots=True)
class _Pose:
    """Joint angles (radians) and body placement of one frame."""

    hip_flex: tuple[float, float] = (0.0, 0.0)  # left, right; + = thigh forward
    knee_flex: tuple[float, float] = (0.0, 0.0)  # + = shin backward
    arm_elev: tuple[float, float] = (0.15, 0.15)  # upper arm: 0 = down, pi = straight up
    arm_azim: tuple[float, float] = (0.3, 0.3)  # 0 = forward, pi/2 = sideways out
    fore_elev: tuple[float, float] = (0.1, 0.1)  # forearm elevation (absolute)
    fore_azim: tuple[float, float] = (0.3, 0.3)
    trunk_lean: float = 0.0  # + = forward
    body_pitch: float = 0.0  # whole body about the lateral axis (+ = face down)
    body_roll: float = 0.0  # whole body about the forward axis (sideways fall)


def _limb(elev: float, azim: float, side: float) -> np.ndarray:
    return np.array([math.sin(elev) * math.sin(azim) * side, -math.cos(elev), math.sin(elev) * math.cos(azim)])


def _rot_x(angle: float) -> np.ndarray:
    c, s = math.cos(angle), math.sin(angle)
    return np.array([[1, 0, 0], [0, c, -s], [0, s, c]])


def _rot_z(angle: float) -> np.ndarray:
    c, s = math.cos(angle), math.sin(angle)
    return np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]])


def _rot_y(angle: float) -> np.ndarray:
    c, s = math.cos(angle), math.sin(angle)
    return np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]])


def skeleton_3d(pose: _Pose) -> np.ndarray:
    """(17, 3) joints in the body frame, pelvis at the origin, before ground placement."""
    joints = np.zeros((17, 3))
    for index, side in ((0, 1.0), (1, -1.0)):  # 0 = left (+x), 1 = right
        hip = np.array([side * _HIP_HALF, 0.0, 0.0])
        flex, knee = pose.hip_flex[index], pose.knee_flex[index]
        knee_pt = hip + _THIGH * np.array([0.0, -math.cos(flex), math.sin(flex)])
        ankle = knee_pt + _SHIN * np.array([0.0, -math.cos(flex - knee), math.sin(flex - knee)])
        joints[11 + index], joints[13 + index], joints[15 + index] = hip, knee_pt, ankle
    lean = _rot_x(-pose.trunk_lean)  # rotate the upper body forward about the pelvis
    neck = np.array([0.0, _SPINE, 0.0])
    upper = np.zeros((17, 3))
    for index, side in ((0, 1.0), (1, -1.0)):
        shoulder = neck + np.array([side * _SHOULDER_HALF, -0.03, 0.0])
        elbow = shoulder + _UPPER_ARM * _limb(pose.arm_elev[index], pose.arm_azim[index], side)
        wrist = elbow + _FOREARM * _limb(pose.fore_elev[index], pose.fore_azim[index], side)
        upper[5 + index], upper[7 + index], upper[9 + index] = shoulder, elbow, wrist
    nose = neck + np.array([0.0, 0.20, 0.09])
    upper[0] = nose
    head_offsets = np.array(
        [[0.033, 0.035, -0.02], [-0.033, 0.035, -0.02], [0.075, 0.01, -0.09], [-0.075, 0.01, -0.09]]
    )
    upper[1:5] = nose + head_offsets
    upper_idx = list(range(0, 11))
    joints[upper_idx] = upper[upper_idx] @ lean.T
    body = _rot_x(-pose.body_pitch) @ _rot_z(pose.body_roll)
    return joints @ body.T


def _smooth(value: float) -> float:
    value = min(1.0, max(0.0, value))
    return value * value * (3.0 - 2.0 * value)


def _gait(phase: float, hip_amp: float, knee_amp: float, arm_amp: float, elbow: float) -> _Pose:
    left = math.sin(phase)
    right = -left
    return _Pose(
        hip_flex=(hip_amp * left, hip_amp * right),
        knee_flex=(knee_amp * max(0.0, -math.cos(phase)) + 0.1, knee_amp * max(0.0, math.cos(phase)) + 0.1),
        arm_elev=(arm_amp * max(0.0, right) + 0.1, arm_amp * max(0.0, left) + 0.1),
        arm_azim=(0.2 if right > 0 else math.pi - 0.2, 0.2 if left > 0 else math.pi - 0.2),
        fore_elev=(elbow + arm_amp * max(0.0, right), elbow + arm_amp * max(0.0, left)),
        fore_azim=(0.2, 0.2),
    )


@dataclass(slots=True)
class _Motion:
    """Per-sequence random parameters of one action."""

    rng: np.random.Generator
    seconds: float
    onset: float  # when the transition (fall, sit, arms up) starts
    duration: float  # how long the transition takes
    speed: float  # ground speed, m/s
    cadence: float  # steps per second / 2
    direction: float  # +1 forward fall / -1 backward, or roll side
    sideways: bool
    phase0: float


def _pose_walk(m: _Motion, t: float) -> _Pose:
    return _gait(m.phase0 + math.tau * m.cadence * t, 0.40, 0.55, 0.45, 0.35)


def _pose_run(m: _Motion, t: float) -> _Pose:
    pose = _gait(m.phase0 + math.tau * m.cadence * t, 0.75, 1.4, 0.9, 1.6)
    pose.trunk_lean = 0.2
    return pose


def _pose_stand(m: _Motion, t: float) -> _Pose:
    sway = 0.03 * math.sin(m.phase0 + 1.3 * t)
    return _Pose(trunk_lean=sway, arm_elev=(0.1 + sway, 0.1 - sway), fore_elev=(0.2, 0.2))


def _pose_sit_down(m: _Motion, t: float) -> _Pose:
    k = _smooth((t - m.onset) / m.duration)
    pose = _pose_stand(m, t)
    pose.hip_flex = (1.5 * k, 1.5 * k)
    pose.knee_flex = (1.5 * k, 1.5 * k)
    pose.trunk_lean = 0.35 * math.sin(math.pi * k) + 0.05 * k
    pose.arm_elev = (0.1 + 0.6 * k, 0.1 + 0.6 * k)
    pose.arm_azim = (0.1, 0.1)
    pose.fore_elev = (0.2 + 1.2 * k, 0.2 + 1.2 * k)
    pose.fore_azim = (0.1, 0.1)
    return pose


def _pose_fall(m: _Motion, t: float) -> _Pose:
    k = _smooth((t - m.onset) / m.duration)
    pose = _pose_walk(m, t) if t < m.onset and m.speed > 0 else _pose_stand(m, t)
    angle = math.radians(84) * k
    if m.sideways:
        pose.body_roll = m.direction * angle
    else:
        pose.body_pitch = m.direction * angle
    pose.knee_flex = tuple(value * (1 - k) + 0.5 * k * math.sin(math.pi * k) for value in pose.knee_flex)
    pose.arm_elev = (0.1 + 1.4 * k, 0.1 + 1.2 * k)
    pose.arm_azim = (0.5, 0.7)
    pose.fore_elev = (0.3 + 1.3 * k, 0.2 + 1.0 * k)
    if t > m.onset + m.duration:  # small movements while down
        pose.arm_elev = (pose.arm_elev[0] + 0.1 * math.sin(2 * t), pose.arm_elev[1])
    return pose


def _pose_lie(m: _Motion, t: float) -> _Pose:
    pose = _pose_stand(m, t)
    angle = math.radians(88) + 0.03 * math.sin(0.7 * t)
    if m.sideways:
        pose.body_roll = m.direction * angle
    else:
        pose.body_pitch = m.direction * angle
    pose.knee_flex = (0.2 + 0.1 * math.sin(0.5 * t), 0.3)
    pose.arm_elev = (0.4, 0.3)
    return pose


def _pose_wave(m: _Motion, t: float) -> _Pose:
    k = _smooth((t - m.onset) / m.duration)
    pose = _pose_stand(m, t)
    swing = 0.45 * math.sin(math.tau * 1.8 * t) * k
    pose.arm_elev = (0.1 + 1.45 * k, pose.arm_elev[1])
    pose.arm_azim = (1.2, pose.arm_azim[1])
    pose.fore_elev = (0.2 + 2.6 * k, pose.fore_elev[1])
    pose.fore_azim = (1.3 + swing, pose.fore_azim[1])
    return pose


def _pose_hands_up(m: _Motion, t: float) -> _Pose:
    k = _smooth((t - m.onset) / m.duration)
    pose = _pose_stand(m, t)
    jitter = 0.08 * math.sin(1.7 * t + m.phase0)
    pose.arm_elev = (0.1 + 2.75 * k + jitter, 0.1 + 2.75 * k - jitter)
    pose.arm_azim = (1.0, 1.0)
    pose.fore_elev = (0.2 + 2.8 * k, 0.2 + 2.8 * k)
    pose.fore_azim = (0.6, 0.6)
    return pose


_POSERS: dict[str, Callable[[_Motion, float], _Pose]] = {
    "walk": _pose_walk,
    "stand": _pose_stand,
    "sit_down": _pose_sit_down,
    "fall": _pose_fall,
    "wave": _pose_wave,
    "hands_up": _pose_hands_up,
    "run": _pose_run,
    "lie": _pose_lie,
}


def _motion(action: str, seconds: float, rng: np.random.Generator) -> _Motion:
    onset_hi = max(0.6, min(2.0, seconds * 0.45))
    speed = {"walk": rng.uniform(0.9, 1.6), "run": rng.uniform(3.2, 5.5)}.get(action, 0.0)
    if action == "fall":
        speed = rng.choice([0.0, rng.uniform(0.6, 1.3)])
    cadence = {"run": rng.uniform(1.3, 1.6)}.get(action, rng.uniform(0.85, 1.0))
    return _Motion(
        rng=rng,
        seconds=seconds,
        onset=float(rng.uniform(min(0.5, onset_hi), onset_hi)),
        duration=float(rng.uniform(0.45, 0.9) if action == "fall" else rng.uniform(0.6, 1.4)),
        speed=float(speed),
        cadence=float(cadence),
        direction=float(rng.choice((-1.0, 1.0))),
        sideways=bool(rng.random() < 0.5),
        phase0=float(rng.uniform(0, math.tau)),
    )


def generate_sequence(
    action: str,
    *,
    seconds: float = 4.0,
    fps: float = 16.0,
    rng: np.random.Generator,
    image_size: tuple[int, int] = (768, 576),
    person_height_px: tuple[float, float] | float = (80.0, 200.0),
    view_angle: float | None = None,
    camera_tilt: float | None = None,
    noise: float = 1.0,
    drop_rate: float = 0.03,
) -> np.ndarray:
    """(T, 17, 3) pixel x, y and confidence of one person doing `action`, T = round(seconds * fps).

    `view_angle` is the body's yaw relative to the camera in degrees (0 = facing it, random
    when None); `camera_tilt` the camera's downward tilt in degrees (random 15-55 when None);
    `noise` scales keypoint jitter (0 = clean); `drop_rate` is the chance a joint is missed
    in a frame (low confidence, displaced position). The person walks/runs along the yaw and
    turns back at the image border.
    """
    if action not in _POSERS:
        raise ValueError(f"unknown action {action!r}; known: {ACTIONS}")
    if seconds <= 0 or fps <= 0:
        raise ValueError("seconds and fps must be > 0")
    width, height = image_size
    if width <= 0 or height <= 0:
        raise ValueError(f"image_size must be positive, got {image_size}")
    frames = max(2, round(seconds * fps))
    span = person_height_px if isinstance(person_height_px, tuple) else (person_height_px, person_height_px)
    pixels = float(rng.uniform(*span))
    yaw = math.radians(rng.uniform(0, 360) if view_angle is None else view_angle)
    tilt = math.radians(rng.uniform(15, 55) if camera_tilt is None else camera_tilt)
    scale = pixels / (BODY_HEIGHT_M * math.cos(tilt))  # upright people are `pixels` tall
    motion = _motion(action, seconds, rng)
    camera = _rot_x(-tilt)  # world (x right, y up, z away from camera) -> camera frame; far = higher

    # Ground bounds in metres that keep the person inside the image.
    x_bound = max(0.1, (width / 2 - 0.4 * pixels) / scale)
    z_bound = max(0.1, (height / 2 - 0.6 * pixels) / (scale * max(math.sin(tilt), 0.2)))
    position = np.array([rng.uniform(-0.5, 0.5) * x_bound, 0.0, rng.uniform(-0.5, 0.5) * z_bound])
    heading = np.array([-math.sin(yaw), 0.0, -math.cos(yaw)])  # yaw 0: walking towards the camera
    turn = _rot_y(yaw)
    out = np.zeros((frames, 17, 3), dtype=np.float32)
    jitter = 0.012 * pixels * noise
    for index in range(frames):
        t = index / fps
        joints = skeleton_3d(_POSERS[action](motion, t))
        joints = joints @ (turn @ _rot_y(math.pi)).T  # body z (forward) -> heading
        joints[:, 1] -= joints[:, 1].min() - (
            0.0 if action != "run" else 0.04 * abs(math.sin(math.tau * motion.cadence * t))
        )
        if index:
            position += heading * motion.speed / fps * (t < motion.onset or action != "fall")
            for axis, bound in ((0, x_bound), (2, z_bound)):
                if abs(position[axis]) > bound:  # mirror at the border and turn back
                    mirrored = math.copysign(2 * bound, position[axis]) - position[axis]
                    position[axis] = min(bound, max(-bound, mirrored))
                    heading[axis] = -heading[axis]
                    turn = _rot_y(math.atan2(-heading[0], -heading[2]))
        world = joints + position
        cam = world @ camera.T
        out[index, :, 0] = width / 2 + scale * cam[:, 0]
        out[index, :, 1] = height / 2 - scale * cam[:, 1]
        out[index, :, :2] += rng.normal(0.0, jitter, (17, 2))
    confidence = rng.uniform(0.45, 0.95, (frames, 17))
    dropped = rng.random((frames, 17)) < drop_rate
    confidence[dropped] = rng.uniform(0.0, 0.15, int(dropped.sum()))
    out[dropped, :2] += rng.normal(0.0, 0.15 * pixels, (int(dropped.sum()), 2))
    out[:, :, 2] = confidence
    out[:, :, 0] = np.clip(out[:, :, 0], 0, width - 1)
    out[:, :, 1] = np.clip(out[:, :, 1], 0, height - 1)
    return out


def person_from_keypoints(keypoints: np.ndarray, min_score: float = 0.2) -> Person:
    """A `Person` whose box is the padded extent of the confident joints (like MoveNet's boxes)."""
    keypoints = np.asarray(keypoints, dtype=np.float32)
    visible = keypoints[:, 2] >= min_score
    points = keypoints[visible, :2] if visible.sum() >= 2 else keypoints[:, :2]
    (x1, y1), (x2, y2) = points.min(axis=0), points.max(axis=0)
    pad_x, pad_y = max(2.0, 0.1 * (x2 - x1)), max(2.0, 0.06 * (y2 - y1))
    box = np.array([x1 - pad_x, y1 - pad_y, x2 + pad_x, y2 + pad_y], dtype=np.float32)
    return Person(box=box, score=float(keypoints[visible, 2].mean()) if visible.any() else 0.0, keypoints=keypoints)


def generate_people(
    action: str, *, seconds: float = 4.0, fps: float = 16.0, rng: np.random.Generator, **options: object
) -> list[Person]:
    """One `Person` per frame of `generate_sequence` (same options)."""
    return [
        person_from_keypoints(frame)
        for frame in generate_sequence(action, seconds=seconds, fps=fps, rng=rng, **options)
    ]  # type: ignore[arg-type]
