"""Create, close and announce events; used by workers, the API and tests alike."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

import redis
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

from videohar.bus import keys
from videohar.db.models import Event

log = logging.getLogger("videohar.events")


def event_dict(event: Event) -> dict[str, object]:
    """The live (SSE) payload. `camera_name` is raw user text: readers must render it as text, never HTML."""
    camera = event.camera
    return {
        "id": event.id,
        "camera_id": event.camera_id,
        "camera_name": camera.name if camera is not None else "",
        "area_id": event.area_id,
        "area_name": event.area_name,
        "track_id": event.track_id,
        "label": event.label,
        "score": round(float(event.score), 4),
        "started_at": event.started_at.isoformat(),
        "ended_at": event.ended_at.isoformat() if event.ended_at else None,
        "state": event.state,
    }


def announce(r: redis.Redis | None, event: Event, phase: str, db: Session | None = None) -> None:
    """Publish a change on the live channel (SSE readers); losing one is harmless, the DB is the truth.

    With `db` (the session that wrote the change) the message goes out only once that session commits:
    a reader reacting to it (the events page reloads its list) must find the row, and a rolled-back
    change is never announced.
    """
    if r is None:
        return
    payload = json.dumps({**event_dict(event), "phase": phase})
    event_id = event.id
    if db is not None and db.in_transaction():
        sa_event.listen(db, "after_commit", lambda _session: _publish(r, payload, event_id), once=True)
        return
    _publish(r, payload, event_id)


def _publish(r: redis.Redis, payload: str, event_id: int) -> None:
    try:
        r.publish(keys.EVENTS_CHANNEL, payload)
    except redis.RedisError as exc:
        log.warning("could not announce event %s: %s", event_id, exc)


def open_event(
    db: Session,
    *,
    camera_id: int,
    label: str,
    score: float,
    started_at: datetime | None = None,
    track_id: int | None = None,
    area_id: int | None = None,
    area_name: str = "",
    source: str = "worker",
) -> Event:
    event = Event(
        camera_id=camera_id,
        label=label,
        score=float(score),
        started_at=started_at or datetime.now(UTC),
        track_id=track_id,
        area_id=area_id,
        area_name=area_name,
        source=source,
    )
    db.add(event)
    db.flush()
    return event


def close_event(event: Event, *, ended_at: datetime | None = None, peak: float | None = None) -> None:
    event.ended_at = ended_at or datetime.now(UTC)
    if peak is not None:
        event.score = max(float(event.score), float(peak))
