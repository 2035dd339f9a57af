"""Input feature fusion inside the model (joint, bone, joint motion, bone motion).

Doing it in the graph means an exported ONNX model takes the plain normalised window
(N, 3, T, V) = x, y, score and inference needs nothing else. Joints that the window
normaliser zeroed (x = y = 0) give zero bones and motions instead of spurious jumps.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from videohar.training.graph import COCO17_PARENTS

IN_CHANNELS = 3
FEATURE_CHANNELS = 9
"""joint x, y, score + bone x, y + joint motion x, y + bone motion x, y."""


class SkeletonFeatures(nn.Module):
    """(N, 3, T, V) window -> (N, 9, T, V) fused features (ST-GCN++ / pyskl's four streams)."""

    def __init__(self, parents: tuple[int, ...] = COCO17_PARENTS) -> None:
        super().__init__()
        self.register_buffer("parents", torch.tensor(parents, dtype=torch.long), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        xy = x[:, :2]
        valid = ((xy[:, :1] != 0) | (xy[:, 1:2] != 0)).to(x.dtype)
        parent_xy = xy.index_select(3, self.parents)
        parent_valid = valid.index_select(3, self.parents)
        bone = (xy - parent_xy) * valid * parent_valid
        joint_motion = _temporal_diff(xy, valid)
        bone_valid = valid * parent_valid
        bone_motion = _temporal_diff(bone, bone_valid)
        return torch.cat([x, bone, joint_motion, bone_motion], dim=1)


def _temporal_diff(v: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
    """v[t+1] - v[t] where both frames are valid; the last frame gets zero."""
    diff = (v[:, :, 1:] - v[:, :, :-1]) * valid[:, :, 1:] * valid[:, :, :-1]
    return F.pad(diff, (0, 0, 0, 1))
