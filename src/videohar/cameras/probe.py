"""Camera connection test: open a source once, read one frame, describe it, and say clearly why not.

Used by `POST /cameras/test` and `POST /cameras/{id}/test` before (or after) a camera is saved, so a
wrong URL, a closed port or a bad password shows up in the form instead of as an offline camera later.

* The probe runs in its own thread with a deadline: a hung host costs the caller at most `timeout_s`
  (FFmpeg's socket timeouts and PyAV's interrupt callback end the thread soon after).
* A failing source is an answer (`ok=False` and a message), never an exception; messages are built from
  fixed texts and FFmpeg's error *names*, never from the URL, and are scrubbed of the URL's user-info
  and secret query values as a last guard.
* `ProbeGuard` serialises tests per user and caps them per minute in Redis (shared by every API
  process), so the endpoint cannot be used to hammer hosts.

    result = probe_source("rtsp://cam/stream", timeout_s=8)
    result.ok, result.message, result.width, result.snapshot  # "data:image/jpeg;base64,..."
"""

from __future__ import annotations

import base64
import errno
import socket
import threading
import time
from fractions import Fraction
from pathlib import Path
from urllib.parse import unquote, urlsplit

import av
import av.error
import redis
from pydantic import BaseModel, ConfigDict, Field

from videohar.cameras.sources import encode_jpeg, input_spec
from videohar.cameras.urls import NETWORK_SCHEMES
from videohar.config import mask_url

DEFAULT_TIMEOUT_S = 8.0
SNAPSHOT_MAX = (480, 360)
"""The preview is small: it only has to show that the picture is the right one."""


class ProbeResult(BaseModel):
    """`ok=false` with a `message` when the source fails (refused, timed out, not a video, auth failed);
    the message never contains the URL's credentials. Also the API's answer to a connection test."""

    model_config = ConfigDict(frozen=True)

    ok: bool
    message: str
    width: int | None = None
    height: int | None = None
    codec: str | None = None
    fps: float | None = None
    snapshot: str | None = Field(None, description="The first frame, downscaled, as a data:image/jpeg URL.")
    elapsed_ms: int = 0


class ProbeFailed(Exception):
    """A source failure with a message that is safe to show."""


def _failure_message(exc: BaseException, timeout_s: float) -> str:
    """A clear, URL-free sentence for an FFmpeg/OS failure while opening or reading a source."""
    if isinstance(exc, av.error.ExitError | TimeoutError):  # ExitError: PyAV's deadline interrupted FFmpeg
        return f"timed out: no answer within {timeout_s:g} s (wrong host or port, or a firewall drops the packets)"
    if isinstance(exc, av.error.HTTPUnauthorizedError | av.error.HTTPForbiddenError):
        return "authentication failed: the camera refused the user name or password (HTTP 401/403)"
    if isinstance(exc, av.error.HTTPNotFoundError):
        return "the server answered 404 Not Found: check the path of the stream URL"
    if isinstance(exc, av.error.HTTPClientError | av.error.HTTPServerError | av.error.HTTPBadRequestError):
        return f"the server answered with an HTTP error ({exc.strerror or 'client/server error'})"
    if isinstance(exc, av.error.InvalidDataError):
        return "the source answered, but not with a video stream FFmpeg can read (is it a web page?)"
    if isinstance(exc, av.error.FileNotFoundError):
        return "not found: no such file or device"
    if isinstance(exc, av.error.PermissionError):
        return "permission denied (for RTSP this usually means the user name or password is wrong)"
    code = getattr(exc, "errno", None)
    if code == errno.ECONNREFUSED:
        return "connection refused: nothing listens on that host and port"
    if code in (errno.ETIMEDOUT, errno.EAGAIN):
        return f"timed out: no answer within {timeout_s:g} s"
    if code in (errno.EHOSTUNREACH, errno.ENETUNREACH):
        return "the host cannot be reached (no route to host)"
    if code == errno.ECONNRESET:
        return "the connection was reset by the camera"
    if isinstance(exc, av.error.FFmpegError):
        return f"could not open the source: {exc.strerror or type(exc).__name__}"
    return f"could not open the source: {type(exc).__name__}"


def _fps(stream: av.video.stream.VideoStream) -> float | None:
    for rate in (stream.average_rate, stream.guessed_rate, stream.base_rate):
        if isinstance(rate, Fraction) and 0 < rate <= 240:
            return round(float(rate), 2)
    return None


def _describe(frame: av.VideoFrame, stream: av.video.stream.VideoStream) -> ProbeResult:
    jpeg, _, _ = encode_jpeg(frame, *SNAPSHOT_MAX, quality=75)
    codec = stream.codec_context.name
    return ProbeResult(
        ok=True,
        message="connected: the first frame was decoded",
        width=frame.width,
        height=frame.height,
        codec=codec,
        fps=_fps(stream),
        snapshot="data:image/jpeg;base64," + base64.b64encode(jpeg).decode("ascii"),
    )


