"""Skeletons from a video file: probe it, then pose + tracking on every analysed frame, writing
a browser-playable H.264 MP4 of the analysed frames and the skeleton file in one streaming pass.

    info = probe_video(path)                          # UnsupportedVideo for anything unplayable
    result = extract_skeletons(path, out_mp4, out_json, progress=print)
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np

from videohar.datasets.settings import get_dataset_settings
from videohar.media.clips import SKELETON_VERSION, people_record
from videohar.media.store import write_atomic
from videohar.vision.pose.base import PoseBackend, create_pose_backend
from videohar.vision.tracking import Tracker


class UnsupportedVideo(ValueError):
    """Not a video PyAV/FFmpeg can decode (corrupt, audio only, unknown container)."""


@dataclass(frozen=True, slots=True)
class VideoInfo:
    width: int
    height: int
    fps: float
    duration_s: float
    codec: str


def probe_video(path: Path) -> VideoInfo:
    """Open the file and decode its first frame; refuse anything that is not a decodable video."""
    try:
        with av.open(str(path), timeout=10) as container:
            if not container.streams.video:
                raise UnsupportedVideo("the file has no video stream")
            stream = container.streams.video[0]
            frame = next(container.decode(stream), None)
            if frame is None:
                raise UnsupportedVideo("the video has no decodable frames")
            rate = float(stream.average_rate or stream.guessed_rate or 0) or 10.0
            if stream.duration is not None and stream.time_base is not None:
                duration = float(stream.duration * stream.time_base)
            elif container.duration:
                duration = container.duration / av.time_base
            else:
                duration = 0.0
            width, height = frame.width, frame.height
            codec = stream.codec_context.name
    except UnsupportedVideo:
        raise
    except (av.FFmpegError, StopIteration, UnicodeDecodeError, ValueError, OSError) as exc:
        raise UnsupportedVideo(f"not a readable video: {exc}") from None
    if width < 32 or height < 32 or width > 7680 or height > 4320:
        raise UnsupportedVideo(f"unsupported frame size {width}x{height}")
    return VideoInfo(width, height, rate, duration, codec)


@dataclass(frozen=True, slots=True)
class ExtractResult:
    frames: int
    fps: float
    width: int
    height: int
    track_ids: list[int]
    doc: dict[str, Any]


def extract_skeletons(
    source: Path,
    out_mp4: Path,
    out_skeleton: Path,
    *,
    pose: PoseBackend | None = None,
    max_fps: float | None = None,
    progress: Callable[[float, int], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> ExtractResult:
    """Analyse at most `max_fps` frames per second; `progress(fraction, frames)` about twice a second.

    Raises UnsupportedVideo (nothing written) when decoding fails or no frame was analysed.
    """
    info = probe_video(source)
    max_fps = max_fps or get_dataset_settings().extract_fps
    pose = pose or create_pose_backend("default")
    tracker = Tracker()
    width, height = info.width - info.width % 2, info.height - info.height % 2
    tmp = out_mp4.with_name(f".tmp-{out_mp4.name}")
    out_mp4.parent.mkdir(parents=True, exist_ok=True)
    frames: list[dict[str, Any]] = []
    ids: set[int] = set()
    next_t, last_report, t0 = -1.0, -1.0, None
    try:
        with (
            av.open(str(source), timeout=10) as container,
            av.open(str(tmp), "w", format="mp4", options={"movflags": "+faststart"}) as out,
        ):
            stream = out.add_stream("libx264", rate=Fraction(1000, 1))
            stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
            stream.time_base = Fraction(1, 1000)
            stream.options = {"crf": "26", "preset": "veryfast"}
            last_pts = -1
            for frame in container.decode(video=0):
                if cancelled is not None and cancelled():
                    from videohar.training.jobs import JobCancelled

                    raise JobCancelled("cancelled")
                t = float(frame.time) if frame.time is not None else (len(frames) / info.fps)
                t0 = t if t0 is None else t0
                t -= t0
                if t + 1e-6 < next_t:
                    continue
                next_t = max(next_t, t) + 1.0 / max_fps if next_t >= 0 else t + 1.0 / max_fps
                image = np.ascontiguousarray(frame.to_ndarray(format="bgr24")[:height, :width])
                tracked = [p for p in tracker.update(pose.estimate(image), t) if p.confirmed]
                ids.update(p.track_id for p in tracked)
                frames.append({"index": len(frames), "t": round(t, 3), "people": people_record(tracked)})
                vf = av.VideoFrame.from_ndarray(image, format="bgr24")
                pts = max(last_pts + 1, round(t * 1000))
                vf.pts, vf.time_base, last_pts = pts, Fraction(1, 1000), pts
                for packet in stream.encode(vf):
                    out.mux(packet)
                if progress is not None and info.duration_s > 0 and t - last_report >= 0.5:
                    last_report = t
                    progress(min(0.99, t / info.duration_s), len(frames))
            for packet in stream.encode():
                out.mux(packet)
        if not frames:
            raise UnsupportedVideo("no frame of the video could be decoded")
        duration = frames[-1]["t"] if len(frames) > 1 else 0.0
        fps = round((len(frames) - 1) / duration, 3) if duration > 0 else max_fps
        doc = {"version": SKELETON_VERSION, "width": width, "height": height, "fps": fps, "frames": frames}
        write_atomic(out_skeleton, json.dumps(doc, separators=(",", ":")).encode())
        tmp.replace(out_mp4)
    except av.FFmpegError as exc:
        raise UnsupportedVideo(f"the video could not be decoded: {exc}") from None
    finally:
        tmp.unlink(missing_ok=True)
    if progress is not None:
        progress(1.0, len(frames))
    return ExtractResult(len(frames), fps, width, height, sorted(ids), doc)


def run_extract_job(ctx) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """Job `extract`: params {clip_id, upload}; on any failure the clip and its files are removed."""
    from videohar.config import get_settings
    from videohar.datasets.clips import clip_files, finish_clip, remove_clip_files
    from videohar.db.session import session_scope
    from videohar.db.training_models import DatasetClip
    from videohar.training.jobs import JobFailed

    media = get_settings().media_path
    upload = media / ctx.params["upload"]
    clip_id = int(ctx.params["clip_id"])
    with session_scope() as db:
        clip = db.get(DatasetClip, clip_id)
        if clip is None:
            upload.unlink(missing_ok=True)
            raise JobFailed("the clip was deleted")
        mp4, skeleton = clip_files(media, clip.dataset_id, clip.id)
    try:
        result = extract_skeletons(
            upload,
            mp4,
            skeleton,
            progress=lambda f, n: ctx.progress(fraction=round(f, 3), frames=n),
            cancelled=ctx.cancelled,
        )
        with session_scope() as db:
            clip = db.get(DatasetClip, clip_id)
            if clip is None:
                raise JobFailed("the clip was deleted while its skeletons were extracted")
            finish_clip(media, clip, result.doc, has_video=True)
    except BaseException as exc:
        with session_scope() as db:
            clip = db.get(DatasetClip, clip_id)
            if clip is not None:
                remove_clip_files(media, clip)
                db.delete(clip)
        if isinstance(exc, UnsupportedVideo):
            raise JobFailed(str(exc)) from None
        raise
    finally:
        upload.unlink(missing_ok=True)
    return {"clip_id": clip_id, "frames": result.frames, "fps": result.fps, "tracks": result.track_ids}
