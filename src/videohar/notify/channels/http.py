"""HTTP plumbing shared by the LINE and webhook channels: one client shape, one failure mapping."""

from __future__ import annotations

import logging

import httpx

from videohar import __version__ as _version
from videohar.notify.channels.base import PermanentFailure, TemporaryFailure, parse_retry_after

__all__ = ["USER_AGENT", "make_client", "post", "raise_for_status"]

USER_AGENT = f"videohar/{_version}"
RETRYABLE_STATUS = frozenset({408, 425, 429})


class _DropUrlQuery(logging.Filter):
    """httpx logs every request URL at INFO; webhook URLs often carry the receiver's token in the query."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and any(isinstance(a, httpx.URL) for a in record.args):
            record.args = tuple(
                a.copy_with(query=None, fragment=None) if isinstance(a, httpx.URL) else a for a in record.args
            )
        return True


_URL_FILTER = _DropUrlQuery()


def make_client(timeout: float, *, verify: bool | str = True) -> httpx.Client:
    """A client that never follows redirects (a signed POST must not wander) and always times out."""
    return httpx.Client(
        timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)),
        follow_redirects=False,
        verify=verify,
        headers={"User-Agent": USER_AGENT},
    )


def post(client: httpx.Client, url: str, *, content: bytes, headers: dict[str, str], what: str) -> httpx.Response:
    """POST, turning transport trouble into `TemporaryFailure` (the request may not have arrived)."""
    httpx_log = logging.getLogger("httpx")
    if _URL_FILTER not in httpx_log.filters:
        httpx_log.addFilter(_URL_FILTER)
    try:
        return client.post(url, content=content, headers=headers)
    except httpx.TimeoutException as exc:
        raise TemporaryFailure(f"{what}: timed out ({type(exc).__name__})") from None
    except httpx.TransportError as exc:
        raise TemporaryFailure(f"{what}: network error ({type(exc).__name__})") from None


def raise_for_status(
    response: httpx.Response, *, what: str, detail: str = "", retryable: frozenset[int] = RETRYABLE_STATUS
) -> None:
    """Return on 2xx; 5xx and `retryable` codes are temporary, every other code permanent."""
    status = response.status_code
    if 200 <= status < 300:
        return
    reason = f"{what}: HTTP {status} {response.reason_phrase}".rstrip()
    if detail:
        reason += f" ({detail})"
    if status >= 500 or status in retryable:
        raise TemporaryFailure(
            reason, status_code=status, retry_after=parse_retry_after(response.headers.get("Retry-After"))
        )
    raise PermanentFailure(reason, status_code=status)
