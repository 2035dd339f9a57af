"""ONNX export of a trained model with its input spec in metadata, checked against PyTorch.

The file declares `videohar_spec` (see `videohar.actions.onnx_model`), takes the plain
normalised window (N, 3, T, V) with a dynamic batch and outputs logits. It is written to a
temporary file and renamed into place, so a worker never loads a half-written model.

    result = export_onnx(model, labels, "models/v3.onnx", spec=WindowSpec())
    result.max_abs_diff   # PyTorch vs onnxruntime on the check batch
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import torch
from torch import nn

from videohar.actions.onnx_model import SPEC_KEY, ModelSpec
from videohar.actions.windows import WindowSpec

DEFAULT_OPSET = 17
INPUT_NAME = "window"
OUTPUT_NAME = "logits"


class ExportParityError(RuntimeError):
    """onnxruntime's outputs differ from PyTorch's by more than the tolerance."""


@dataclass(frozen=True, slots=True)
class ExportResult:
    path: Path
    max_abs_diff: float
    sha256: str
    size_bytes: int
    spec_json: str


def model_spec(labels: Sequence[str], spec: WindowSpec) -> ModelSpec:
    return ModelSpec(window=spec, layout="NCTV", persons=1, labels=tuple(labels), output="logits")


def _check_batch(spec: WindowSpec, n: int, seed: int) -> np.ndarray:
    """Plausible normalised windows (N, C, T, V) with some zeroed joints, for the parity check."""
    rng = np.random.default_rng(seed)
    x = rng.normal(0.0, 1.0, (n, spec.C, spec.T, spec.V)).astype(np.float32)
    x[:, 2] = rng.uniform(0.2, 1.0, (n, spec.T, spec.V))
    dropped = rng.random((n, spec.T, spec.V)) < 0.1
    x.transpose(0, 2, 3, 1)[dropped] = 0.0  # a view: zeroes all channels of dropped joints
    return x


def _session(model_bytes: bytes) -> ort.InferenceSession:
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return ort.InferenceSession(model_bytes, sess_options=options, providers=["CPUExecutionProvider"])


def _export_proto(model: nn.Module, example: torch.Tensor, opset: int, exporter: str) -> onnx.ModelProto:
    if exporter not in ("torchscript", "dynamo"):
        raise ValueError(f"exporter must be 'torchscript' or 'dynamo', got {exporter!r}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer and deprecation chatter
        if exporter == "torchscript":
            buffer = io.BytesIO()
            try:
                torch.onnx.export(
                    model,
                    (example,),
                    buffer,
                    input_names=[INPUT_NAME],
                    output_names=[OUTPUT_NAME],
                    dynamic_axes={INPUT_NAME: {0: "batch"}, OUTPUT_NAME: {0: "batch"}},
                    opset_version=opset,
                    dynamo=False,
                )
                return onnx.load_from_string(buffer.getvalue())
            except (TypeError, NotImplementedError, AttributeError):  # legacy exporter removed
                pass
        program = torch.onnx.export(
            model,
            (example,),
            None,
            input_names=[INPUT_NAME],
            output_names=[OUTPUT_NAME],
            dynamic_shapes=({0: torch.export.Dim("batch")},),
            opset_version=max(opset, 18),  # its converter cannot take Pad down to 17
            dynamo=True,
            verbose=False,
        )
        return program.model_proto


@dataclass(frozen=True, slots=True)
class OnnxBytes:
    data: bytes
    max_abs_diff: float
    spec_json: str


def onnx_bytes(
    model: nn.Module,
    labels: Sequence[str],
    *,
    spec: WindowSpec | None = None,
    opset: int = DEFAULT_OPSET,
    tolerance: float = 1e-4,
    check_windows: np.ndarray | None = None,
    exporter: str = "torchscript",
) -> OnnxBytes:
    """The checked model file in memory (for a registry that stores bytes); see `export_onnx`."""
    spec = spec or WindowSpec()
    labels = tuple(labels)
    if opset < 17:
        raise ValueError(f"opset must be >= 17, got {opset}")
    if getattr(model, "num_classes", len(labels)) != len(labels):
        raise ValueError(f"model has {model.num_classes} outputs but {len(labels)} labels were given")
    spec_json = model_spec(labels, spec).to_json()  # validates labels like the loader will
    model = model.eval()
    proto = _export_proto(model, torch.zeros(2, spec.C, spec.T, spec.V), opset, exporter)
    del proto.metadata_props[:]
    entry = proto.metadata_props.add()
    entry.key, entry.value = SPEC_KEY, spec_json
    proto.producer_name = "videohar"
    onnx.checker.check_model(proto)
    data = proto.SerializeToString()

    if check_windows is not None:
        check = np.ascontiguousarray(np.asarray(check_windows, dtype=np.float32).transpose(0, 3, 1, 2))
    else:
        check = _check_batch(spec, 8, seed=0)
    with torch.no_grad():
        expected = model(torch.from_numpy(check)).numpy()
    session = _session(data)
    runs = [session.run(None, {INPUT_NAME: part})[0] for part in (check[:1], check[1:]) if len(part)]
    diff = float(np.abs(np.concatenate(runs) - expected).max())
    if not diff <= tolerance:
        raise ExportParityError(f"ONNX output differs from PyTorch by {diff:.3g} (> {tolerance:g})")
    return OnnxBytes(data=data, max_abs_diff=diff, spec_json=spec_json)


def export_onnx(
    model: nn.Module,
    labels: Sequence[str],
    path: str | Path,
    *,
    spec: WindowSpec | None = None,
    opset: int = DEFAULT_OPSET,
    tolerance: float = 1e-4,
    check_windows: np.ndarray | None = None,
    exporter: str = "torchscript",
) -> ExportResult:
    """Export, verify parity on a batch (given (N, T, V, C) windows or generated ones), write.

    Raises ExportParityError (and writes nothing) when max |torch - onnxruntime| > tolerance;
    the parity check runs a batch of 1 and a batch of the rest, so the dynamic batch is checked.
    `exporter`: "torchscript" (fast, deprecated by PyTorch; falls back to "dynamo" where it
    is gone) or "dynamo" (torch.export; slower, emits opset >= 18).
    """
    result = onnx_bytes(
        model,
        labels,
        spec=spec,
        opset=opset,
        tolerance=tolerance,
        check_windows=check_windows,
        exporter=exporter,
    )
    data = result.data
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return ExportResult(
        path=path,
        max_abs_diff=result.max_abs_diff,
        sha256=hashlib.sha256(data).hexdigest(),
        size_bytes=len(data),
        spec_json=result.spec_json,
    )
