"""Short-lived signed links to stored images, for readers that cannot log in (LINE's servers).

LINE fetches `originalContentUrl` itself, without our session, so an alert image must be
reachable by URL alone. The link carries an expiry and an HMAC-SHA256 over the media path and
that expiry, keyed by a key derived from `SECRET_KEY` for this purpose only; it opens exactly one
file until it expires, and a changed path, expiry or signature is refused.

    query = sign(secret, "events/1/snapshot.jpg", ttl_s=7 * 86400)   # "exp=...&sig=..."
    verify(secret, "events/1/snapshot.jpg", exp, sig)                # True / False
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

DEFAULT_TTL_S = 7 * 24 * 3600
"""LINE fetches the image when the message is delivered and again when a chat shows it later."""

_PURPOSE = b"videohar/media/signed-url/v1"


def _key(secret: str) -> bytes:
    return hmac.new(secret.encode(), _PURPOSE, hashlib.sha256).digest()


def _mac(secret: str, relpath: str, exp: int) -> str:
    digest = hmac.new(_key(secret), f"{relpath}\n{exp}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def sign(secret: str, relpath: str, *, ttl_s: float = DEFAULT_TTL_S, now: float | None = None) -> str:
    """The query string (`exp=<unix time>&sig=<mac>`) that opens `relpath` until it expires."""
    exp = int((time.time() if now is None else now) + ttl_s)
    return f"exp={exp}&sig={_mac(secret, relpath, exp)}"


def verify(secret: str, relpath: str, exp: int, sig: str, *, now: float | None = None) -> bool:
    if exp < (time.time() if now is None else now):
        return False
    return hmac.compare_digest(_mac(secret, relpath, exp), sig)