def _resolve(url: str) -> None:
    """Name a DNS failure as such (FFmpeg reports it as a bare "Input/output error")."""
    parts = urlsplit(url)
    if parts.scheme.lower() not in NETWORK_SCHEMES or not parts.hostname:
        return
    try:
        socket.getaddrinfo(parts.hostname, None, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise ProbeFailed("the host name could not be resolved (check its spelling, or use the IP address)") from None


def _read_one(url: str, timeout_s: float, deadline: float) -> ProbeResult:
    spec = input_spec(url, read_timeout_s=timeout_s)
    if spec.is_file and not Path(spec.target).is_file():
        raise ProbeFailed("not found: the video file does not exist")
    _resolve(url)
    opening = time.monotonic()
    try:
        container = av.open(spec.target, format=spec.format, options=spec.options, timeout=(timeout_s, timeout_s))
    except (av.error.FFmpegError, OSError) as exc:
        if time.monotonic() - opening >= timeout_s * 0.9:  # FFmpeg's RTSP reports its own timeout as bad data
            raise ProbeFailed(_failure_message(TimeoutError(), timeout_s)) from None
        raise ProbeFailed(_failure_message(exc, timeout_s)) from None
    try:
        if not container.streams.video:
            raise ProbeFailed("the source has no video stream")
        stream = container.streams.video[0]
        try:
            for packet in container.demux(stream):
                for frame in packet.decode():
                    return _describe(frame, stream)
                if time.monotonic() > deadline:
                    raise ProbeFailed(f"timed out: data arrives but no frame decoded within {timeout_s:g} s")
        except (av.error.FFmpegError, OSError) as exc:
            raise ProbeFailed(_failure_message(exc, timeout_s)) from None
        raise ProbeFailed("the stream opened but ended before a frame could be decoded")
    finally:
        container.close()


def scrub(message: str, url: str) -> str:
    """Remove the URL's user-info and secret query values from `message` (a last guard)."""
    parts = urlsplit(url)
    secrets = {url} if mask_url(url) != url else set()
    if "@" in parts.netloc:
        userinfo = parts.netloc.rpartition("@")[0]
        secrets |= {userinfo, unquote(userinfo)}
        if ":" in userinfo:
            password = userinfo.split(":", 1)[1]
            secrets |= {password, unquote(password)}
    for pair in parts.query.split("&"):
        value = pair.partition("=")[2]
        if value and mask_url(f"x://h/?{pair}") != f"x://h/?{pair}":
            secrets |= {value, unquote(value)}
    for secret in sorted((s for s in secrets if len(s) >= 3), key=len, reverse=True):
        message = message.replace(secret, "***")
    return message


def probe_source(url: str, *, timeout_s: float = DEFAULT_TIMEOUT_S) -> ProbeResult:
    """Open `url` (already validated by `cameras.urls.classify`), read one frame, describe it.

    Never raises for a bad source and never takes much longer than `timeout_s`: the work runs in a
    daemon thread that FFmpeg's own timeouts end soon after an abandoned wait.
    """
    started = time.monotonic()
    deadline = started + timeout_s
    box: dict[str, ProbeResult] = {}

    def work() -> None:
        try:
            box["result"] = _read_one(url, timeout_s, deadline)
        except ProbeFailed as exc:
            box["result"] = ProbeResult(ok=False, message=str(exc))
        except Exception as exc:  # a probe must answer, whatever FFmpeg does
            box["result"] = ProbeResult(ok=False, message=f"could not open the source: {type(exc).__name__}")

    thread = threading.Thread(target=work, name="camera-probe", daemon=True)
    thread.start()
    thread.join(timeout_s + 0.5)
    result = box.get("result") or ProbeResult(ok=False, message=f"timed out: no frame within {timeout_s:g} s")
    elapsed = int((time.monotonic() - started) * 1000)
    return result.model_copy(update={"message": scrub(result.message, url), "elapsed_ms": elapsed})


class ProbeBusy(Exception):
    """The caller already has a test running, or used up this minute's tests; `retry_after` in s."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ProbeGuard:
    """Per-user limits in Redis: one test at a time, at most `per_minute` tests a minute."""

    def __init__(self, r: redis.Redis, user_id: int, *, per_minute: int = 10, hold_s: float = 30.0) -> None:
        self.r = r
        self.busy_key = f"videohar:camera_test:busy:{user_id}"
        self.count_key = f"videohar:camera_test:count:{user_id}"
        self.per_minute = per_minute
        self.hold_ms = int(hold_s * 1000)

    def __enter__(self) -> ProbeGuard:
        if not self.r.set(self.busy_key, 1, nx=True, px=self.hold_ms):
            raise ProbeBusy("a connection test of yours is still running; wait for its answer", 2)
        pipe = self.r.pipeline()
        pipe.set(self.count_key, 0, ex=60, nx=True)  # the window starts at the first test
        pipe.incr(self.count_key)
        pipe.ttl(self.count_key)
        _, count, ttl = pipe.execute()
        if int(count) > self.per_minute:
            self.r.delete(self.busy_key)
            raise ProbeBusy(f"at most {self.per_minute} connection tests a minute; try again shortly", max(1, ttl))
        return self

    def __exit__(self, *exc: object) -> None:
        self.r.delete(self.busy_key)
