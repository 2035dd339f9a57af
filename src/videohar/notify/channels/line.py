"""LINE Messaging API push messages (LINE Notify, used by the seed, was shut down in 2025).

``POST {base_url}/v2/bot/message/push`` with the channel access token as a Bearer token
and ``X-Line-Retry-Key`` set to a UUID that stays the same on every retry of one
delivery: LINE then sends at most once and answers 409 to a retry of an accepted
request, which counts as delivered here.
"""

from __future__ import annotations

import json
import logging
import re
from ipaddress import ip_address
from urllib.parse import urlsplit

import httpx

from videohar.notify.channels.base import (
    Channel,
    DeliveryResult,
    InvalidChannelConfig,
    InvalidTarget,
    idempotency_uuid,
    register_channel,
)
from videohar.notify.channels.http import make_client, post, raise_for_status
from videohar.notify.message import AlertMessage
from videohar.notify.secrets_box import mask

__all__ = ["DEFAULT_BASE_URL", "LineChannel", "line_target_kind"]

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.line.me"
PUSH_PATH = "/v2/bot/message/push"
_TARGET = re.compile(r"[UCR][0-9a-f]{32}")
_KINDS = {"U": "user", "C": "group", "R": "room"}


def line_target_kind(target: str) -> str:
    """``user`` / ``group`` / ``room`` for a valid LINE id; raises `InvalidTarget` otherwise."""
    if not isinstance(target, str) or not _TARGET.fullmatch(target):
        raise InvalidTarget("LINE target must be a user (U…), group (C…) or room (R…) id of 32 hex digits")
    return _KINDS[target[0]]


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ip_address(host).is_loopback
    except ValueError:
        return False


def _check_base_url(base_url: str) -> str:
    parts = urlsplit(base_url)
    if not parts.hostname or parts.username or parts.query or parts.fragment:
        raise InvalidChannelConfig("LINE base URL must be a plain http(s) URL with a host")
    # The bearer token must never cross a network in clear; plain http only to a local stand-in.
    if parts.scheme != "https" and not (parts.scheme == "http" and _is_loopback(parts.hostname)):
        raise InvalidChannelConfig("LINE base URL must use https")
    return base_url.rstrip("/")


@register_channel
class LineChannel(Channel):
    """Pushes alerts to LINE users, groups or rooms of one LINE Official Account channel."""

    type_name = "line"

    def __init__(
        self,
        access_token: str,
        *,
        base_url: str = DEFAULT_BASE_URL,
        timeout: float = 10.0,
        notification_disabled: bool = False,
        client: httpx.Client | None = None,
    ) -> None:
        if not access_token or not access_token.strip() or any(c in access_token for c in "\r\n"):
            raise InvalidChannelConfig("LINE channel access token is missing or malformed")
        self._token = access_token.strip()
        self._url = _check_base_url(base_url) + PUSH_PATH
        self._notification_disabled = notification_disabled
        self._own_client = client is None
        self._client = client or make_client(timeout)

    def __repr__(self) -> str:
        return f"<LineChannel url={self._url!r} token={mask(self._token)!r}>"

    def close(self) -> None:
        if self._own_client:
            self._client.close()

    @classmethod
    def normalize_target(cls, target: str) -> str:
        target = target.strip() if isinstance(target, str) else target
        line_target_kind(target)
        return target

    def send(self, message: AlertMessage, target: str, *, idempotency_key: str) -> DeliveryResult:
        target = self.normalize_target(target)
        body: dict[str, object] = {"to": target, "messages": message.as_line_messages()}
        if self._notification_disabled:
            body["notificationDisabled"] = True
        retry_key = idempotency_uuid(idempotency_key)
        headers = {
            "Authorization": f"Bearer {self._token}",
            "Content-Type": "application/json",
            "X-Line-Retry-Key": retry_key,
        }
        content = json.dumps(body, ensure_ascii=False).encode("utf-8")
        response = post(self._client, self._url, content=content, headers=headers, what="LINE push")
        shown = mask(target)
        if response.status_code == 409:
            log.info("LINE push to %s already accepted (retry key %s)", shown, retry_key)
            return DeliveryResult(
                channel=self.type_name,
                target=target,
                status_code=409,
                provider_id=response.headers.get("x-line-accepted-request-id"),
                duplicate=True,
            )
        raise_for_status(response, what="LINE push", detail=_line_error(response))
        log.info("LINE push to %s accepted (retry key %s)", shown, retry_key)
        return DeliveryResult(
            channel=self.type_name,
            target=target,
            status_code=response.status_code,
            provider_id=response.headers.get("x-line-request-id"),
        )


def _line_error(response: httpx.Response) -> str:
    """LINE's own error text (``{"message": ..., "details": [...]}``), shortened; never our token."""
    try:
        data = response.json()
    except ValueError:
        return ""
    if not isinstance(data, dict):
        return ""
    text = str(data.get("message") or "")
    details = data.get("details")
    if isinstance(details, list) and details:
        first = details[0]
        if isinstance(first, dict):
            text += f"; {first.get('property', '')}: {first.get('message', '')}"
    return text[:300]
