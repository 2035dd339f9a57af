"""From an opened event to inbox entries and outbox rows; from an outbox row back to a message.

Workers (and the test endpoint `POST /events`) call `on_event(db, event)` inside the
transaction that stores the event: the inbox rows, the deliveries and the cooldown
claims commit or roll back with it. After the commit, idle notifiers are woken through
Redis so an alert leaves within milliseconds instead of at the next poll.

>>> enqueued = on_event(db, event)  # doctest: +SKIP
"""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote

from sqlalchemy import event as sa_event
from sqlalchemy import select
from sqlalchemy.orm import Session

from videohar.config import get_settings
from videohar.db.base import utcnow
from videohar.db.models import Camera, Event, Notification
from videohar.db.notify_models import NotifyDelivery, NotifyTarget
from videohar.media import signed_urls
from videohar.notify import outbox
from videohar.notify.message import AlertMessage, is_public_https_url
from videohar.notify.rules import RuleSpec, claim_cooldown, event_facts, matching, rules_for_event
from videohar.notify.settings import get_notify_settings

__all__ = [
    "WAKE_KEY",
    "event_payload",
    "media_file",
    "message_from_payload",
    "on_event",
    "safe_media_relpath",
    "wake_notifiers",
]

log = logging.getLogger(__name__)

WAKE_KEY = "videohar:notify:wake"


def safe_media_relpath(path: str | None) -> str | None:
    """`path` as a clean relative POSIX path inside the media directory, or None when it is not one."""
    if not path or "\x00" in path or "\\" in path:
        return None
    pure = PurePosixPath(path)
    if pure.is_absolute() or any(part in ("..", "") for part in pure.parts) or not pure.parts:
        return None
    return pure.as_posix()


def media_file(relpath: str | None) -> Path | None:
    """The file under the media directory (symlinks may not lead out of it), or None."""
    clean = safe_media_relpath(relpath)
    if clean is None:
        return None
    root = get_settings().media_path.resolve()
    full = (root / clean).resolve()
    return full if full.is_relative_to(root) else None


def event_payload(event: Event, camera: Camera, *, timezone: str) -> dict[str, Any]:
    """JSON-safe `AlertMessage.build` arguments, frozen at enqueue time."""
    settings = get_settings()
    public = settings.public_url.rstrip("/") if settings.public_url else None
    snapshot = safe_media_relpath(event.snapshot_path)
    snapshot_url = None
    if public and snapshot and is_public_https_url(public):
        # LINE fetches the image without a session: a signed link opens this one file for a week
        snapshot_url = f"{public}/image/{quote(snapshot)}?{signed_urls.sign(settings.secret(), snapshot)}"
    return {
        "event_id": event.id,
        "camera_id": camera.id,
        "camera_name": camera.name,
        "area_id": event.area_id,
        "area_name": event.area_name or None,
        "track_id": event.track_id,
        "action_label": event.label,
        "score": float(event.score),
        "occurred_at": event.started_at.isoformat(),
        "timezone": timezone,
        "public_url": public,
        "snapshot_url": snapshot_url,
        "snapshot_relpath": snapshot,
    }


def message_from_payload(payload: dict[str, Any]) -> AlertMessage:
    values = dict(payload)
    relpath = values.pop("snapshot_relpath", None)
    values["occurred_at"] = datetime.fromisoformat(values["occurred_at"])
    return AlertMessage.build(**values, snapshot_path=media_file(relpath))


def _inbox_text(payload: dict[str, Any]) -> str:
    msg = message_from_payload({**payload, "snapshot_relpath": None})
    return f"{msg.title} — {msg.where} ({msg.score_text}) at {msg.local_time_text}"


def _targets_for(db: Session, rule: RuleSpec) -> list[NotifyTarget]:
    query = select(NotifyTarget).where(NotifyTarget.user_id == rule.user_id, NotifyTarget.enabled.is_(True))
    if rule.target_ids:
        query = query.where(NotifyTarget.id.in_(sorted(rule.target_ids)))
    return list(db.scalars(query.order_by(NotifyTarget.id)))


def on_event(db: Session, event: Event) -> int:
    """Inbox entries and deliveries for the event; returns the number of deliveries enqueued.

    Inbox: the camera's owner for alert-level actions, and every user with a matching rule
    (quiet hours and cooldowns hold back channel messages, never inbox entries). Deliveries:
    per matching rule outside its quiet hours whose cooldown allows it, one per target
    (a target reached by two rules gets one message). Safe to call twice for one event.
    """
    settings = get_notify_settings()
    db.flush()  # the event needs its id
    camera = event.camera if event.camera is not None else db.get(Camera, event.camera_id)
    if camera is None:
        return 0
    facts = event_facts(event, camera)
    now = utcnow()
    rules = matching(rules_for_event(db, camera, default_cooldown_s=settings.default_cooldown_s), facts)
    already = set(db.scalars(select(NotifyDelivery.target_id).where(NotifyDelivery.event_id == event.id)))
    inboxed = set(db.scalars(select(Notification.user_id).where(Notification.event_id == event.id)))
    users = {r.user_id for r in rules}
    if facts.label in facts.alert_labels:
        users.add(camera.owner_id)  # the owner's inbox shows every alert of their camera
    enqueued = 0
    for user_id in sorted(users - inboxed):
        owner_rules = [r for r in rules if r.user_id == user_id]
        zone = next((r.timezone for r in owner_rules if r.timezone), settings.timezone)
        payload = event_payload(event, camera, timezone=zone)
        db.add(
            Notification(
                user_id=user_id,
                camera_id=camera.id,
                event_id=event.id,
                message=_inbox_text(payload),
                image_path=payload["snapshot_relpath"],
            )
        )
    for rule in rules:
        if rule.quiet_hours and any(q.contains(facts.at) for q in rule.quiet_hours):
            log.info("event %s: rule %s is in quiet hours", event.id, rule.key)
            continue
        targets = [t for t in _targets_for(db, rule) if t.id not in already]
        if not targets or not claim_cooldown(db, rule, facts, now):
            continue
        payload = event_payload(event, camera, timezone=rule.timezone or settings.timezone)
        for target in targets:
            outbox.enqueue(db, target=target, payload=payload, event_id=event.id, rule_id=rule.rule_id)
            already.add(target.id)
            enqueued += 1
    if enqueued:
        wake_after_commit(db)
    return enqueued


def wake_after_commit(db: Session) -> None:
    if not db.info.get("videohar_notify_wake"):
        db.info["videohar_notify_wake"] = True

        def _after_commit(session: Session) -> None:
            session.info.pop("videohar_notify_wake", None)
            wake_notifiers()

        sa_event.listen(db, "after_commit", _after_commit, once=True)


def wake_notifiers() -> None:
    """Nudge an idle notifier (best effort: they poll anyway)."""
    try:
        from videohar.bus.connection import get_redis

        client = get_redis()
        client.rpush(WAKE_KEY, 1)
        client.ltrim(WAKE_KEY, -64, -1)
    except Exception as exc:
        log.debug("could not wake notifiers: %s", type(exc).__name__)
