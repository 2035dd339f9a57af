"""Opening camera streams with PyAV/FFmpeg and turning decoded frames into JPEG once.

Every open and read has a timeout (FFmpeg's own socket timeouts plus PyAV's interrupt callback), so a
dead or hung camera raises `SourceError` instead of blocking. Files are paced at their own frame rate
(and optionally looped) so they behave like a live camera.

    with VideoSource("rtsp://cam/stream", read_timeout_s=5) as source:
        for frame, captured_at in source.frames(stop_event):
            jpeg, width, height = encode_jpeg(frame, 1280, 720, quality=80)
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

import av
import av.error
import numpy as np
import simplejpeg
from av.video.reformatter import ColorRange

from videohar.cameras.urls import DEVICE_RE, NETWORK_SCHEMES


class SourceError(Exception):
    """A stream could not be opened or stopped delivering. `reason` is safe to show (no URL, no
    credentials); `config_problem` marks failures a retry will not fix by itself (404, bad file)."""

    def __init__(self, reason: str, *, config_problem: bool = False, stalled: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.config_problem = config_problem
        self.stalled = stalled


@dataclass(frozen=True, slots=True)
class InputSpec:
    """What `av.open` needs for one URL."""

    target: str
    format: str | None
    options: dict[str, str]
    is_file: bool


def input_spec(url: str, read_timeout_s: float) -> InputSpec:
    """Map a camera URL (network, device or file, as `cameras.urls` accepts them) to FFmpeg input."""
    io_us = str(int(read_timeout_s * 1_000_000))
    live = {"analyzeduration": "1000000", "probesize": "1000000", "fflags": "nobuffer"}
    device = DEVICE_RE.match(url)
    if device:
        return InputSpec(f"/dev/video{device.group(1) or device.group(2)}", "v4l2", {}, False)
    scheme = urlsplit(url).scheme.lower()
    if scheme in ("rtsp", "rtsps"):
        return InputSpec(url, None, {**live, "rtsp_transport": "tcp", "timeout": io_us}, False)
    if scheme in NETWORK_SCHEMES:
        return InputSpec(url, None, {**live, "rw_timeout": io_us, "reconnect": "0"}, False)
    path = unquote(urlsplit(url).path) if scheme == "file" else url
    return InputSpec(path, None, {}, True)


def _source_error(exc: BaseException) -> SourceError:
    """Name the failure without the URL (FFmpeg puts it in str(exc))."""
    if isinstance(exc, av.error.ExitError):
        return SourceError("no data before the read timeout", stalled=True)
    if isinstance(exc, av.error.FFmpegError):
        message = exc.strerror or type(exc).__name__
        config = isinstance(
            exc,
            av.error.HTTPClientError
            | av.error.FileNotFoundError
            | av.error.PermissionError
            | av.error.DecoderNotFoundError
            | av.error.InvalidDataError,
        )
        return SourceError(message, config_problem=config)
    return SourceError(f"{type(exc).__name__}: {exc}")


class VideoSource:
    """One open stream; iterate `frames()` in a single thread, then `close()` (or use `with`)."""

    def __init__(
        self, url: str, *, open_timeout_s: float = 5.0, read_timeout_s: float = 5.0, loop: bool = False
    ) -> None:
        self.spec = input_spec(url, read_timeout_s)
        self.loop = loop and self.spec.is_file
        self.read_timeout_s = read_timeout_s
        self._timeouts = (open_timeout_s, read_timeout_s)
        self._container: av.container.InputContainer | None = None
        self.width = 0
        self.height = 0

    def open(self) -> VideoSource:
        if self.spec.is_file and not Path(self.spec.target).is_file():
            raise SourceError("video file not found", config_problem=True)
        try:
            container = av.open(
                self.spec.target, format=self.spec.format, options=self.spec.options, timeout=self._timeouts
            )
        except (av.error.FFmpegError, OSError) as exc:
            raise _source_error(exc) from None
        if not container.streams.video:
            container.close()
            raise SourceError("the stream has no video", config_problem=True)
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        self.width, self.height = stream.codec_context.width, stream.codec_context.height
        self._container = container
        return self

    def close(self) -> None:
        if self._container is not None:
            self._container.close()
            self._container = None

    def __enter__(self) -> VideoSource:
        return self.open() if self._container is None else self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def frames(self, stop: threading.Event) -> Iterator[tuple[av.VideoFrame, float]]:
        """Decoded frames with their capture time (Unix s) until `stop`, the end of a non-looped file,
        or a failure (`SourceError`). Raises a stall when packets come but no frame decodes."""
        while not stop.is_set():
            if self._container is None:
                self.open()
            assert self._container is not None
            yield from self._decode(self._container, stop)
            if not self.loop:
                return
            self.close()

    def _decode(self, container: av.container.InputContainer, stop: threading.Event) -> Iterator[tuple]:
        stream = container.streams.video[0]
        pace = self.spec.is_file
        start_wall = start_pts = None
        last_frame = time.monotonic()
        try:
            for packet in container.demux(stream):
                if stop.is_set():
                    return
                for frame in packet.decode():
                    last_frame = time.monotonic()
                    if pace and frame.time is not None:
                        if start_wall is None or frame.time < start_pts:
                            start_wall, start_pts = last_frame, frame.time
                        delay = start_wall + (frame.time - start_pts) - time.monotonic()
                        if delay > 0 and stop.wait(delay):
                            return
                        if delay < -1.0:  # fell far behind (machine busy): do not burst to catch up
                            start_wall, start_pts = time.monotonic(), frame.time
                    yield frame, time.time()
                if time.monotonic() - last_frame > self.read_timeout_s:
                    raise SourceError("packets arrive but no frame decodes", stalled=True)
        except (av.error.FFmpegError, OSError) as exc:
            raise _source_error(exc) from None


def fit_size(width: int, height: int, max_width: int, max_height: int) -> tuple[int, int]:
    """Largest even size within the limits keeping the aspect ratio; never upscales."""
    scale = min(1.0, max_width / width, max_height / height)
    return max(2, int(width * scale) // 2 * 2), max(2, int(height * scale) // 2 * 2)


def encode_jpeg(frame: av.VideoFrame, max_width: int, max_height: int, quality: int = 80) -> tuple[bytes, int, int]:
    """Downscale and JPEG-encode straight from full-range YUV 4:2:0 planes (libjpeg-turbo): one
    swscale pass and no RGB round trip, about a third cheaper than going through RGB."""
    width, height = fit_size(frame.width, frame.height, max_width, max_height)
    yuv = frame.reformat(width=width, height=height, format="yuv420p", dst_color_range=ColorRange.JPEG)
    planes = [np.frombuffer(p, np.uint8).reshape(p.height, p.line_size)[:, : p.width] for p in yuv.planes]
    return simplejpeg.encode_jpeg_yuv_planes(*planes, quality=quality), width, height
