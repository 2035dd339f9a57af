"""Event clips: a pre-roll ring of analysed frames, extended while events are open, finished after
a post-roll and encoded off the analysis thread."""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from videohar.media.clips import ClipFrame, write_mp4, write_skeleton

log = logging.getLogger("videohar.worker")

FinishedClip = Callable[[int, Path, Path], None]
"""Called with (event id, mp4 path, skeleton path) once a clip is on disk."""


@dataclass(slots=True)
class _Recording:
    event_id: int
    directory: Path
    frames: list[ClipFrame]
    close_at: float | None = None
    started_at: float = 0.0


@dataclass
class ClipRecorder:
    pre_roll_s: float = 3.0
    post_roll_s: float = 3.0
    max_length_s: float = 30.0
    on_finished: FinishedClip | None = None
    _ring: deque[ClipFrame] = field(default_factory=deque)
    _active: dict[int, _Recording] = field(default_factory=dict)
    _threads: list[threading.Thread] = field(default_factory=list)

    def add(self, frame: ClipFrame) -> None:
        """Feed every analysed frame; finishes recordings whose post-roll has passed."""
        self._ring.append(frame)
        while self._ring and frame.t - self._ring[0].t > self.pre_roll_s:
            self._ring.popleft()
        for rec in list(self._active.values()):
            rec.frames.append(frame)
            too_long = frame.t - rec.started_at > self.max_length_s
            if (rec.close_at is not None and frame.t >= rec.close_at) or too_long:
                self._finish(rec)

    def start(self, event_id: int, directory: Path, t: float) -> None:
        self._active[event_id] = _Recording(event_id, directory, list(self._ring), started_at=t)

    def stop(self, event_id: int, t: float) -> None:
        rec = self._active.get(event_id)
        if rec is not None:
            rec.close_at = t + self.post_roll_s

    def flush(self) -> None:
        """Finish everything now (camera released, shutdown) and wait for the encoders."""
        self.finish_all(wait=True)

    def finish_all(self, *, wait: bool) -> None:
        """Finish every recording now and forget the pre-roll (a pause in analysis: the frames before
        it must not become the pre-roll of an event after it)."""
        for rec in list(self._active.values()):
            self._finish(rec)
        self._ring.clear()
        if wait:
            for thread in self._threads:
                thread.join(60)
            self._threads.clear()

    def _finish(self, rec: _Recording) -> None:
        self._active.pop(rec.event_id, None)
        thread = threading.Thread(target=self._encode, args=(rec,), name=f"clip-{rec.event_id}", daemon=True)
        self._threads = [t for t in self._threads if t.is_alive()]
        self._threads.append(thread)
        thread.start()

    def _encode(self, rec: _Recording) -> None:
        try:
            mp4 = rec.directory / f"{rec.event_id}.mp4"
            skeleton = rec.directory / f"{rec.event_id}.skeleton.json"
            width, height = write_mp4(mp4, rec.frames)
            write_skeleton(skeleton, rec.frames, width, height)
            if self.on_finished is not None:
                self.on_finished(rec.event_id, mp4, skeleton)
        except Exception:
            log.exception("clip of event %s could not be written", rec.event_id)
