"""The packaged NFD temporal fall model (Neura Fall Detection 0.1.0, Apache-2.0) on onnxruntime.

Input `pose_history float32[people, 32, 60]`, output `state_logits[people, 4]` = normal,
descending, fallen, recovering. The model alone over-reports "descending" on walkers, so a
fall is only raised after the geometric confirmation in `fall_state` (impact, fallen posture,
upright before, dwell); the model's probabilities only strengthen that evidence.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import onnxruntime as ort

from videohar.actions.base import Recogniser, RecogniserContext, TrackScores, register_recogniser
from videohar.actions.fall_state import FallConfig, FallStateMachine, FallVerdict
from videohar.actions.windows import SkeletonBuffer, WindowSpec

NFD_CLASSES = ("normal", "descending", "fallen", "recovering")
NFD_SEQUENCE = 32
NFD_FEATURES = 60
NFD_FPS = 8.0
"""The bundle manifest's `target_fps`: the rate the head was trained at."""


def nfd_features(keypoints: np.ndarray, boxes: np.ndarray, frame_size: tuple[int, int]) -> np.ndarray:
    """(..., 17, 3) pixel keypoints and (..., 4) xyxy pixel boxes -> (..., 60) NFD features.

    Exactly NFD's `pose_to_features` on image-normalised coordinates (its MoveNet adapter clips
    keypoints and boxes to [0, 1]): 34 keypoint x, y centred on the box centre and divided by
    box w / h, clipped to +-2; 17 scores clipped to [0, 1]; box cx, cy, w, h, clip(w / h, 0, 5);
    mean y of shoulders, hips, ankles; fraction of keypoints with score >= 0.15.
    """
    width, height = frame_size
    keypoints = np.asarray(keypoints, dtype=np.float32)
    boxes = np.asarray(boxes, dtype=np.float32)
    if keypoints.shape[-2:] != (17, 3) or boxes.shape[-1] != 4 or keypoints.shape[:-2] != boxes.shape[:-1]:
        raise ValueError(
            f"expected (..., 17, 3) keypoints and matching (..., 4) boxes, got {keypoints.shape} and {boxes.shape}"
        )
    size = np.array([width, height], dtype=np.float32)
    xy = np.clip(keypoints[..., :2] / size, 0.0, 1.0)
    box = np.clip(boxes / np.tile(size, 2), 0.0, 1.0)
    box_w = np.maximum(box[..., 2] - box[..., 0], 1e-4)
    box_h = np.maximum(box[..., 3] - box[..., 1], 1e-4)
    centre_x = (box[..., 0] + box[..., 2]) * 0.5
    centre_y = (box[..., 1] + box[..., 3]) * 0.5
    local = np.stack(
        [
            (xy[..., 0] - centre_x[..., None]) / box_w[..., None],
            (xy[..., 1] - centre_y[..., None]) / box_h[..., None],
        ],
        axis=-1,
    )
    local = np.clip(local, -2.0, 2.0)
    scores = np.clip(keypoints[..., 2], 0.0, 1.0)
    box_features = np.stack([centre_x, centre_y, box_w, box_h, np.clip(box_w / box_h, 0.0, 5.0)], axis=-1)
    anchors = np.stack(
        [xy[..., [5, 6], 1].mean(-1), xy[..., [11, 12], 1].mean(-1), xy[..., [15, 16], 1].mean(-1)], axis=-1
    )
    validity = (scores >= 0.15).mean(-1, keepdims=True)
    shape = keypoints.shape[:-2]
    return np.concatenate([local.reshape(*shape, 34), scores, box_features, anchors, validity], axis=-1).astype(
        np.float32
    )


def _session_options() -> ort.SessionOptions:
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1  # a small side model: spinning threads starve the pose model
    options.inter_op_num_threads = 1
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return options


class NFDModel:
    """The bare NFD head: histories -> state probabilities."""

    def __init__(self, model: bytes | str | None = None) -> None:
        if model is None:
            from videohar.model_bundle import nfd_fall_onnx

            model = nfd_fall_onnx()
        self.session = ort.InferenceSession(model, sess_options=_session_options(), providers=["CPUExecutionProvider"])
        self.input_name = self.session.get_inputs()[0].name

    def predict(self, histories: np.ndarray) -> np.ndarray:
        """(N, 32, 60) float32 -> (N, 4) softmax probabilities over `NFD_CLASSES`."""
        histories = np.asarray(histories, dtype=np.float32)
        if histories.ndim != 3 or histories.shape[1:] != (NFD_SEQUENCE, NFD_FEATURES):
            raise ValueError(f"expected histories of shape (N, {NFD_SEQUENCE}, {NFD_FEATURES}), got {histories.shape}")
        if not len(histories):
            return np.zeros((0, len(NFD_CLASSES)), dtype=np.float32)
        logits = self.session.run(None, {self.input_name: histories})[0]
        shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
        return (shifted / shifted.sum(axis=1, keepdims=True)).astype(np.float32)


@register_recogniser("nfd")
class NFDFallRecogniser(Recogniser):
    """Fall = NFD probabilities fused with geometric confirmation; never "descending" alone."""

    name = "nfd"
    labels = ("fall",)

    def __init__(
        self, model: bytes | str | None = None, *, config: FallConfig | None = None, fps: float = NFD_FPS
    ) -> None:
        self.model = NFDModel(model)
        self.spec = WindowSpec(T=NFD_SEQUENCE, fps=fps, normalisation="none")
        self.falls = FallStateMachine(config)
        self.probabilities: dict[int, dict[str, float]] = {}
        """Last NFD probabilities per track (display, debugging)."""
        self.verdicts: dict[int, FallVerdict] = {}

    def forget(self, track_id: int) -> None:
        self.falls.forget(track_id)
        self.probabilities.pop(track_id, None)
        self.verdicts.pop(track_id, None)

    def histories(self, buffers: list[SkeletonBuffer], frame_size: tuple[int, int]) -> np.ndarray:
        """(N, 32, 60) inputs: each track resampled at `fps`, left-padded with its first observation."""
        inputs = []
        for buffer in buffers:
            keypoints, boxes = buffer.resample(buffer.sample_times(self.spec))
            inputs.append(nfd_features(keypoints, boxes, frame_size))
        return np.stack(inputs) if inputs else np.zeros((0, NFD_SEQUENCE, NFD_FEATURES), np.float32)

    def update(self, t: float, tracks: Mapping[int, SkeletonBuffer], context: RecogniserContext) -> TrackScores:
        ids = [track_id for track_id, buffer in tracks.items() if len(buffer)]
        buffers = [tracks[track_id] for track_id in ids]
        probabilities = self.model.predict(self.histories(buffers, context.frame_size))
        out: TrackScores = {}
        for track_id, buffer, probs in zip(ids, buffers, probabilities, strict=True):
            verdict = self.falls.update(track_id, t, buffer.boxes[-1], buffer.keypoints[-1], probs)
            self.verdicts[track_id] = verdict
            self.probabilities[track_id] = dict(zip(NFD_CLASSES, map(float, probs), strict=True))
            out[track_id] = {"fall": 1.0 if verdict.state == "fallen" else 0.0}
        return out
