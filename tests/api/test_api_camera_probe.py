"""Camera connection test (`POST /cameras/test`, `POST /cameras/{id}/test`) against real peers: the
GStreamer RTSP camera, the HTTP MJPEG camera, the demo clip, a closed port, a web page, an RTSP server
that wants a password, and a host that never answers. A failing source is a 200 with ok=false and a
clear message, never a 500, and the URL's credentials appear nowhere in the answer or the logs."""

from __future__ import annotations

import base64
import http.server
import logging
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import simplejpeg

from peers.mjpeg_server import MjpegCamera, demo_jpegs
from videohar.cameras.probe import scrub
from videohar.supervisor import DEMO_CLIP

# The probe does not depend on the database engine: these run once, on SQLite.
pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

PEERS = Path(__file__).resolve().parent.parent / "peers"
SECRET = "hunter2-Secret"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Server:
    """A TCP server in a thread; `handle(conn)` is called per connection."""

    def __init__(self, handle: Callable[[socket.socket], None]) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.conns: list[socket.socket] = []
        self.handle = handle
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(conn)
            threading.Thread(target=self.handle, args=(conn,), daemon=True).start()

    def close(self) -> None:
        self.sock.close()
        for conn in self.conns:
            conn.close()


def _rtsp_401(conn: socket.socket) -> None:
    """Answer every RTSP request with 401 and a Basic challenge (a camera refusing our password)."""
    buf = b""
    with conn:
        while chunk := conn.recv(4096):
            buf += chunk
            while b"\r\n\r\n" in buf:
                head, buf = buf.split(b"\r\n\r\n", 1)
                cseq = next(
                    (ln.split(b":", 1)[1].strip() for ln in head.split(b"\r\n") if ln.lower().startswith(b"cseq")), b"1"
                )
                conn.sendall(
                    b"RTSP/1.0 401 Unauthorized\r\nCSeq: " + cseq + b'\r\nWWW-Authenticate: Basic realm="cam"\r\n\r\n'
                )


def _silent(conn: socket.socket) -> None:
    """Accept and never answer (a firewall that lets the SYN through, a hung camera)."""
    with conn:
        while conn.recv(4096):
            pass


@pytest.fixture
def servers() -> Iterator[Callable[[Callable[[socket.socket], None]], _Server]]:
    started: list[_Server] = []

    def start(handle: Callable[[socket.socket], None]) -> _Server:
        started.append(_Server(handle))
        return started[-1]

    yield start
    for server in started:
        server.close()


@pytest.fixture
def web_page() -> Iterator[str]:
    """An HTTP server answering every path with an HTML login page (a camera's web UI, not its stream)."""

    class Page(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = b"<!doctype html><html><head><title>Camera</title></head><body><form>login</form></body></html>" * 8
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Page)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def mjpeg_url(demo_clip: Path) -> Iterator[str]:
    camera = MjpegCamera(demo_jpegs(demo_clip, count=5, width=384), fps=10).start()
    yield camera.url
    camera.stop()


