"""One camera's recognition: decode → pose → tracking → focus areas → actions → events → drawing."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import redis
import simplejpeg

from videohar.actions.base import RecogniserContext, create_recogniser
from videohar.actions.events import DEFAULT_POLICIES, EventClosed, EventEngine, EventOpened, EventUpdated, LabelPolicy
from videohar.actions.pipeline import CameraActions
from videohar.bus import keys
from videohar.bus.frames import Frame, FramePublisher
from videohar.events.store import announce, close_event, open_event
from videohar.media.clips import ClipFrame, people_record
from videohar.media.store import event_media_dir, write_atomic
from videohar.vision.drawing import DrawArea, Header, annotate, parse_color
from videohar.vision.geometry import foot_point, points_in_polygon
from videohar.vision.pose.base import PoseBackend, create_pose_backend
from videohar.vision.tracking import Tracker
from videohar.vision.types import TrackedPerson
from videohar.worker.config import WorkerCamera
from videohar.worker.models import ModelSlot
from videohar.worker.recorder import ClipRecorder

log = logging.getLogger("videohar.worker")
STAGES = ("frame_age", "decode", "pose", "tracking", "actions", "drawing", "publish", "events", "total")


@dataclass
class StageStats:
    """Exponential moving averages of stage latencies (ms) and counters, for status and /metrics."""

    ms: dict[str, float] = field(default_factory=dict)
    analysed: int = 0
    skipped: int = 0
    fps: float = 0.0
    _last_t: float | None = None

    def record(self, stage: str, value_ms: float) -> None:
        old = self.ms.get(stage)
        self.ms[stage] = value_ms if old is None else old + 0.1 * (value_ms - old)

    def tick(self, now: float) -> None:
        self.analysed += 1
        if self._last_t is not None and now > self._last_t:
            inst = 1.0 / (now - self._last_t)
            self.fps = inst if self.fps == 0 else self.fps + 0.1 * (inst - self.fps)
        self._last_t = now

    def pause(self) -> None:
        """Analysis stopped (outside the schedule): no rate until frames are analysed again."""
        self.fps = 0.0
        self._last_t = None


def pose_backend_for(camera: WorkerCamera) -> PoseBackend:
    """The camera's pose backend with its input size knob (`pose_input`, None = the backend default)."""
    return create_pose_backend(camera.settings.pose, input_px=camera.settings.pose_input)


