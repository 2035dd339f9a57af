"""Which users an event notifies, through which targets: rule matching, quiet hours and cooldowns.

Rules are plain `RuleSpec`s here so matching is testable without a database. A user who
has no rules at all gets the default rule on the cameras they own: every alert-level
action, through all their enabled targets, at most once a minute per camera and label.

Cooldowns are claimed in the caller's transaction (`claim_cooldown`): an INSERT that may
conflict, then a conditional UPDATE; both are atomic on SQLite and PostgreSQL, so two
workers opening the same event kind at once send one alert, and a rolled-back event
leaves the cooldown untouched.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from videohar.cameras.schemas import DEFAULT_ALERT_ACTIONS
from videohar.db.models import Camera, CameraShare, Event, Role, User
from videohar.db.notify_models import NotifyCooldown, NotifyRule
from videohar.notify.schedule import QuietHours, cooldown_key, in_quiet_hours, parse_quiet_hours

__all__ = [
    "EventFacts",
    "RuleSpec",
    "claim_cooldown",
    "default_rule",
    "event_facts",
    "rule_from_row",
    "rule_matches",
    "rules_for_event",
]


@dataclass(frozen=True, slots=True)
class EventFacts:
    """What rules look at in an event."""

    camera_id: int
    owner_id: int
    label: str
    score: float
    at: datetime
    area_id: int | None = None
    alert_labels: frozenset[str] = frozenset(DEFAULT_ALERT_ACTIONS)


@dataclass(frozen=True, slots=True)
class RuleSpec:
    """One rule of one user; empty collections mean "any" (labels: the camera's alert-level ones)."""

    key: str
    """Identifies the rule in cooldown keys: the row id, or ``default-<user id>``."""
    user_id: int
    rule_id: int | None = None
    camera_id: int | None = None
    area_id: int | None = None
    labels: frozenset[str] = frozenset()
    min_score: float = 0.0
    target_ids: frozenset[int] = frozenset()
    cooldown_s: float = 60.0
    quiet_hours: tuple[QuietHours, ...] = field(default_factory=tuple)
    timezone: str = ""


def rule_matches(rule: RuleSpec, facts: EventFacts) -> bool:
    """Camera, area, label and score conditions (not quiet hours or cooldown)."""
    if rule.camera_id is None:
        if facts.owner_id != rule.user_id:
            return False
    elif rule.camera_id != facts.camera_id:
        return False
    if rule.area_id is not None and rule.area_id != facts.area_id:
        return False
    labels = rule.labels or facts.alert_labels
    return facts.label in labels and facts.score >= rule.min_score


def is_quiet(rule: RuleSpec, at: datetime) -> bool:
    return in_quiet_hours(at, rule.quiet_hours)


def default_rule(user_id: int, cooldown_s: float = 60.0) -> RuleSpec:
    return RuleSpec(key=f"default-{user_id}", user_id=user_id, cooldown_s=cooldown_s)


def rule_from_row(row: NotifyRule) -> RuleSpec:
    zone = row.timezone or "UTC"
    return RuleSpec(
        key=str(row.id),
        user_id=row.user_id,
        rule_id=row.id,
        camera_id=row.camera_id,
        area_id=row.area_id,
        labels=frozenset(row.labels or ()),
        min_score=row.min_score,
        target_ids=frozenset(row.target_ids or ()),
        cooldown_s=row.cooldown_s,
        quiet_hours=tuple(parse_quiet_hours(q, default_timezone=zone) for q in row.quiet_hours or ()),
        timezone=row.timezone,
    )


def event_facts(event: Event, camera: Camera) -> EventFacts:
    actions = (camera.settings or {}).get("actions")
    return EventFacts(
        camera_id=camera.id,
        owner_id=camera.owner_id,
        label=event.label,
        score=event.score,
        at=event.started_at,
        area_id=event.area_id,
        alert_labels=frozenset(DEFAULT_ALERT_ACTIONS if actions is None else actions),
    )


def _can_see(db: Session, user_id: int, camera: Camera) -> bool:
    if user_id == camera.owner_id:
        return True
    user = db.get(User, user_id)
    if user is None or user.disabled:
        return False
    if user.role == Role.admin.value:
        return True
    share = select(CameraShare.id).where(CameraShare.camera_id == camera.id, CameraShare.user_id == user_id)
    return db.scalar(share) is not None


def rules_for_event(db: Session, camera: Camera, *, default_cooldown_s: float = 60.0) -> list[RuleSpec]:
    """Enabled rules that may apply to `camera`, plus the owner's default rule when they have none."""
    rows = db.scalars(
        select(NotifyRule).where(
            NotifyRule.enabled.is_(True),
            or_(
                NotifyRule.camera_id == camera.id,
                (NotifyRule.camera_id.is_(None)) & (NotifyRule.user_id == camera.owner_id),
            ),
        )
    ).all()
    specs = [rule_from_row(r) for r in rows if _can_see(db, r.user_id, camera)]
    owner_has_rules = db.scalar(select(NotifyRule.id).where(NotifyRule.user_id == camera.owner_id).limit(1))
    owner = db.get(User, camera.owner_id)
    if owner_has_rules is None and owner is not None and not owner.disabled:
        specs.append(default_rule(camera.owner_id, default_cooldown_s))
    return specs


def claim_cooldown(db: Session, rule: RuleSpec, facts: EventFacts, now: datetime) -> bool:
    """True (and the window restarts) when the rule may alert on this camera and label now."""
    if rule.cooldown_s <= 0:
        return True
    key = cooldown_key(rule.key, facts.camera_id, facts.label)
    dialect = db.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    # RETURNING rather than rowcount: drivers disagree on rowcount after ON CONFLICT DO NOTHING.
    created = db.scalar(
        insert(NotifyCooldown)
        .values(key=key, last_sent_at=now)
        .on_conflict_do_nothing(index_elements=["key"])
        .returning(NotifyCooldown.key)
    )
    if created is not None:
        return True
    renewed = db.scalar(
        update(NotifyCooldown)
        .where(
            NotifyCooldown.key == key,
            NotifyCooldown.last_sent_at <= now - timedelta(seconds=rule.cooldown_s),
        )
        .values(last_sent_at=now)
        .returning(NotifyCooldown.key)
        .execution_options(synchronize_session=False)
    )
    return renewed is not None


def matching(rules: Iterable[RuleSpec], facts: EventFacts) -> list[RuleSpec]:
    return [r for r in rules if rule_matches(r, facts)]
