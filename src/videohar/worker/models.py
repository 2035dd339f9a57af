"""The trained action model a camera runs, re-resolved within a second of an activation.

Each camera pipeline owns a `ModelSlot`. `poll()` is cheap (one Redis GET per second); only when
the registry's counter, or the camera's pinned model, moved does it ask the database which model
is active and load it. A file is loaded only when its SHA-256 matches the registry row, so a
half-written or replaced file is never run: the previous model stays in service and the load is
retried on the next poll.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from pathlib import Path

import redis

from videohar.actions.base import Recogniser
from videohar.actions.onnx_model import ModelSpecError, OnnxSkeletonModel
from videohar.training.registry import active_model_id, model_path, models_version

log = logging.getLogger("videohar.worker")

_cache: dict[tuple[int, str], OnnxSkeletonModel] = {}
_cache_lock = threading.Lock()


def load_verified(model_id: int, media_root: Path) -> OnnxSkeletonModel:
    """The registry's model `model_id`, shared by all cameras of this process (sessions are thread-safe)."""
    from videohar.db.session import session_scope
    from videohar.db.training_models import ActionModel

    with session_scope() as db:
        row = db.get(ActionModel, model_id)
        if row is None:
            raise LookupError(f"model {model_id} is not in the registry")
        path, sha = model_path(media_root, row), row.sha256
    with _cache_lock:
        cached = _cache.get((model_id, sha))
    if cached is not None:
        return cached
    data = path.read_bytes()
    if hashlib.sha256(data).hexdigest() != sha:
        raise ValueError(f"model {model_id} file does not match its registered hash (incomplete or replaced)")
    model = OnnxSkeletonModel(data)
    with _cache_lock:
        _cache[(model_id, sha)] = model
    return model


class ModelSlot:
    """The trained recogniser of one camera (or none), swapped in place when the registry changes."""

    def __init__(self, client: redis.Redis, media_root: Path, interval_s: float = 1.0) -> None:
        self.redis = client
        self.media_root = media_root
        self.interval_s = interval_s
        self.model_id: int | None = None
        self.recognisers: list[Recogniser] = []
        self._seen: tuple[int, int | None] | None = None
        self._next_poll = 0.0
        self._recheck_at = 0.0
        """Re-resolve from the database now and then even if no change was announced (Redis blip)."""

    def poll(self, camera_id: int, pinned: int | None, now: float | None = None) -> bool:
        """True when `recognisers` changed (the caller swaps them into its pipeline)."""
        now = time.monotonic() if now is None else now
        if now < self._next_poll:
            return False
        self._next_poll = now + self.interval_s
        try:
            key = (models_version(self.redis), pinned)
            if key == self._seen and now < self._recheck_at:
                return False
            from videohar.db.session import session_scope

            with session_scope() as db:
                wanted = active_model_id(db, camera_id, pinned)
            self._recheck_at = now + 30.0
            if wanted == self.model_id and self._seen is not None:
                self._seen = key
                return False
            recognisers: list[Recogniser] = [] if wanted is None else [load_verified(wanted, self.media_root)]
        except (LookupError, ValueError, ModelSpecError, OSError, redis.RedisError) as exc:
            log.warning("camera %s: keeping model %s: %s", camera_id, self.model_id, exc)
            return False  # `_seen` unchanged: retried on the next poll
        except Exception:  # a database outage must not stop the analysis
            log.exception("camera %s: model resolution failed", camera_id)
            return False
        self._seen = key
        changed = wanted != self.model_id
        self.model_id, self.recognisers = wanted, recognisers
        if changed:
            log.info("camera %s now runs model %s", camera_id, wanted)
        return changed
