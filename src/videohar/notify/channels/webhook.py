"""Signed JSON webhooks, and the check a receiver runs on them.

Each POST carries ``X-VideoHAR-Timestamp`` (Unix seconds),
``X-VideoHAR-Signature: sha256=<hex HMAC-SHA256(secret, "{timestamp}.{body}")>`` and an
``Idempotency-Key`` stable across retries. Signing the timestamp with the body lets a
receiver refuse replays: `verify_signature` rejects signatures older than a tolerance.

Receiver side:

>>> ok = verify_signature(secret, request.headers["X-VideoHAR-Timestamp"], raw_body,
...                       request.headers["X-VideoHAR-Signature"])  # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from urllib.parse import urlsplit, urlunsplit

import httpx

from videohar.notify.channels.base import (
    Channel,
    DeliveryResult,
    InvalidChannelConfig,
    InvalidTarget,
    register_channel,
)
from videohar.notify.channels.http import RETRYABLE_STATUS, make_client, post, raise_for_status
from videohar.notify.message import AlertMessage
from videohar.notify.secrets_box import mask

__all__ = [
    "IDEMPOTENCY_HEADER",
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "WebhookChannel",
    "sign",
    "verify_signature",
]

log = logging.getLogger(__name__)

TIMESTAMP_HEADER = "X-VideoHAR-Timestamp"
SIGNATURE_HEADER = "X-VideoHAR-Signature"
IDEMPOTENCY_HEADER = "Idempotency-Key"
MIN_SECRET_LEN = 16


def _key(secret: str | bytes) -> bytes:
    return secret.encode("utf-8") if isinstance(secret, str) else secret


def sign(secret: str | bytes, timestamp: int | str, body: bytes) -> str:
    """Header value ``sha256=<hex>`` for `body` sent at `timestamp`."""
    digest = hmac.new(_key(secret), f"{timestamp}.".encode("ascii") + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify_signature(
    secret: str | bytes,
    timestamp: str | int | None,
    body: bytes,
    signature: str | None,
    *,
    tolerance_s: float = 300,
    now: float | None = None,
) -> bool:
    """True only for a correct signature whose timestamp is within `tolerance_s` of `now` (replay guard)."""
    if timestamp is None or not signature:
        return False
    try:
        ts = int(str(timestamp).strip())
    except ValueError:
        return False
    current = time.time() if now is None else now
    if abs(current - ts) > tolerance_s:
        return False
    return hmac.compare_digest(sign(secret, ts, body).encode(), signature.strip().encode())


def _display_url(url: str) -> str:
    """Scheme, host and path only: query strings often carry receivers' own tokens."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


@register_channel
class WebhookChannel(Channel):
    """POSTs the event as signed JSON to an http(s) endpoint; one instance per webhook secret."""

    type_name = "webhook"

    def __init__(
        self,
        secret: str,
        *,
        timeout: float = 10.0,
        verify_tls: bool | str = True,
        client: httpx.Client | None = None,
    ) -> None:
        if not secret or len(secret) < MIN_SECRET_LEN:
            raise InvalidChannelConfig(f"webhook secret must have at least {MIN_SECRET_LEN} characters")
        self._secret = secret
        self._own_client = client is None
        self._client = client or make_client(timeout, verify=verify_tls)

    def __repr__(self) -> str:
        return f"<WebhookChannel secret={mask(self._secret)!r}>"

    def close(self) -> None:
        if self._own_client:
            self._client.close()

    @classmethod
    def normalize_target(cls, target: str) -> str:
        if not isinstance(target, str) or any(c.isspace() for c in target.strip()):
            raise InvalidTarget("webhook URL must be an http(s) URL without spaces")
        target = target.strip()
        try:
            parts = urlsplit(target)
            parts.port  # noqa: B018 - raises ValueError on a bad port
        except ValueError:
            raise InvalidTarget("webhook URL is malformed") from None
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise InvalidTarget("webhook URL must be an http(s) URL with a host")
        if parts.username or parts.password:
            raise InvalidTarget("webhook URL must not carry credentials; use the signing secret")
        if parts.fragment:
            raise InvalidTarget("webhook URL must not have a fragment")
        return target

    def send(self, message: AlertMessage, target: str, *, idempotency_key: str) -> DeliveryResult:
        url = self.normalize_target(target)
        body = json.dumps(message.as_webhook_payload(), ensure_ascii=False, separators=(",", ":")).encode()
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: sign(self._secret, timestamp, body),
            IDEMPOTENCY_HEADER: idempotency_key,
        }
        response = post(self._client, url, content=body, headers=headers, what="webhook")
        # 409 to a known Idempotency-Key means "still processing the first one": ask again later.
        raise_for_status(response, what="webhook", retryable=RETRYABLE_STATUS | {409})
        log.info("webhook to %s answered %s", _display_url(url), response.status_code)
        return DeliveryResult(
            channel=self.type_name,
            target=_display_url(url),
            status_code=response.status_code,
            provider_id=response.headers.get("X-Request-Id"),
        )
