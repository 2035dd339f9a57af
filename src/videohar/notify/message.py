"""One alert, rendered for every channel from the same plain values.

The outbox builds an `AlertMessage` from an event row (no DB types here) and each
channel asks it for its own form: e-mail subject/text/HTML, LINE message objects, or the
webhook JSON payload. Every user-supplied string (camera, area, label, title) is escaped
for HTML and stripped of line breaks in single-line places (subjects, headers).

>>> from datetime import datetime, UTC
>>> msg = AlertMessage.build(event_id=42, camera_name="Gate", action_label="fall", score=0.91,
...     occurred_at=datetime(2026, 1, 2, 13, 0, tzinfo=UTC), timezone="Asia/Tokyo",
...     public_url="https://har.example.com")
>>> msg.event_url
'https://har.example.com/events/42'
>>> msg.local_time.isoformat()
'2026-01-02T22:00:00+09:00'
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = [
    "LINE_IMAGE_URL_MAX",
    "LINE_TEXT_MAX",
    "MAX_SNAPSHOT_BYTES",
    "PAYLOAD_VERSION",
    "AlertMessage",
    "is_public_https_url",
]

LINE_TEXT_MAX = 5000
LINE_IMAGE_URL_MAX = 2000
MAX_SNAPSHOT_BYTES = 10 * 1024 * 1024
PAYLOAD_VERSION = 1

_LINE_BREAKS = re.compile(r"[\r\n\u2028\u2029\x00-\x1f\x7f]+")


def _one_line(text: str) -> str:
    return _LINE_BREAKS.sub(" ", text).strip()


def _label_text(label: str) -> str:
    return _one_line(label.replace("_", " ")).capitalize()


def is_public_https_url(url: str | None) -> bool:
    """An absolute https URL with a host: the only kind LINE may fetch images from."""
    if not url:
        return False
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme == "https" and bool(parts.hostname) and not _LINE_BREAKS.search(url)


@dataclass(frozen=True, slots=True)
class AlertMessage:
    """An event as the people being notified see it; built by `build`, rendered by the `as_*` methods."""

    event_id: int | str
    title: str
    camera_name: str
    action_label: str
    score: float
    occurred_at: datetime
    timezone: str = "UTC"
    area_name: str | None = None
    camera_id: int | str | None = None
    area_id: int | str | None = None
    track_id: int | None = None
    event_url: str | None = None
    snapshot_url: str | None = None
    snapshot_path: Path | None = None
    snapshot_jpeg: bytes | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.occurred_at.tzinfo is None or self.occurred_at.utcoffset() is None:
            raise ValueError("occurred_at must be time-zone aware")
        try:
            ZoneInfo(self.timezone)  # unknown zone names fail here, not at render time
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {self.timezone!r}") from None

    @classmethod
    def build(
        cls,
        *,
        event_id: int | str,
        camera_name: str,
        action_label: str,
        score: float,
        occurred_at: datetime,
        timezone: str = "UTC",
        area_name: str | None = None,
        title: str | None = None,
        public_url: str | None = None,
        snapshot_url: str | None = None,
        snapshot_path: str | Path | None = None,
        snapshot_jpeg: bytes | None = None,
        camera_id: int | str | None = None,
        area_id: int | str | None = None,
        track_id: int | None = None,
    ) -> AlertMessage:
        """Message for one event; the link is ``{public_url}/events/{event_id}`` when a public URL is set."""
        event_url = f"{public_url.rstrip('/')}/events/{event_id}" if public_url else None
        return cls(
            event_id=event_id,
            title=_one_line(title) if title else f"{_label_text(action_label)} detected",
            camera_name=camera_name,
            action_label=action_label,
            score=float(score),
            occurred_at=occurred_at,
            timezone=timezone,
            area_name=area_name,
            camera_id=camera_id,
            area_id=area_id,
            track_id=track_id,
            event_url=event_url,
            snapshot_url=snapshot_url,
            snapshot_path=Path(snapshot_path) if snapshot_path else None,
            snapshot_jpeg=snapshot_jpeg,
        )

    # Derived values ------------------------------------------------------------------
    @property
    def local_time(self) -> datetime:
        return self.occurred_at.astimezone(ZoneInfo(self.timezone))

    @property
    def local_time_text(self) -> str:
        """E.g. ``2026-01-02 22:00:00 JST (UTC+09:00)``: readable and unambiguous across DST."""
        local = self.local_time
        offset = local.strftime("%z")
        return f"{local:%Y-%m-%d %H:%M:%S} {local.tzname()} (UTC{offset[:3]}:{offset[3:]})"

    @property
    def score_text(self) -> str:
        return f"{self.score:.0%}"

    @property
    def where(self) -> str:
        camera = _one_line(self.camera_name)
        return f"{camera} / {_one_line(self.area_name)}" if self.area_name else camera

    def snapshot(self) -> bytes | None:
        """The JPEG bytes, read from `snapshot_path` when not given; None when missing or too large."""
        if self.snapshot_jpeg is not None:
            return self.snapshot_jpeg
        if self.snapshot_path is None:
            return None
        try:
            if self.snapshot_path.stat().st_size > MAX_SNAPSHOT_BYTES:
                return None
            return self.snapshot_path.read_bytes()
        except OSError:
            return None

    # Renderings ----------------------------------------------------------------------
    def subject(self) -> str:
        return _one_line(f"[VideoHAR] {self.title} — {self.where}")

    def _lines(self) -> list[tuple[str, str]]:
        rows = [("Camera", _one_line(self.camera_name))]
        if self.area_name:
            rows.append(("Area", _one_line(self.area_name)))
        rows += [
            ("Action", _label_text(self.action_label)),
            ("Confidence", self.score_text),
            ("Time", self.local_time_text),
        ]
        return rows

    def as_text(self) -> str:
        body = [self.title, "", *(f"{k}: {v}" for k, v in self._lines())]
        if self.event_url:
            body += ["", f"Open the event: {self.event_url}"]
        return "\n".join(body) + "\n"

    def as_html(self, *, snapshot_cid: str | None = None) -> str:
        esc = html.escape
        rows = "".join(
            f'<tr><th align="left" style="padding-right:1em">{esc(k)}</th><td>{esc(v)}</td></tr>'
            for k, v in self._lines()
        )
        parts = [
            "<!doctype html>",
            '<html><body style="font-family:sans-serif">',
            f"<h2>{esc(self.title)}</h2>",
            f"<table>{rows}</table>",
        ]
        if snapshot_cid:
            parts.append(f'<p><img src="cid:{esc(snapshot_cid)}" alt="snapshot" style="max-width:100%"></p>')
        if self.event_url:
            parts.append(f'<p><a href="{esc(self.event_url)}">Open the event</a></p>')
        parts.append("</body></html>")
        return "\n".join(parts)

    def as_line_messages(self) -> list[dict[str, str]]:
        """LINE message objects: text (≤ 5000 chars), plus an image if a public https snapshot URL exists."""
        text = self.as_text().rstrip("\n")
        if len(text) > LINE_TEXT_MAX:
            text = text[: LINE_TEXT_MAX - 1] + "…"
        messages = [{"type": "text", "text": text}]
        url = self.snapshot_url
        if url and is_public_https_url(url) and len(url) <= LINE_IMAGE_URL_MAX:
            messages.append({"type": "image", "originalContentUrl": url, "previewImageUrl": url})
        return messages

    def as_webhook_payload(self) -> dict[str, Any]:
        """JSON-ready event description; times in ISO 8601 (UTC and local)."""
        return {
            "version": PAYLOAD_VERSION,
            "type": "event.alert",
            "event": {
                "id": self.event_id,
                "title": self.title,
                "label": self.action_label,
                "score": round(self.score, 4),
                "camera": {"id": self.camera_id, "name": self.camera_name},
                "area": {"id": self.area_id, "name": self.area_name} if self.area_name else None,
                "track_id": self.track_id,
                "occurred_at": self.occurred_at.astimezone(ZoneInfo("UTC")).isoformat().replace("+00:00", "Z"),
                "local_time": self.local_time.isoformat(),
                "timezone": self.timezone,
                "url": self.event_url,
                "snapshot_url": self.snapshot_url,
            },
        }
