"""Unknown query parameters are a 422: a typo in a filter must not silently return everything."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError


@lru_cache(maxsize=8)
def _operations(doc_id: int, doc: Any) -> list[tuple[re.Pattern[str], str, frozenset[str]]]:
    del doc_id
    ops = []
    for template, methods in doc.get("paths", {}).items():
        pattern = re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$")
        for method, op in methods.items():
            names = frozenset(p["name"] for p in op.get("parameters", []) if p.get("in") == "query")
            ops.append((pattern, method.upper(), names))
    return ops


class _Hashable(dict):  # the OpenAPI document, hashed by identity for the cache
    __hash__ = object.__hash__  # type: ignore[assignment]


def reject_unknown_query(request: Request) -> None:
    if not request.query_params:
        return
    doc = request.app.openapi()
    if not isinstance(doc, _Hashable):
        doc = _Hashable(doc)
        request.app.openapi_schema = doc
    for pattern, method, names in _operations(id(doc), doc):
        if method == request.method and pattern.match(request.url.path):
            unknown = sorted(set(request.query_params) - names)
            if unknown:
                raise RequestValidationError(
                    [
                        {"loc": ("query", name[:64]), "msg": "unknown query parameter", "type": "extra_forbidden"}
                        for name in unknown[:10]
                    ]
                )
            return
