"""Per-camera glue: tracked people in, per-track scores and event changes out.

    actions = CameraActions(context, [create_recogniser("rules"), create_recogniser("nfd")])
    step = actions.step(t, tracked_people)      # after the tracker, once per analysed frame
    step.scores[track_id]["fall"], step.events  # EventOpened / EventUpdated / EventClosed

Keeps one `SkeletonBuffer` per live track, runs every recogniser on all tracks, merges their
scores (max per label, so rules and models for the same label back each other up), feeds the
event engine and writes smoothed scores to `TrackedPerson.labels` for drawing.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from videohar.actions.base import Recogniser, RecogniserContext, TrackScores, foot_point
from videohar.actions.events import EventChange, EventEngine
from videohar.actions.windows import SkeletonBuffer
from videohar.vision.types import TrackedPerson


@dataclass(slots=True)
class ActionStep:
    scores: TrackScores
    events: list[EventChange]
    timings_ms: dict[str, float] = field(default_factory=dict)
    """Wall time of each recogniser on this step (for metrics)."""


class CameraActions:
    def __init__(
        self,
        context: RecogniserContext,
        recognisers: Sequence[Recogniser],
        engine: EventEngine | None = None,
        *,
        keep_seconds: float = 6.0,
        lost_after_seconds: float = 1.5,
    ) -> None:
        self.context = context
        self.recognisers = list(recognisers)
        self.engine = engine or EventEngine(context.camera_id)
        self.keep_seconds = keep_seconds
        self.lost_after_seconds = lost_after_seconds
        self.buffers: dict[int, SkeletonBuffer] = {}

    def set_context(self, context: RecogniserContext) -> None:
        """Areas or frame size changed (configuration reload); track state is kept."""
        self.context = context

    def step(self, t: float, people: Sequence[TrackedPerson]) -> ActionStep:
        seen = {}
        for tracked in people:
            if not tracked.confirmed:
                continue
            buffer = self.buffers.get(tracked.track_id)
            if buffer is None:
                buffer = self.buffers[tracked.track_id] = SkeletonBuffer(self.keep_seconds)
            buffer.push(t, tracked.person)
            seen[tracked.track_id] = buffer
        events: list[EventChange] = []
        for track_id, buffer in list(self.buffers.items()):
            if track_id not in seen and t - (buffer.last_time or t) > self.lost_after_seconds:
                del self.buffers[track_id]
                for recogniser in self.recognisers:
                    recogniser.forget(track_id)
                events.extend(self.engine.track_lost(track_id, t))

        scores: TrackScores = {track_id: {} for track_id in seen}
        timings: dict[str, float] = {}
        for recogniser in self.recognisers:
            started = time.perf_counter()
            result = recogniser.update(t, seen, self.context)
            timings[recogniser.name or type(recogniser).__name__] = (time.perf_counter() - started) * 1e3
            for track_id, labels in result.items():
                merged = scores.setdefault(track_id, {})
                for label, value in labels.items():
                    merged[label] = max(value, merged.get(label, 0.0))
        positions = {track_id: foot_point(buffer.boxes[-1]) for track_id, buffer in seen.items()}
        events.extend(
            self.engine.update(
                t, scores, positions=positions, areas=self.context.areas, live_tracks=self.buffers.keys()
            )
        )
        for tracked in people:
            if tracked.track_id in seen:
                tracked.labels = self.engine.smoothed(tracked.track_id)
        return ActionStep(scores=scores, events=events, timings_ms=timings)

    def close(self, t: float) -> list[EventChange]:
        return self.engine.close_all(t)
