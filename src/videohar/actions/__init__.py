"""Action recognition per track: skeleton windows, recognisers (rules, NFD, ONNX models), events."""

from videohar.actions.base import (
    Area,
    Recogniser,
    RecogniserContext,
    TrackScores,
    WindowRecogniser,
    available_recognisers,
    create_recogniser,
    register_recogniser,
)
from videohar.actions.events import EventClosed, EventEngine, EventOpened, EventUpdated, LabelPolicy
from videohar.actions.pipeline import ActionStep, CameraActions
from videohar.actions.windows import SkeletonBuffer, WindowSpec, normalise_window

__all__ = [
    "ActionStep",
    "Area",
    "CameraActions",
    "EventClosed",
    "EventEngine",
    "EventOpened",
    "EventUpdated",
    "LabelPolicy",
    "Recogniser",
    "RecogniserContext",
    "SkeletonBuffer",
    "TrackScores",
    "WindowRecogniser",
    "WindowSpec",
    "available_recognisers",
    "create_recogniser",
    "normalise_window",
    "register_recogniser",
]
