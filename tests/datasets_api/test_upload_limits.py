"""Upload size limits hold while the body streams: a chunked request (no Content-Length) past the
limit ends in 413 before it is parsed or spooled, and leaves nothing behind; normal uploads and
other routes are untouched by the check."""

from __future__ import annotations

import pickle
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pytest

BOUNDARY = "videohar-test-boundary"
MULTIPART = {"content-type": f"multipart/form-data; boundary={BOUNDARY}"}


def chunked_multipart(
    filename: str, total: int, counter: list[int] | None = None, *, payload: bytes | None = None
) -> Iterator[bytes]:
    """A multipart body with one `file` part, yielded in 64 KiB pieces (httpx sends it chunked);
    `counter[0]` counts the file bytes handed to the transport so far."""
    counter = counter if counter is not None else [0]
    yield (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    if payload is not None:
        for start in range(0, len(payload), 65536):
            piece = payload[start : start + 65536]
            counter[0] += len(piece)
            yield piece
    else:
        piece = b"\0" * 65536
        while counter[0] < total:
            counter[0] += len(piece)
            yield piece
    yield f"\r\n--{BOUNDARY}--\r\n".encode()


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


@pytest.fixture
def small_limit(monkeypatch):  # type: ignore[no-untyped-def]
    """VIDEOHAR_DATASETS_MAX_UPLOAD_MB=0.05 (about 52 KB) for the test."""
    from videohar.datasets.settings import reset_dataset_settings

    monkeypatch.setenv("VIDEOHAR_DATASETS_MAX_UPLOAD_MB", "0.05")
    reset_dataset_settings()
    yield
    monkeypatch.delenv("VIDEOHAR_DATASETS_MAX_UPLOAD_MB")
    reset_dataset_settings()


def _pickle() -> bytes:
    rng = np.random.default_rng(0)
    ann = {
        "frame_dir": "s0",
        "label": 0,
        "img_shape": (480, 640),
        "total_frames": 20,
        "keypoint": rng.uniform(50, 400, (1, 20, 17, 2)).astype(np.float32),
        "keypoint_score": rng.uniform(0.3, 1, (1, 20, 17)).astype(np.float32),
    }
    return pickle.dumps({"split": {"train": ["s0"]}, "annotations": [ann]})


def test_chunked_uploads_past_the_limit_get_413_and_leave_nothing(client, make_user, small_limit):
    from videohar.config import get_settings

    h = make_user(client, "alice")
    ds = client.post("/datasets", json={"name": "d", "label_set": "default"}, headers=h).json()
    data = get_settings().data_path
    before = _files(data)
    for url, name in (
        (f"/datasets/{ds['id']}/uploads", "big.mp4"),
        (f"/datasets/{ds['id']}/import", "big.pkl"),
        ("/models/import", "big.onnx"),
    ):
        sent = [0]
        r = client.post(url, content=chunked_multipart(name, 8 * 1024 * 1024, sent), headers={**h, **MULTIPART})
        assert r.status_code == 413, (url, r.text)
        assert r.json()["message"] == "upload larger than 0.05 MB"
        assert sent[0] >= 8 * 1024 * 1024  # the whole (chunked) body was offered
    assert _files(data) == before
    assert not (data / "media" / "datasets" / str(ds["id"]) / "uploads").exists()
    assert client.get(f"/datasets/{ds['id']}/clips", headers=h).json() == []
    assert client.get("/jobs", headers=h).json() == []
    assert client.get("/models", headers=h).json() == []
    # a declared Content-Length past the limit is refused without reading the body
    r = client.post(f"/datasets/{ds['id']}/uploads", files={"file": ("x.mp4", b"0" * 200_000)}, headers=h)
    assert r.status_code == 413 and r.json()["message"] == "upload larger than 0.05 MB"
    # under the limit (plus multipart overhead) the handler's own checks still answer
    r = client.post(f"/datasets/{ds['id']}/uploads", files={"file": ("x.mp4", b"0" * 60_000)}, headers=h)
    assert r.status_code == 413  # file part over 0.05 MB: the exact check in the handler
    r = client.post(f"/datasets/{ds['id']}/uploads", files={"file": ("x.mp4", b"0" * 20_000)}, headers=h)
    assert r.status_code == 422 and "unsupported video" in r.json()["message"]
    assert _files(data) == before


def test_normal_uploads_and_other_routes_pass_through(client, make_user, demo_clip, tmp_path):
    from datasets_api.test_datasets_end_to_end import cut_video
    from videohar.config import get_settings
    from videohar.datasets.extract import probe_video

    h = make_user(client, "alice")
    ds = client.post("/datasets", json={"name": "d", "label_set": "default"}, headers=h).json()
    assert client.get("/label_sets", headers=h).status_code == 200
    video = cut_video(demo_clip, tmp_path / "cut.mp4", 0.0, 1.0).read_bytes()
    # chunked, under the limit: counted by the middleware and accepted
    r = client.post(
        f"/datasets/{ds['id']}/uploads",
        content=chunked_multipart("cut.mp4", 0, payload=video),
        headers={**h, **MULTIPART},
    )
    assert r.status_code == 202, r.text
    assert r.json()["status"] == "processing" and r.json()["job_id"]
    (saved,) = (get_settings().media_path / "datasets" / str(ds["id"]) / "uploads").iterdir()
    assert saved.read_bytes() == video and probe_video(saved).width == 768
    r = client.post(f"/datasets/{ds['id']}/import", files={"file": ("a.pkl", _pickle())}, headers=h)
    assert r.status_code == 201 and r.json()["clips"] == 1
    # a JSON POST elsewhere is not touched by the upload check
    r = client.post("/datasets", json={"name": "e", "label_set": "default"}, headers=h)
    assert r.status_code == 201


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_real_server_stops_reading_an_oversized_stream(client, make_user, small_limit):
    """Through uvicorn and a real socket: the 413 arrives after a small part of a 64 MB stream."""
    import uvicorn

    from videohar.api.app import create_app

    h = make_user(client, "alice")
    ds = client.post("/datasets", json={"name": "d", "label_set": "default"}, headers=h).json()
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while not server.started:
            assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.05)
        total, sent = 64 * 1024 * 1024, [0]
        r = httpx.post(
            f"http://127.0.0.1:{port}/datasets/{ds['id']}/uploads",
            content=chunked_multipart("big.mp4", total, sent),
            headers={**h, **MULTIPART},
            timeout=30,
        )
        assert r.status_code == 413 and r.json()["message"] == "upload larger than 0.05 MB"
        assert sent[0] < total // 8, f"{sent[0]} of {total} bytes were streamed before the 413"
    finally:
        server.should_exit = True
        thread.join(10)
    assert client.get(f"/datasets/{ds['id']}/clips", headers=h).json() == []
