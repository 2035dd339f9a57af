"""JSON errors with a human message for every 4xx, and never a stack trace in a 500."""

from __future__ import annotations

import logging
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger("videohar.api")

# Seed compatibility: these paths answered 400 for missing or malformed fields.
BAD_REQUEST_PATHS = {"/register", "/login", "/token/refresh"}

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"detail": {}, "message": {"type": "string"}},
    "required": ["message"],
}


def error_body(message: str, detail: Any = None) -> dict[str, Any]:
    return {"message": message, "detail": detail if detail is not None else message}


def _validation_message(errors: list[dict[str, Any]]) -> str:
    parts = []
    for err in errors[:5]:
        loc = ".".join(str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path"))
        parts.append(f"{loc or 'request'}: {err.get('msg', 'invalid')}")
    return "; ".join(parts) or "invalid request"


def _allowed_methods(request: Request) -> list[str]:
    """The methods the API documents for this path (Starlette lists only one route's).

    The most literal template wins, so `/models/import` is not also taken as `/models/{id}`.
    """
    path = request.url.path
    best: tuple[int, set[str]] = (-1, set())
    for template, ops in request.app.openapi().get("paths", {}).items():
        pattern = "^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$"
        if re.match(pattern, path):
            literal = sum(1 for part in template.split("/") if part and not part.startswith("{"))
            if literal > best[0]:
                best = (literal, set())
            if literal == best[0]:
                best[1].update(m.upper() for m in ops)
    return sorted(best[1])


def install(app: FastAPI) -> None:
    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        message = exc.detail if isinstance(exc.detail, str) else "request failed"
        detail = exc.detail
        if exc.status_code == 422 and isinstance(detail, str):
            # one shape for every 422: FastAPI's validation-error list, plus the message
            detail = [{"loc": ["body"], "msg": detail, "type": "value_error"}]
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            headers["Allow"] = ", ".join(_allowed_methods(request))
        return JSONResponse(error_body(message, detail), status_code=exc.status_code, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{k: v for k, v in e.items() if k in ("loc", "msg", "type")} for e in exc.errors()]
        status = 400 if request.url.path in BAD_REQUEST_PATHS else 422
        return JSONResponse(error_body(_validation_message(errors), errors), status_code=status)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return JSONResponse(error_body("internal error"), status_code=500)