class CameraPipeline:
    """Stateful per-camera analysis; not thread-safe (one thread per camera)."""

    def __init__(
        self, camera: WorkerCamera, redis_client: redis.Redis, media_root: Path, pose: PoseBackend | None = None
    ) -> None:
        self.camera = camera
        self.redis = redis_client
        self.media_root = media_root
        self.pose = pose or pose_backend_for(camera)
        self.tracker = Tracker()
        self.publisher = FramePublisher(redis_client, kind=keys.BOXED_IMAGE)
        self.recorder = ClipRecorder(on_finished=self._clip_finished)
        self.stats = StageStats()
        self.last_action: dict[str, object] | None = None
        self.people_count = 0
        self._db_ids: dict[int, int] = {}
        self._frame_size: tuple[int, int] | None = None
        self.actions: CameraActions | None = None
        self._recognisers = [create_recogniser("rules"), create_recogniser("nfd")]
        self.model_slot = ModelSlot(redis_client, media_root)
        self.scheduled = True
        """False while the camera is outside its recognition schedule (frames pass through unanalysed)."""

    # configuration -----------------------------------------------------------------------
    def reconfigure(self, camera: WorkerCamera) -> None:
        """Settings or areas changed: keep tracks, swap what changed."""
        old = self.camera.settings
        pose_changed = (camera.settings.pose, camera.settings.pose_input) != (old.pose, old.pose_input)
        self.camera = camera
        if pose_changed:
            self.pose = pose_backend_for(camera)
        if self.actions is not None and self._frame_size is not None:
            self.actions.set_context(self._context(self._frame_size))
            self.actions.engine.alert_labels = frozenset(camera.settings.actions)
            self.actions.engine.policies = self._policies()

    def _context(self, size: tuple[int, int]) -> RecogniserContext:
        return RecogniserContext(str(self.camera.id), size, tuple(a.as_action_area() for a in self.camera.areas))

    def _policies(self) -> dict[str, LabelPolicy]:
        policies = dict(DEFAULT_POLICIES)
        for label, on in self.camera.settings.thresholds.items():
            base = policies.get(label, LabelPolicy())
            policies[label] = LabelPolicy(
                on=on,
                off=min(base.off, on * 0.8),
                n_on=base.n_on,
                m_off=base.m_off,
                alpha=base.alpha,
                cooldown_seconds=base.cooldown_seconds,
            )
        return policies

    def _ensure_actions(self, size: tuple[int, int]) -> CameraActions:
        if self.actions is None or self._frame_size != size:
            self._frame_size = size
            engine = EventEngine(
                str(self.camera.id), policies=self._policies(), alert_labels=frozenset(self.camera.settings.actions)
            )
            self.actions = CameraActions(self._context(size), self._recognisers + self.model_slot.recognisers, engine)
        if self.model_slot.poll(self.camera.id, self.camera.settings.model_id):  # registry changed: hot swap
            self.actions.recognisers = self._recognisers + self.model_slot.recognisers
        return self.actions

    # analysis ----------------------------------------------------------------------------
    def in_schedule(self, t: float) -> bool:
        """Whether the camera's schedule has recognition on at capture time `t` (Unix s)."""
        return self.camera.settings.schedule.active_at(datetime.fromtimestamp(t, UTC))

    def process(self, frame: Frame, now: float | None = None) -> bytes:
        """Analyse one published frame; returns the annotated JPEG it published.

        Outside the camera's schedule the frame is republished as it is (the recognized view keeps
        showing the camera) and nothing else runs: no pose, tracking, actions, events or clips.
        """
        t = frame.meta.captured_at
        if not self.in_schedule(t):
            return self._pass_through(frame, t)
        if not self.scheduled:
            self.scheduled = True
            log.info("camera %s: schedule window opened; recognition resumes", self.camera.id)
        stats = self.stats
        start = time.perf_counter()
        stats.record("frame_age", max(0.0, (now or time.time()) - t) * 1000)
        image = simplejpeg.decode_jpeg(frame.jpeg, colorspace="BGR")
        t1 = time.perf_counter()
        people = self.pose.estimate(image)
        t2 = time.perf_counter()
        tracked = self.tracker.update(people, t)
        t3 = time.perf_counter()
        height, width = image.shape[:2]
        actions = self._ensure_actions((width, height))
        active = self._in_areas(tracked)
        step = actions.step(t, active)
        t4 = time.perf_counter()
        boxed = self._draw(image, active, t)
        t5 = time.perf_counter()
        self.publisher.publish(
            self.camera.id,
            boxed,
            width=width,
            height=height,
            captured_at=t,
            extra={"people": len(active), "source_seq": frame.meta.seq},
        )
        self.recorder.add(ClipFrame(t, frame.jpeg, people_record(active)))
        t6 = time.perf_counter()
        self._handle_events(step.events, boxed)
        t7 = time.perf_counter()
        for stage, a, b in (
            ("decode", start, t1),
            ("pose", t1, t2),
            ("tracking", t2, t3),
            ("actions", t3, t4),
            ("drawing", t4, t5),
            ("publish", t5, t6),
            ("events", t6, t7),
        ):
            stats.record(stage, (b - a) * 1000)
        stats.record("total", (t7 - start) * 1000)
        stats.tick(time.monotonic())
        self.people_count = len(active)
        return boxed

    def _pass_through(self, frame: Frame, t: float) -> bytes:
        if self.scheduled:
            self.scheduled = False
            log.info("camera %s: outside its schedule; recognition paused", self.camera.id)
            self._pause(t)
        self.publisher.publish(
            self.camera.id,
            frame.jpeg,
            width=frame.meta.width,
            height=frame.meta.height,
            captured_at=t,
            extra={"people": 0, "source_seq": frame.meta.seq, "analysed": False},
        )
        return frame.jpeg

    def _pause(self, t: float) -> None:
        """Leaving the schedule: close open events (their clips end now), forget tracks and per-stream
        pose state, so the next window starts clean instead of joining people across the gap."""
        if self.actions is not None:
            try:
                self._handle_events(self.actions.close(t), b"")
            except Exception:
                log.exception("closing events of camera %s failed", self.camera.id)
        self.actions = None
        self.recorder.finish_all(wait=False)
        self.tracker = Tracker()
        self.pose.reset()
        self.people_count = 0
        self.stats.pause()

    def _in_areas(self, tracked: list[TrackedPerson]) -> list[TrackedPerson]:
        """With focus areas, only people standing inside one of them count."""
        if not self.camera.areas or not tracked:
            return tracked
        feet = np.array([foot_point(t.person) for t in tracked], dtype=np.float32)
        inside = np.zeros(len(tracked), dtype=bool)
        for area in self.camera.areas:
            inside |= points_in_polygon(feet, np.array(area.polygon, dtype=np.float32))
        return [t for t, ok in zip(tracked, inside, strict=True) if ok]

    def _draw(self, image: np.ndarray, active: list[TrackedPerson], t: float) -> bytes:
        areas = [
            DrawArea(a.name, np.array(a.polygon, dtype=np.float32), parse_color(a.color)) for a in self.camera.areas
        ]
        header = Header(self.camera.name, t, self.stats.fps, len(active))
        annotate(image, active, areas=areas, header=header, inplace=True)
        return simplejpeg.encode_jpeg(image, quality=self.camera.settings.jpeg_quality, colorspace="BGR")

    # events ------------------------------------------------------------------------------
    def _handle_events(self, changes: list, boxed_jpeg: bytes) -> None:
        """Persist event changes; an opened event gets this frame's annotated JPEG as its snapshot."""
        if not changes:
            return
        from videohar.db.models import Event
        from videohar.db.session import session_scope

        with session_scope() as db:
            for change in changes:
                if isinstance(change, EventOpened):
                    when = datetime.fromtimestamp(change.start, UTC)
                    area_id = next((a.id for a in self.camera.areas if a.name == change.area), None)
                    event = open_event(
                        db,
                        camera_id=self.camera.id,
                        label=change.label,
                        score=change.peak,
                        started_at=when,
                        track_id=change.track_id,
                        area_id=area_id,
                        area_name=change.area or "",
                    )
                    folder = event_media_dir(self.media_root, self.camera.id, when)
                    write_atomic(folder / f"{event.id}.jpg", boxed_jpeg)
                    event.snapshot_path = (folder / f"{event.id}.jpg").relative_to(self.media_root).as_posix()
                    db.flush()
                    self._db_ids[change.event_id] = event.id
                    self.recorder.start(event.id, folder, change.start)
                    self.last_action = {
                        "label": change.label,
                        "score": round(change.peak, 3),
                        "track_id": change.track_id,
                        "at": change.start,
                        "event_id": event.id,
                    }
                    from videohar.notify.dispatch import on_event

                    on_event(db, event)
                    announce(self.redis, event, "opened", db)
                elif isinstance(change, EventUpdated | EventClosed):
                    db_id = self._db_ids.get(change.event_id)
                    event = db.get(Event, db_id) if db_id else None
                    if event is None:
                        continue
                    if isinstance(change, EventClosed):
                        close_event(event, ended_at=datetime.fromtimestamp(change.end, UTC), peak=change.peak)
                        self.recorder.stop(event.id, change.end)
                        self._db_ids.pop(change.event_id, None)
                        announce(self.redis, event, "closed", db)
                    else:
                        event.score = max(event.score, change.peak)

    def _clip_finished(self, event_id: int, mp4: Path, skeleton: Path) -> None:
        from videohar.db.models import Event
        from videohar.db.session import session_scope

        with session_scope() as db:
            event = db.get(Event, event_id)
            if event is not None:
                event.clip_path = mp4.relative_to(self.media_root).as_posix()
                event.skeleton_path = skeleton.relative_to(self.media_root).as_posix()

    def close(self) -> None:
        """Camera released: close open events and finish their clips."""
        if self.actions is not None:
            try:
                self._handle_events(self.actions.close(time.time()), b"")
            except Exception:
                log.exception("closing events of camera %s failed", self.camera.id)
        self.recorder.flush()

    def status(self) -> dict[str, object]:
        schedule = self.camera.settings.schedule
        return {
            "state": "analysing" if self.scheduled else "outside_schedule",
            "reason": "" if self.scheduled else f"outside schedule: {schedule.describe()}",
            "fps": round(self.stats.fps, 2),
            "analysed": self.stats.analysed,
            "skipped": self.stats.skipped,
            "people": self.people_count,
            "tracks": len(self.tracker.tracks),
            "latency_ms": {k: round(v, 2) for k, v in self.stats.ms.items()},
            "last_action": self.last_action,
        }
