"""Pose estimation: backends that turn a BGR frame into `Person`s with COCO-17 keypoints.

>>> from videohar.vision.pose import create_pose_backend
>>> backend = create_pose_backend("default")  # MoveNet on motion/track crops
>>> people = backend.estimate(frame)
"""

from videohar.vision.pose.base import (
    PoseBackend,
    available_pose_backends,
    check_frame,
    create_pose_backend,
)
from videohar.vision.pose.movenet import MoveNetBackend, MoveNetModel
from videohar.vision.pose.regions import MoveNetRegionsBackend

__all__ = [
    "MoveNetBackend",
    "MoveNetModel",
    "MoveNetRegionsBackend",
    "PoseBackend",
    "available_pose_backends",
    "check_frame",
    "create_pose_backend",
]
