"""The mmaction2 / pyskl skeleton annotation pickle, both ways.

    {"split": {"train": [frame_dir, ...], "val": [...]},
     "annotations": [{"frame_dir", "label", "img_shape": (h, w), "original_shape", "total_frames",
                      "keypoint": float32 (M, T, V, 2), "keypoint_score": float32 (M, T, V)}]}

Pickles can run code when loaded, so `safe_loads` only lets builtin containers and numpy
arrays through; anything else is refused before it is constructed.
"""

from __future__ import annotations

import io
import pickle
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from videohar.media.clips import SKELETON_VERSION

_ALLOWED = {
    ("builtins", name)
    for name in (
        "dict",
        "list",
        "tuple",
        "set",
        "frozenset",
        "str",
        "int",
        "float",
        "bool",
        "complex",
        "bytes",
        "bytearray",
        "slice",
    )
} | {
    ("collections", "OrderedDict"),
    ("_codecs", "encode"),
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"),
    ("numpy._core.multiarray", "scalar"),
    ("numpy.core.numeric", "_frombuffer"),
    ("numpy._core.numeric", "_frombuffer"),
    ("numpy.dtypes", "Float32DType"),
    ("numpy.dtypes", "Float64DType"),
    ("numpy.dtypes", "Int64DType"),
    ("numpy.dtypes", "Int32DType"),
    ("numpy.dtypes", "UInt8DType"),
    ("numpy.dtypes", "Float16DType"),
}


class UnsafePickle(ValueError):
    """The pickle names something other than containers and numpy arrays, or is malformed."""


class _RestrictedUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in _ALLOWED:
            raise UnsafePickle(f"pickle refers to {module}.{name}, which is not allowed")
        return super().find_class(module, name)


def safe_loads(data: bytes) -> Any:
    try:
        return _RestrictedUnpickler(io.BytesIO(data)).load()
    except UnsafePickle:
        raise
    except Exception as exc:  # malformed pickles raise many types
        raise UnsafePickle(f"not a readable annotation pickle: {type(exc).__name__}: {exc}") from None


@dataclass(frozen=True, slots=True)
class Sample:
    """One annotation as skeleton-file frames: person m of the sample becomes track m + 1."""

    name: str
    label: int
    split: str | None
    doc: dict[str, Any]
    track_ids: list[int]


def parse_annotations(data: bytes, *, fps: float, max_samples: int = 100_000) -> list[Sample]:
    """Validate shapes and values of every annotation; raises UnsafePickle / ValueError."""
    obj = safe_loads(data)
    if isinstance(obj, list):  # some tools store the bare annotation list
        obj = {"annotations": obj, "split": {}}
    if not isinstance(obj, dict) or not isinstance(obj.get("annotations"), list):
        raise ValueError("expected a dict with an 'annotations' list")
    anns = obj["annotations"]
    if len(anns) > max_samples:
        raise ValueError(f"too many annotations ({len(anns)} > {max_samples})")
    split_of: dict[str, str] = {}
    for split_name, names in (obj.get("split") or {}).items():
        if isinstance(names, list | tuple):
            for n in names:
                split_of[str(n)] = str(split_name)
    samples = []
    for i, ann in enumerate(anns):
        if not isinstance(ann, dict):
            raise ValueError(f"annotation {i} is not a dict")
        try:
            kp = np.asarray(ann["keypoint"], dtype=np.float32)
            label = int(ann["label"])
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"annotation {i}: needs 'keypoint' and 'label' ({exc})") from None
        if kp.ndim != 4 or kp.shape[2] != 17 or kp.shape[3] not in (2, 3) or not 1 <= kp.shape[0] <= 10:
            raise ValueError(f"annotation {i}: keypoint must be M x T x 17 x 2 (COCO-17), got {kp.shape}")
        if kp.shape[1] < 1 or kp.shape[1] > 100_000 or not np.all(np.isfinite(kp)):
            raise ValueError(f"annotation {i}: keypoint has no frames, too many, or non-finite values")
        if kp.shape[3] == 3:
            score = kp[..., 2]
        elif "keypoint_score" in ann:
            score = np.asarray(ann["keypoint_score"], dtype=np.float32)
        else:
            score = np.ones(kp.shape[:3], np.float32)
        if score.shape != kp.shape[:3] or not np.all(np.isfinite(score)):
            raise ValueError(f"annotation {i}: keypoint_score must be M x T x 17, got {score.shape}")
        m, t = kp.shape[:2]
        h, w = (ann.get("img_shape") or ann.get("original_shape") or (0, 0))[:2]
        frames, tracks = [], set()
        for f in range(t):
            people = []
            for person in range(m):
                pts = kp[person, f, :, :2]
                sc = score[person, f]
                if not np.any(sc > 0) and not np.any(pts):
                    continue  # pyskl pads missing persons with zeros
                x1, y1 = pts.min(axis=0)
                x2, y2 = pts.max(axis=0)
                people.append(
                    {
                        "track_id": person + 1,
                        "box": [float(x1), float(y1), float(x2), float(y2)],
                        "score": float(sc.mean()),
                        "keypoints": [[float(x), float(y), float(s)] for (x, y), s in zip(pts, sc, strict=True)],
                    }
                )
                tracks.add(person + 1)
            frames.append({"index": f, "t": round(f / fps, 3), "people": people})
        name = str(ann.get("frame_dir", f"sample{i}"))
        doc = {"version": SKELETON_VERSION, "width": int(w), "height": int(h), "fps": fps, "frames": frames}
        samples.append(Sample(name, label, split_of.get(name), doc, sorted(tracks)))
    return samples


def build_annotations(
    samples: Sequence[tuple[str, int, dict[str, Any], int, int, int]], splits: dict[str, list[str]]
) -> bytes:
    """Samples (frame_dir, label index, skeleton doc, track id, start, end) -> pyskl pickle bytes (M = 1)."""
    anns = []
    for name, label, doc, track_id, start, end in samples:
        t = end - start
        kp = np.zeros((1, t, 17, 2), np.float32)
        score = np.zeros((1, t, 17), np.float32)
        for f in doc["frames"][start:end]:
            for p in f["people"]:
                if int(p["track_id"]) == track_id:
                    arr = np.asarray(p["keypoints"], np.float32)
                    kp[0, int(f["index"]) - start] = arr[:, :2]
                    score[0, int(f["index"]) - start] = arr[:, 2]
        shape = (int(doc.get("height") or 0), int(doc.get("width") or 0))
        anns.append(
            {
                "frame_dir": name,
                "label": int(label),
                "img_shape": shape,
                "original_shape": shape,
                "total_frames": t,
                "keypoint": kp,
                "keypoint_score": score,
            }
        )
    return pickle.dumps({"split": splits, "annotations": anns}, protocol=4)
