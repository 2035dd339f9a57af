"""Where event media goes on disk, written atomically so readers never see half a file."""

from __future__ import annotations

import os
import tempfile
from datetime import datetime
from pathlib import Path


def event_media_dir(root: Path, camera_id: int, when: datetime) -> Path:
    path = root / "events" / str(int(camera_id)) / when.strftime("%Y%m%d")
    path.mkdir(parents=True, exist_ok=True)
    return path


def write_atomic(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
