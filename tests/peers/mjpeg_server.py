"""An HTTP MJPEG camera for tests: a threaded http.server writing `multipart/x-mixed-replace` parts
from real frames of the demo clip, like the cheap IP cameras and ESP32 boards in the field do."""

from __future__ import annotations

import http.server
import itertools
import threading
import time
from pathlib import Path

import av
import simplejpeg


def demo_jpegs(clip: Path, count: int = 20, width: int = 384) -> list[bytes]:
    """The first `count` frames of a clip as JPEG, downscaled to `width`."""
    out: list[bytes] = []
    with av.open(str(clip)) as container:
        for frame in container.decode(video=0):
            height = frame.height * width // frame.width // 2 * 2
            out.append(simplejpeg.encode_jpeg(frame.to_ndarray(width=width, height=height, format="rgb24")))
            if len(out) == count:
                break
    return out


class MjpegCamera:
    """Serves `http://127.0.0.1:PORT/video`; `stop()` drops every client (camera gone)."""

    def __init__(self, jpegs: list[bytes], fps: float = 10.0, port: int = 0) -> None:
        self.jpegs = jpegs
        self.fps = fps
        self.stopping = threading.Event()
        camera = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path != "/video":
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "multipart/x-mixed-replace; boundary=frame")
                self.send_header("Cache-Control", "no-cache")
                self.end_headers()
                try:
                    for jpeg in itertools.cycle(camera.jpegs):
                        if camera.stopping.is_set():
                            break
                        head = f"--frame\r\nContent-Type: image/jpeg\r\nContent-Length: {len(jpeg)}\r\n\r\n"
                        self.wfile.write(head.encode() + jpeg + b"\r\n")
                        self.wfile.flush()
                        camera.stopping.wait(1.0 / camera.fps)
                except (BrokenPipeError, ConnectionResetError):
                    pass
                self.close_connection = True

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/video"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> MjpegCamera:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        self.server.shutdown()
        self.server.server_close()
        time.sleep(0)  # let handler threads see the flag
