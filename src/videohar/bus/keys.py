"""Every Redis key and channel name the system uses, in one place.

Frame keys keep the seed's names (`camera_{id}_latest_frame`, `camera_{id}_boxed_image`) so
existing readers still work; everything new lives under `videohar:`.
"""

from __future__ import annotations

LATEST_FRAME = "latest_frame"
"""Kind of the raw frames published by ingest."""
BOXED_IMAGE = "boxed_image"
"""Kind of the annotated frames published by recognition workers."""
FRAME_KINDS = (LATEST_FRAME, BOXED_IMAGE)


def frame_key(camera_id: int, kind: str = LATEST_FRAME) -> str:
    """The JPEG bytes of the newest frame of one kind (seed-compatible name)."""
    return f"camera_{int(camera_id)}_{kind}"


def frame_meta_key(camera_id: int, kind: str = LATEST_FRAME) -> str:
    """JSON metadata (sequence, capture time, size) of the frame under `frame_key`."""
    return f"camera_{int(camera_id)}_{kind}_meta"


def frame_seq_key(camera_id: int, kind: str = LATEST_FRAME) -> str:
    """Counter giving frames a sequence number that keeps rising when a camera changes process."""
    return f"camera_{int(camera_id)}_{kind}_seq"


def frame_channel(camera_id: int, kind: str = LATEST_FRAME) -> str:
    """Pub/sub channel announcing each new frame (payload: the metadata JSON)."""
    return f"videohar:frames:camera_{int(camera_id)}_{kind}"


def camera_status_key(camera_id: int) -> str:
    """JSON state and counters of one camera, written by the ingest process that holds it."""
    return f"videohar:camera:{int(camera_id)}:status"


def lease_key(role: str, item_id: int) -> str:
    """Lease on one item (camera) for one role; value = holder's member id."""
    return f"videohar:{{{role}}}:lease:{int(item_id)}"


def members_key(role: str) -> str:
    """Sorted set of a role's live processes, scored by heartbeat expiry (ms, Redis clock)."""
    return f"videohar:{{{role}}}:members"


EVENTS_CHANNEL = "videohar:events"
"""Pub/sub channel of live event changes (JSON: id, camera_id, label, score, state, phase)."""


def worker_status_key(camera_id: int) -> str:
    """JSON recognition status of one camera (worker, fps, people, latest action, stage latencies)."""
    return f"videohar:camera:{int(camera_id)}:recognition"
