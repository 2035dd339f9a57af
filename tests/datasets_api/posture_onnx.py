"""A small, real skeleton classifier exported to ONNX with PyTorch, for registry and pre-label tests.

`Posture` tells upright people from lying ones by the spread of their normalised keypoints: an
upright body is taller than wide (label 0, e.g. "walk"), a lying one wider than tall (label 1,
e.g. "lying"); label 2 ("other") stays at logit 0. It reads the input layouts our own exports use
(NCTV) and mmaction2 / pyskl's (NMTVC: batch, persons, time, joints, channels).
"""

from __future__ import annotations

import io
import json
import warnings

import numpy as np
import torch
from torch import nn

SHAPES = {"NCTV": (2, 3, 48, 17), "NMTVC": (2, 2, 48, 17, 3)}


class Posture(nn.Module):
    def __init__(self, layout: str = "NCTV", gain: float = 10.0) -> None:
        super().__init__()
        self.layout = layout
        self.gain = gain

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.permute(0, 2, 3, 1) if self.layout == "NCTV" else x[:, 0]  # -> (N, T, V, C), person 0
        upright = (x[..., 1].std(dim=2) - x[..., 0].std(dim=2)).mean(dim=1, keepdim=True) * self.gain
        return torch.cat([upright, -upright, torch.zeros_like(upright)], dim=1)


def reference_scores(windows: np.ndarray, gain: float = 10.0) -> np.ndarray:
    """Softmax of the same logits, computed in NumPy from (N, T, V, C) windows."""
    upright = (windows[..., 1].std(axis=2, ddof=1) - windows[..., 0].std(axis=2, ddof=1)).mean(axis=1) * gain
    logits = np.stack([upright, -upright, np.zeros_like(upright)], axis=1)
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def export(layout: str = "NCTV", spec: dict | None = None) -> bytes:
    """The model as ONNX bytes (dynamic batch); `spec` becomes `videohar_spec` metadata when given."""
    import onnx

    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            Posture(layout).eval(),
            (torch.zeros(SHAPES[layout]),),
            buffer,
            input_names=["input"],
            output_names=["cls_score"],
            dynamic_axes={"input": {0: "batch"}, "cls_score": {0: "batch"}},
            opset_version=17,
            dynamo=False,
        )
    proto = onnx.load_from_string(buffer.getvalue())
    if spec is not None:
        entry = proto.metadata_props.add()
        entry.key, entry.value = "videohar_spec", json.dumps(spec)
    return proto.SerializeToString()


def spec_for(layout: str = "NCTV", labels: tuple[str, ...] = ("walk", "lying", "other")) -> dict:
    return {
        "T": 48,
        "V": 17,
        "C": 3,
        "fps": 16,
        "normalisation": "midhip_torso",
        "layout": layout,
        "M": 2 if layout == "NMTVC" else 1,
        "labels": list(labels),
        "output": "logits",
    }