@pytest.fixture
def rtsp_url(demo_clip: Path) -> Iterator[str]:
    """The GStreamer RTSP peer (tests/peers/rtsp_server.py) serving the demo clip."""
    port = free_port()
    proc = subprocess.Popen(
        ["/usr/bin/python3", str(PEERS / "rtsp_server.py"), str(demo_clip), str(port)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "ready", "RTSP peer did not start (run scripts/setup-system-packages)"
    yield f"rtsp://127.0.0.1:{port}/cam"
    proc.kill()
    proc.wait(5)


def _jpeg_of(data_url: str) -> tuple[int, int]:
    prefix = "data:image/jpeg;base64,"
    assert data_url.startswith(prefix), data_url[:40]
    height, width = simplejpeg.decode_jpeg(base64.b64decode(data_url[len(prefix) :])).shape[:2]
    return width, height


def _test(client, headers, url: str, timeout_s: float = 8.0):  # type: ignore[no-untyped-def]
    r = client.post("/cameras/test", json={"stream_url": url, "timeout_s": timeout_s}, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


def test_working_sources_answer_with_size_codec_and_a_snapshot(client, make_user, rtsp_url, mjpeg_url):
    h = make_user(client, "owner")
    demo = _test(client, h, DEMO_CLIP.resolve().as_uri())
    assert demo["ok"] is True and (demo["width"], demo["height"], demo["codec"]) == (768, 576, "h264")
    assert demo["fps"] == pytest.approx(10, abs=0.5)
    assert _jpeg_of(demo["snapshot"]) == (480, 360)  # small preview, aspect kept

    rtsp = _test(client, h, rtsp_url)
    assert rtsp["ok"] is True, rtsp
    assert (rtsp["width"], rtsp["height"], rtsp["codec"]) == (768, 576, "h264")
    assert _jpeg_of(rtsp["snapshot"])[0] == 480

    mjpeg = _test(client, h, mjpeg_url)
    assert mjpeg["ok"] is True, mjpeg
    assert (mjpeg["width"], mjpeg["codec"]) == (384, "mjpeg")
    assert _jpeg_of(mjpeg["snapshot"]) == (384, 288)  # never upscaled
    assert "connected" in mjpeg["message"]


def test_failing_sources_are_clear_answers_without_credentials(client, make_user, servers, web_page, caplog):
    caplog.set_level(logging.INFO)
    h = make_user(client, "owner")
    closed = free_port()
    auth = servers(_rtsp_401)
    silent = servers(_silent)
    cases = [
        (f"rtsp://admin:{SECRET}@127.0.0.1:{closed}/live", "connection refused"),
        (f"http://viewer:{SECRET}@127.0.0.1:{closed}/video.mjpg?token={SECRET}", "connection refused"),
        (f"http://admin:{SECRET}@{web_page}/index.html", "not with a video stream"),
        (f"rtsp://admin:{SECRET}@127.0.0.1:{auth.port}/cam", "authentication failed"),
        (f"rtsp://admin:{SECRET}@127.0.0.1:{silent.port}/cam", "timed out"),
        (f"rtsp://admin:{SECRET}@camera.invalid/cam", "could not be resolved"),
    ]
    for url, expected in cases:
        started = time.monotonic()
        result = _test(client, h, url, timeout_s=2)
        assert result["ok"] is False and expected in result["message"], (url, result)
        assert result["snapshot"] is None and result["width"] is None
        assert time.monotonic() - started < 5, "a test must not outlive its timeout by much"
        assert SECRET not in str(result)
    assert SECRET not in caplog.text
    assert "connection test by owner" in caplog.text  # it is logged, masked
    # the last guard: even a message that quoted the URL would lose its secrets
    url = f"rtsp://admin:{SECRET}@cam.example/live?token=tok-{SECRET}&channel=2"
    cleaned = scrub(f"failed to open {url} (user admin:{SECRET})", url)
    assert SECRET not in cleaned and "channel" not in cleaned and "failed to open" in cleaned


def test_saved_camera_is_tested_with_its_stored_url(client, make_user, web_page):
    owner = make_user(client, "owner")
    other = make_user(client, "other")
    viewer = make_user(client, "vic", "viewer")
    cam = client.post(
        "/cameras", json={"name": "Gate", "stream_url": f"http://admin:{SECRET}@{web_page}/"}, headers=owner
    ).json()
    r = client.post(f"/cameras/{cam['id']}/test", headers=owner)
    assert r.status_code == 200 and r.json()["ok"] is False and SECRET not in r.text
    demo = client.post("/cameras", json={"name": "Demo", "stream_url": str(DEMO_CLIP.resolve())}, headers=owner).json()
    r = client.post(f"/cameras/{demo['id']}/test", json={"timeout_s": 5}, headers=owner)
    assert r.status_code == 200 and r.json()["ok"] is True and r.json()["codec"] == "h264"
    # someone else's camera does not exist for them; a viewer it is shared with may not probe it
    assert client.post(f"/cameras/{demo['id']}/test", headers=other).status_code == 404
    assert client.put(f"/cameras/{demo['id']}/shares", json={"usernames": ["vic"]}, headers=owner).status_code == 200
    assert client.post(f"/cameras/{demo['id']}/test", headers=viewer).status_code == 403
    assert client.post(f"/cameras/{demo['id']}/test", json={"timeout_s": 0}, headers=owner).status_code == 422


@pytest.mark.parametrize(
    "body",
    [
        {"stream_url": "file:///etc/passwd"},
        {"stream_url": "gopher://x"},
        {"stream_url": "http://host:99999/x"},
        {"stream_url": "rtsp://host/\x00"},
        {"stream_url": ""},
        {"stream_url": "rtsp://h/x", "timeout_s": 60},
        {"stream_url": "rtsp://h/x", "extra": 1},
        {},
    ],
)
def test_bad_bodies_are_422(client, make_user, body):
    h = make_user(client, "owner")
    r = client.post("/cameras/test", json=body, headers=h)
    assert r.status_code == 422, (body, r.text)
    assert r.json()["message"]


def test_viewers_and_anonymous_cannot_probe(client, make_user):
    viewer = make_user(client, "vic", "viewer")
    body = {"stream_url": DEMO_CLIP.resolve().as_uri()}
    assert client.post("/cameras/test", json=body, headers=viewer).status_code == 403
    client.cookies.clear()  # the logins above left a cookie session behind
    assert client.post("/cameras/test", json=body).status_code == 401


def test_one_test_at_a_time_per_user_and_ten_a_minute(client, make_user, servers):
    alice = make_user(client, "alice")
    bob = make_user(client, "bob")
    silent = servers(_silent)
    slow = {"stream_url": f"rtsp://127.0.0.1:{silent.port}/cam", "timeout_s": 3}
    with ThreadPoolExecutor(2) as pool:
        first = pool.submit(client.post, "/cameras/test", json=slow, headers=alice)
        # wait until alice's test holds her slot, then try a second one
        deadline = time.monotonic() + 5
        while not silent.conns and time.monotonic() < deadline:
            time.sleep(0.02)
        second = client.post("/cameras/test", json=slow, headers=alice)
        assert second.status_code == 429 and "still running" in second.json()["message"]
        assert int(second.headers["Retry-After"]) >= 1
        # another user is not held up by alice
        quick = {"stream_url": f"rtsp://127.0.0.1:{free_port()}/cam", "timeout_s": 2}
        assert client.post("/cameras/test", json=quick, headers=bob).json()["ok"] is False
        assert first.result().json()["message"].startswith("timed out")
    closed = {"stream_url": f"rtsp://127.0.0.1:{free_port()}/cam", "timeout_s": 2}
    answers = [client.post("/cameras/test", json=closed, headers=alice).status_code for _ in range(9)]
    # alice used 1 (the slow one) + 9 = 10 tests this minute; the 11th is refused with a wait
    assert answers == [200] * 9
    refused = client.post("/cameras/test", json=closed, headers=alice)
    assert refused.status_code == 429 and 1 <= int(refused.headers["Retry-After"]) <= 60
