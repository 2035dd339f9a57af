"""H.264 MP4 clips (browser-playable) and the skeleton file that goes with each clip.

Skeleton file format (JSON, version 1), shared by event clips and dataset clips:

    {"version": 1, "width": W, "height": H, "fps": F,
     "frames": [{"index": i, "t": seconds_from_clip_start,
                 "people": [{"track_id": id, "box": [x1, y1, x2, y2], "score": s,
                             "keypoints": [[x, y, score] * 17]}]}]}

Keypoints are COCO-17 in frame pixels.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import simplejpeg

from videohar.media.store import write_atomic
from videohar.vision.types import TrackedPerson

SKELETON_VERSION = 1


@dataclass(slots=True)
class ClipFrame:
    """One analysed frame kept for clips: the JPEG as published and the tracked people on it."""

    t: float
    jpeg: bytes
    people: list[dict[str, object]] = field(default_factory=list)


def people_record(people: Sequence[TrackedPerson]) -> list[dict[str, object]]:
    return [
        {
            "track_id": int(p.track_id),
            "box": [round(float(v), 1) for v in p.person.box],
            "score": round(float(p.person.score), 3),
            "keypoints": [
                [round(float(x), 1), round(float(y), 1), round(float(s), 3)] for x, y, s in p.person.keypoints
            ],
        }
        for p in people
    ]


def write_mp4(path: Path, frames: Sequence[ClipFrame], *, crf: int = 28) -> tuple[int, int]:
    """Encode JPEG frames to H.264 (yuv420p, faststart) with their real timing; returns (width, height)."""
    if not frames:
        raise ValueError("a clip needs at least one frame")
    first = simplejpeg.decode_jpeg(frames[0].jpeg, colorspace="BGR")
    height, width = first.shape[:2]
    width, height = width - width % 2, height - height % 2
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".tmp-{path.name}")
    t0 = frames[0].t
    with av.open(str(tmp), "w", format="mp4", options={"movflags": "+faststart"}) as out:
        stream = out.add_stream("libx264", rate=Fraction(1000, 1))
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.time_base = Fraction(1, 1000)
        stream.options = {"crf": str(crf), "preset": "veryfast", "tune": "zerolatency"}
        last_pts = -1
        for i, frame in enumerate(frames):
            image = first if i == 0 else simplejpeg.decode_jpeg(frame.jpeg, colorspace="BGR")
            if image.shape[0] < height or image.shape[1] < width:
                continue  # camera size changed mid-clip: keep the first size
            vf = av.VideoFrame.from_ndarray(np.ascontiguousarray(image[:height, :width]), format="bgr24")
            pts = max(last_pts + 1, round((frame.t - t0) * 1000))
            vf.pts, vf.time_base, last_pts = pts, Fraction(1, 1000), pts
            for packet in stream.encode(vf):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    tmp.replace(path)
    return width, height


def skeleton_document(frames: Sequence[ClipFrame], width: int, height: int) -> dict[str, object]:
    t0 = frames[0].t if frames else 0.0
    duration = (frames[-1].t - t0) if len(frames) > 1 else 0.0
    fps = (len(frames) - 1) / duration if duration > 0 else 0.0
    return {
        "version": SKELETON_VERSION,
        "width": width,
        "height": height,
        "fps": round(fps, 3),
        "frames": [{"index": i, "t": round(f.t - t0, 3), "people": f.people} for i, f in enumerate(frames)],
    }


def write_skeleton(path: Path, frames: Sequence[ClipFrame], width: int, height: int) -> None:
    write_atomic(path, json.dumps(skeleton_document(frames, width, height), separators=(",", ":")).encode())


def read_skeleton(path: Path) -> dict[str, object]:
    doc = json.loads(path.read_text())
    if doc.get("version") != SKELETON_VERSION or not isinstance(doc.get("frames"), list):
        raise ValueError("not a videohar skeleton file (version 1)")
    return doc


def track_ids(doc: dict[str, object]) -> set[int]:
    frames: Iterable[dict] = doc["frames"]  # type: ignore[assignment]
    return {int(p["track_id"]) for f in frames for p in f["people"]}
