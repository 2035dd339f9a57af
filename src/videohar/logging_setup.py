"""Process-wide logging with a filter that masks credentials in URLs, whatever logs them."""

from __future__ import annotations

import logging
import re

from videohar.config import mask_url

_URL_RE = re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s'\"<>]+")


class MaskSecrets(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = _URL_RE.sub(lambda m: mask_url(m.group(0)), message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


def setup(level: str = "INFO", role: str = "") -> None:
    handler = logging.StreamHandler()
    handler.addFilter(MaskSecrets())
    prefix = f"[{role}] " if role else ""
    handler.setFormatter(logging.Formatter(f"%(asctime)s %(levelname)s {prefix}%(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
