"""Stream URL validation and credential masking (DESIGN.md §5, §9).

Accepted: rtsp, rtsps, http, https; a local capture device (`/dev/videoN` or `device:N`);
a video file inside an allowed media folder (`file:///abs/path` or a plain path).
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

from videohar.config import mask_url

NETWORK_SCHEMES = ("rtsp", "rtsps", "http", "https")
DEVICE_RE = re.compile(r"^(?:/dev/video(\d{1,2})|device:(\d{1,2}))$")
VIDEO_SUFFIXES = {".mp4", ".mkv", ".avi", ".mov", ".webm", ".ts", ".m4v", ".mjpeg", ".mjpg"}


class InvalidStreamURL(ValueError):
    """The URL is not an allowed camera source; the message says why."""


def classify(url: str, allowed_dirs: list[Path]) -> str:
    """Validate `url` and return its kind: 'network', 'device' or 'file'."""
    url = url.strip()
    if not url or len(url) > 2048:
        raise InvalidStreamURL("stream_url must be 1-2048 characters")
    if any(ord(c) < 32 for c in url):
        raise InvalidStreamURL("stream_url contains control characters")
    if DEVICE_RE.match(url):
        return "device"
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme in NETWORK_SCHEMES:
        try:
            host, port = parts.hostname, parts.port
        except ValueError:
            raise InvalidStreamURL("stream_url has an invalid port") from None
        if not host:
            raise InvalidStreamURL("stream_url needs a host")
        del port
        return "network"
    if scheme in ("", "file"):
        file_path(url, allowed_dirs)
        return "file"
    raise InvalidStreamURL(f"scheme {scheme!r} is not allowed (use rtsp, rtsps, http, https, a device or a media file)")


def file_path(url: str, allowed_dirs: list[Path]) -> Path:
    """The resolved file a file URL points at, refusing anything outside the allowed folders."""
    raw = unquote(urlsplit(url).path) if url.startswith("file:") else url
    path = Path(raw)
    if not path.is_absolute():
        raise InvalidStreamURL("file sources need an absolute path")
    resolved = path.resolve()
    for base in allowed_dirs:
        base = base.resolve()
        if resolved.is_relative_to(base):
            break
    else:
        raise InvalidStreamURL("file sources must lie inside an allowed media folder")
    if resolved.suffix.lower() not in VIDEO_SUFFIXES:
        raise InvalidStreamURL(f"unsupported video file type {resolved.suffix or '(none)'!r}")
    if not resolved.is_file():
        raise InvalidStreamURL("the video file does not exist")
    return resolved


def masked(url: str) -> str:
    """The URL with any password or token in it hidden (for responses and logs)."""
    return mask_url(url)
