"""Rules + NFD on real people: MoveNet on the demo clip (pedestrians on a campus path) -> no falls."""

import time

import cv2

from videohar.actions import CameraActions, RecogniserContext, create_recogniser
from videohar.actions.events import EventOpened
from videohar.vision.types import Person, TrackedPerson

SECONDS = 12.0


def _pose_backend():
    from videohar.vision.pose.base import create_pose_backend

    return create_pose_backend("movenet", long_side=512)


def _tracker():
    try:
        from videohar.vision.tracking import Tracker

        return Tracker()
    except ImportError:
        return None


def test_walkers_raise_no_fall_or_lying(demo_clip) -> None:
    pose = _pose_backend()
    tracker = _tracker()
    capture = cv2.VideoCapture(str(demo_clip))
    fps = capture.get(cv2.CAP_PROP_FPS) or 10.0
    width = int(capture.get(cv2.CAP_PROP_FRAME_WIDTH))
    height = int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT))
    actions = CameraActions(
        RecogniserContext("demo", (width, height)), [create_recogniser("rules"), create_recogniser("nfd")]
    )
    opened, peaks, updates = [], {"fall": 0.0, "lying": 0.0}, 0
    per_recogniser: dict[str, float] = {}
    recognise_ms = 0.0
    index = 0
    try:
        while index < SECONDS * fps:
            ok, frame = capture.read()
            if not ok:
                break
            t = index / fps
            people: list[Person] = pose.estimate(frame)
            if tracker is not None:
                tracked = tracker.update(people, t)
            else:  # no tracker yet: one id per detection order is enough for a no-fall check
                tracked = [TrackedPerson(track_id=i, person=p) for i, p in enumerate(people)]
            started = time.perf_counter()
            step = actions.step(t, tracked)
            recognise_ms += (time.perf_counter() - started) * 1e3
            updates += len(step.scores)
            for name, ms in step.timings_ms.items():
                per_recogniser[name] = per_recogniser.get(name, 0.0) + ms
            opened += [e for e in step.events if isinstance(e, EventOpened)]
            for labels in step.scores.values():
                for label in peaks:
                    peaks[label] = max(peaks[label], labels.get(label, 0.0))
            index += 1
    finally:
        capture.release()
    assert index >= SECONDS * fps - 1 and updates > 50, (index, updates)
    bad = [e for e in opened if e.label in ("fall", "lying")]
    assert not bad, bad
    assert peaks["fall"] == 0.0 and peaks["lying"] < 0.5, peaks
    per_track = {name: round(ms / updates, 3) for name, ms in per_recogniser.items()}
    print(
        f"\n{updates} track updates; ms per track update: all {recognise_ms / updates:.3f}, {per_track}; "
        f"opened: {[(e.label, e.track_id) for e in opened]}; peaks {peaks}"
    )
