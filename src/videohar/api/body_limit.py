"""Refuse oversized uploads while their body streams in, before anything parses or spools it.

FastAPI parses a multipart body (spooling files to disk) before a handler runs, so a handler can
only check the size of a request it has already received in full. A chunked request has no
Content-Length to check up front. This pure-ASGI middleware counts the bytes the server hands
the application on the upload routes and answers 413 (our JSON error format) as soon as the count
passes the configured limit plus a little multipart overhead; the parser is never fed more.

    app.add_middleware(UploadSizeLimit, limit=dataset_upload_limit)
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from videohar.api.errors import error_body
from videohar.datasets.settings import get_dataset_settings

UPLOAD_PATHS = (
    re.compile(r"/datasets/[^/]+/(?:uploads|import)"),
    re.compile(r"/models/import"),
)
"""POST routes that take a file: a video, an annotation pickle, an ONNX model."""
MULTIPART_OVERHEAD = 64 * 1024
"""Boundaries, part headers and the small form fields that travel with the file."""


class UploadTooLarge(HTTPException):
    """Raised from `receive`: FastAPI re-raises HTTPExceptions met while reading a body."""

    def __init__(self, message: str) -> None:
        super().__init__(413, message)


def dataset_upload_limit() -> int:
    """`VIDEOHAR_DATASETS_MAX_UPLOAD_MB`, shared by video, pickle and model uploads."""
    return get_dataset_settings().max_upload_bytes


def too_large_message(limit_bytes: int) -> str:
    return f"upload larger than {limit_bytes / (1024 * 1024):.3g} MB"


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            return int(value) if value.isdigit() else None
    return None


async def _reply_413(send: Send, message: str) -> None:
    body = json.dumps(error_body(message)).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class UploadSizeLimit:
    """Counts request-body bytes of POSTs to `paths`; past `limit() + overhead` the request ends in 413.

    `limit` is read per request, so a changed setting applies without restarting the app.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        limit: Callable[[], int],
        paths: tuple[re.Pattern[str], ...] = UPLOAD_PATHS,
        overhead: int = MULTIPART_OVERHEAD,
    ) -> None:
        self.app = app
        self.limit = limit
        self.paths = paths
        self.overhead = overhead

    def _applies(self, scope: Scope) -> bool:
        if scope["type"] != "http" or scope.get("method") != "POST":
            return False
        path: str = scope.get("path", "")
        root: str = scope.get("root_path", "")
        if root and path.startswith(root):
            path = path[len(root) :]
        return any(p.fullmatch(path) for p in self.paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self._applies(scope):
            await self.app(scope, receive, send)
            return
        limit = self.limit()
        allowed = limit + self.overhead
        message = too_large_message(limit)
        declared = _content_length(scope)
        if declared is not None and declared > allowed:
            await _reply_413(send, message)  # the body is never read
            return
        received = 0
        tripped = started = False

        async def counted_receive() -> Message:
            nonlocal received, tripped
            if tripped:
                raise UploadTooLarge(message)
            incoming = await receive()
            if incoming["type"] == "http.request":
                received += len(incoming.get("body", b""))
                if received > allowed:
                    tripped = True
                    raise UploadTooLarge(message)
            return incoming

        async def guarded_send(outgoing: Message) -> None:
            nonlocal started
            if tripped and not started:
                return  # whatever the app makes of the aborted body, the answer is our 413
            started = started or outgoing["type"] == "http.response.start"
            await send(outgoing)

        try:
            await self.app(scope, counted_receive, guarded_send)
        except Exception:
            if not tripped or started:
                raise
        if tripped and not started:
            await _reply_413(send, message)
