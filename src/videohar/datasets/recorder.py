"""The `record` job: N seconds of a live camera into a dataset clip.

Frames come from the camera's published JPEGs in Redis (`camera_{id}_latest_frame`) at the
camera's analysis rate; pose + tracking run as in a worker, and the clip is written like an
event clip (H.264 MP4 + skeleton file). Whatever goes wrong (no frames, cancel, a crash while
encoding), the clip row and every file it had started are removed, and the job carries the reason.
"""

from __future__ import annotations

import time
from typing import Any

import simplejpeg

from videohar.media.clips import ClipFrame, people_record, skeleton_document, write_mp4, write_skeleton

NO_FRAMES_TIMEOUT_S = 5.0
"""A camera silent for this long fails the job (offline, wrong URL, ingest not running)."""


def _record_frames(ctx, camera_id: int, seconds: float, fps: float) -> list[ClipFrame]:  # type: ignore[no-untyped-def]
    """Pose + tracking on the camera's frames for `seconds`; progress as a fraction of the time."""
    from videohar.bus.connection import get_redis
    from videohar.bus.frames import read_latest
    from videohar.training.jobs import JobCancelled, JobFailed
    from videohar.vision.pose.base import create_pose_backend
    from videohar.vision.tracking import Tracker

    client = get_redis()
    pose, tracker = create_pose_backend(ctx.params.get("pose", "default")), Tracker()
    frames: list[ClipFrame] = []
    last_seq, started, last_frame_at = 0, time.monotonic(), time.monotonic()
    while time.monotonic() - started < seconds:
        if ctx.cancelled():
            raise JobCancelled("cancelled")
        frame = read_latest(client, camera_id)
        if frame is None or frame.meta.seq <= last_seq:
            if time.monotonic() - last_frame_at > NO_FRAMES_TIMEOUT_S:
                raise JobFailed(
                    f"camera {camera_id} sent no frames for {NO_FRAMES_TIMEOUT_S:g} s "
                    "(offline, wrong stream URL, or no ingest running)"
                )
            time.sleep(0.02)
            continue
        last_seq, last_frame_at = frame.meta.seq, time.monotonic()
        image = simplejpeg.decode_jpeg(frame.jpeg, colorspace="BGR")
        t = frame.meta.captured_at
        tracked = [p for p in tracker.update(pose.estimate(image), t) if p.confirmed]
        frames.append(ClipFrame(t, frame.jpeg, people_record(tracked)))
        ctx.progress(fraction=round(min(0.99, (time.monotonic() - started) / seconds), 3), frames=len(frames))
        time.sleep(max(0.0, 1.0 / fps - (time.monotonic() - last_frame_at)))
    if not frames:
        raise JobFailed(
            f"camera {camera_id} sent no frames during the {seconds:g} s recording "
            "(offline, wrong stream URL, or no ingest running)"
        )
    if len(frames) < 2:
        raise JobFailed(f"only {len(frames)} frame was recorded in {seconds:g} s; is the camera delivering?")
    return frames


def run_record_job(ctx) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """Params {clip_id, camera_id, seconds, fps, pose}; a camera without frames for 5 s fails the job."""
    from videohar.config import get_settings
    from videohar.datasets.clips import clip_files, finish_clip, remove_files
    from videohar.db.session import session_scope
    from videohar.db.training_models import DatasetClip
    from videohar.training.jobs import JobFailed

    media = get_settings().media_path
    clip_id, camera_id = int(ctx.params["clip_id"]), int(ctx.params["camera_id"])
    seconds, fps = float(ctx.params["seconds"]), float(ctx.params.get("fps", 10.0))
    with session_scope() as db:
        clip = db.get(DatasetClip, clip_id)
        if clip is None:
            raise JobFailed("the clip was deleted")
        dataset_id = clip.dataset_id
    mp4, skeleton = clip_files(media, dataset_id, clip_id)
    try:
        frames = _record_frames(ctx, camera_id, seconds, fps)
        width, height = write_mp4(mp4, frames)
        write_skeleton(skeleton, frames, width, height)
        with session_scope() as db:
            clip = db.get(DatasetClip, clip_id)
            if clip is None:
                raise JobFailed("the clip was deleted while it was recorded")
            finish_clip(media, clip, skeleton_document(frames, width, height), has_video=True)
    except BaseException:
        with session_scope() as db:
            clip = db.get(DatasetClip, clip_id)
            if clip is not None:
                db.delete(clip)
        remove_files(media, dataset_id, clip_id)
        raise
    ctx.progress(fraction=1.0, frames=len(frames))
    return {"clip_id": clip_id, "frames": len(frames)}
