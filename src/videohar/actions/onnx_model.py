"""Trained skeleton action models as ONNX files that declare their input spec in metadata.

The training pipeline exports, and imported mmaction2 / pyskl ST-GCN++ exports are tagged
with, one metadata property `videohar_spec` (JSON):

    {"T": 48, "V": 17, "C": 3, "fps": 16, "normalisation": "midhip_torso",
     "layout": "NCTV" | "NTVC" | "NMTVC" | "NCTVM", "M": 1, "labels": ["walk", "fall", ...],
     "output": "logits" | "probabilities", "min_score": 0.2}

`layout` names the input axes (N batch, C channels, T time, V joints, M persons); for
multi-person layouts our single track fills person 0 and the others are zeros (pyskl's padding).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort

from videohar.actions.base import WindowRecogniser, register_recogniser
from videohar.actions.windows import WindowSpec

SPEC_KEY = "videohar_spec"
LAYOUTS = ("NCTV", "NTVC", "NMTVC", "NCTVM")
OUTPUTS = ("logits", "probabilities")


class ModelSpecError(ValueError):
    """The ONNX file does not declare a usable `videohar_spec`."""


class MissingSpec(ModelSpecError):
    """A loadable ONNX file without `videohar_spec` metadata (e.g. a plain mmaction2 export)."""


@dataclass(frozen=True)
class ModelSpec:
    window: WindowSpec
    layout: str
    persons: int
    labels: tuple[str, ...]
    output: str

    @classmethod
    def from_json(cls, text: str) -> ModelSpec:
        try:
            raw: Any = json.loads(text)
        except json.JSONDecodeError as error:
            raise ModelSpecError(f"{SPEC_KEY} is not valid JSON: {error}") from None
        if not isinstance(raw, dict):
            raise ModelSpecError(f"{SPEC_KEY} must be a JSON object")
        labels = raw.get("labels")
        if (
            not isinstance(labels, list)
            or not labels
            or not all(isinstance(x, str) and x for x in labels)
            or len(set(labels)) != len(labels)
        ):
            raise ModelSpecError(f"{SPEC_KEY}.labels must be a non-empty list of distinct names")
        layout = raw.get("layout", "NCTV")
        if layout not in LAYOUTS:
            raise ModelSpecError(f"{SPEC_KEY}.layout {layout!r} is not one of {LAYOUTS}")
        output = raw.get("output", "logits")
        if output not in OUTPUTS:
            raise ModelSpecError(f"{SPEC_KEY}.output {output!r} is not one of {OUTPUTS}")
        persons = raw.get("M", 1)
        if not isinstance(persons, int) or not 1 <= persons <= 4:
            raise ModelSpecError(f"{SPEC_KEY}.M must be an integer 1..4")
        try:
            window = WindowSpec(
                T=int(raw.get("T", 48)),
                V=int(raw.get("V", 17)),
                C=int(raw.get("C", 3)),
                fps=float(raw.get("fps", 16.0)),
                normalisation=str(raw.get("normalisation", "midhip_torso")),
                min_score=float(raw.get("min_score", 0.2)),
            )
        except (TypeError, ValueError) as error:
            raise ModelSpecError(f"{SPEC_KEY}: {error}") from None
        return cls(window=window, layout=layout, persons=persons, labels=tuple(labels), output=output)

    def to_json(self) -> str:
        w = self.window
        return json.dumps(
            {
                "T": w.T,
                "V": w.V,
                "C": w.C,
                "fps": w.fps,
                "normalisation": w.normalisation,
                "min_score": w.min_score,
                "layout": self.layout,
                "M": self.persons,
                "labels": list(self.labels),
                "output": self.output,
            }
        )

    def arrange(self, windows: np.ndarray) -> np.ndarray:
        """(N, T, V, C) normalised windows -> the model's input layout."""
        if self.layout == "NTVC":
            return windows
        if self.layout == "NCTV":
            return windows.transpose(0, 3, 1, 2)
        padded = np.zeros((len(windows), self.persons, *windows.shape[1:]), dtype=windows.dtype)
        padded[:, 0] = windows
        return padded if self.layout == "NMTVC" else padded.transpose(0, 4, 2, 3, 1)


def _softmax(logits: np.ndarray) -> np.ndarray:
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


@register_recogniser("onnx")
class OnnxSkeletonModel(WindowRecogniser):
    """A trained skeleton classifier from bytes or a path; one batched run for all tracks."""

    name = "onnx"

    def __init__(self, model: bytes | str | Path, *, threads: int = 1, min_coverage: float = 0.75) -> None:
        source = str(model) if isinstance(model, Path) else model
        try:
            options = ort.SessionOptions()
            options.intra_op_num_threads = threads
            options.inter_op_num_threads = 1
            options.add_session_config_entry("session.intra_op.allow_spinning", "0")
            self.session = ort.InferenceSession(source, sess_options=options, providers=["CPUExecutionProvider"])
        except Exception as error:  # onnxruntime raises its own exception types for bad files
            raise ModelSpecError(f"cannot load ONNX model: {error}") from error
        metadata = self.session.get_modelmeta().custom_metadata_map
        if SPEC_KEY not in metadata:
            raise MissingSpec(f"ONNX model has no {SPEC_KEY!r} metadata property (keys: {sorted(metadata)})")
        self.model_spec = ModelSpec.from_json(metadata[SPEC_KEY])
        self.spec = self.model_spec.window
        self.labels = self.model_spec.labels
        self.min_coverage = min_coverage
        inputs = self.session.get_inputs()
        if len(inputs) != 1:
            raise ModelSpecError(f"expected one model input, got {len(inputs)}")
        self.input_name = inputs[0].name
        rank = len(self.model_spec.layout)
        if len(inputs[0].shape) != rank:
            raise ModelSpecError(
                f"input {self.input_name!r} has rank {len(inputs[0].shape)}, "
                f"layout {self.model_spec.layout} needs {rank}"
            )
        batch = inputs[0].shape[0]
        self.fixed_batch = batch if isinstance(batch, int) else None

    def score(self, windows: np.ndarray) -> np.ndarray:
        data = self.model_spec.arrange(np.asarray(windows, dtype=np.float32))
        if self.fixed_batch is None:
            outputs = self.session.run(None, {self.input_name: data})[0]
        else:  # exports with a fixed batch: run in chunks of that size
            chunks = []
            for start in range(0, len(data), self.fixed_batch):
                chunk = data[start : start + self.fixed_batch]
                pad = self.fixed_batch - len(chunk)
                if pad:
                    chunk = np.concatenate([chunk, np.zeros((pad, *chunk.shape[1:]), chunk.dtype)])
                chunks.append(self.session.run(None, {self.input_name: chunk})[0][: len(chunk) - pad])
            outputs = np.concatenate(chunks)
        outputs = np.asarray(outputs, dtype=np.float32).reshape(len(data), -1)
        if outputs.shape[1] != len(self.labels):
            raise ModelSpecError(f"model outputs {outputs.shape[1]} scores for {len(self.labels)} labels")
        return _softmax(outputs) if self.model_spec.output == "logits" else np.clip(outputs, 0.0, 1.0)
