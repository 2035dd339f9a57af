"""The `record` job: N seconds of a live camera into a dataset clip.

Frames come from the camera's published JPEGs in Redis (`camera_{id}_latest_frame`) at the
camera's analysis rate; pose + tracking run as in a worker, and the clip is written like an
event clip (H.264 MP4 + skeleton file).
"""

from __future__ import annotations

import time
from typing import Any

import simplejpeg

from videohar.media.clips import ClipFrame, people_record, write_mp4, write_skeleton


def run_record_job(ctx) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """Params {clip_id, camera_id, seconds, fps}; a camera without frames for 5 s fails the job."""
    from videohar.bus.connection import get_redis
    from videohar.bus.frames import read_latest
    from videohar.config import get_settings
    from videohar.datasets.clips import clip_files, finish_clip, remove_clip_files
    from videohar.db.session import session_scope
    from videohar.db.training_models import DatasetClip
    from videohar.media.clips import skeleton_document
    from videohar.training.jobs import JobCancelled, JobFailed
    from videohar.vision.pose.base import create_pose_backend
    from videohar.vision.tracking import Tracker

    media = get_settings().media_path
    clip_id, camera_id = int(ctx.params["clip_id"]), int(ctx.params["camera_id"])
    seconds, fps = float(ctx.params["seconds"]), float(ctx.params.get("fps", 10.0))
    client = get_redis()
    pose, tracker = create_pose_backend(ctx.params.get("pose", "default")), Tracker()
    frames: list[ClipFrame] = []
    last_seq, started, last_frame_at = 0, time.monotonic(), time.monotonic()
    try:
        while time.monotonic() - started < seconds:
            if ctx.cancelled():
                raise JobCancelled("cancelled")
            frame = read_latest(client, camera_id)
            if frame is None or frame.meta.seq <= last_seq:
                if time.monotonic() - last_frame_at > 5.0:
                    raise JobFailed(f"camera {camera_id} sent no frames for 5 s (offline?)")
                time.sleep(0.02)
                continue
            last_seq, last_frame_at = frame.meta.seq, time.monotonic()
            image = simplejpeg.decode_jpeg(frame.jpeg, colorspace="BGR")
            t = frame.meta.captured_at
            tracked = [p for p in tracker.update(pose.estimate(image), t) if p.confirmed]
            frames.append(ClipFrame(t, frame.jpeg, people_record(tracked)))
            ctx.progress(fraction=round(min(1.0, (time.monotonic() - started) / seconds), 3), frames=len(frames))
            time.sleep(max(0.0, 1.0 / fps - (time.monotonic() - last_frame_at)))
        if len(frames) < 2:
            raise JobFailed("too few frames were recorded")
        with session_scope() as db:
            clip = db.get(DatasetClip, clip_id)
            if clip is None:
                raise JobFailed("the clip was deleted")
            mp4, skeleton = clip_files(media, clip.dataset_id, clip.id)
            width, height = write_mp4(mp4, frames)
            write_skeleton(skeleton, frames, width, height)
            finish_clip(media, clip, skeleton_document(frames, width, height), has_video=True)
    except BaseException:
        with session_scope() as db:
            clip = db.get(DatasetClip, clip_id)
            if clip is not None:
                remove_clip_files(media, clip)
                db.delete(clip)
        raise
    return {"clip_id": clip_id, "frames": len(frames)}
