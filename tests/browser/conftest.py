"""Browser fixtures: a real uvicorn server on a free port and Debian's Chromium driven by Playwright.

Playwright never downloads a browser here: it drives `/usr/bin/chromium` (installed by
`scripts/setup-system-packages`). Without it the browser tests fail (they are never skipped).
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import av
import httpx
import numpy as np
import pytest
import simplejpeg

from peers.roles import running_roles

CHROMIUM = os.environ.get("VIDEOHAR_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-quic",
    "--no-first-run",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"
PASSWORD = "correct horse battery"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    """uvicorn serving `create_app()` in a thread of this process (so it shares the test configuration)."""

    def __init__(self) -> None:
        import uvicorn

        from videohar.api.app import create_app

        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(create_app(), host="127.0.0.1", port=self.port, log_level="warning", lifespan="on")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="uvicorn-browser-tests", daemon=True)

    def start(self) -> None:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the test server did not start")
            time.sleep(0.05)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture(scope="session")
def live_server(app_env: Path) -> Iterator[LiveServer]:
    server = LiveServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).is_file():
        pytest.fail(f"no Chromium at {CHROMIUM} (run scripts/setup-system-packages)")
    os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def site(live_server: LiveServer, clean_state: Path) -> LiveServer:
    """The live server over empty tables and an empty Redis."""
    return live_server


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):  # type: ignore[no-untyped-def]
    """Remember each phase's outcome so the page fixture can screenshot failures."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture
def page(browser, site: LiveServer, request: pytest.FixtureRequest) -> Iterator[object]:  # type: ignore[no-untyped-def]
    """A fresh browser context (no cookies) whose dialogs are recorded, not accepted silently."""
    context = browser.new_context(base_url=site.url, viewport={"width": 1400, "height": 900})
    context.set_default_timeout(8000)
    pg = context.new_page()
    pg.dialogs = []  # type: ignore[attr-defined]

    def on_dialog(dialog) -> None:  # type: ignore[no-untyped-def]
        pg.dialogs.append(dialog.message)  # type: ignore[attr-defined]
        dialog.dismiss()

    pg.on("dialog", on_dialog)
    pg.console_errors = []  # type: ignore[attr-defined]
    pg.on("pageerror", lambda exc: pg.console_errors.append(str(exc)))  # type: ignore[attr-defined]
    yield pg
    failed = getattr(request.node, "rep_call", None)
    if failed is not None and failed.failed:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        pg.screenshot(path=str(SCREENSHOTS / f"FAILED-{request.node.name}.png"), full_page=True)
        print("page errors:", pg.console_errors)  # type: ignore[attr-defined]
    context.close()


class UI:
    """What the browser tests do besides clicking: make accounts, log in, check the API, save screenshots."""

    def __init__(self, site: LiveServer) -> None:
        self.site = site
        self.clients: list[httpx.Client] = []

    def create_account(self, username: str, role: str = "operator") -> None:
        from videohar.auth.users import create_user
        from videohar.db.models import Role
        from videohar.db.session import session_scope

        with session_scope() as db:
            create_user(db, username=username, email=f"{username}@example.com", password=PASSWORD, role=Role(role))

    def api(self, username: str, password: str = PASSWORD) -> httpx.Client:
        """An httpx client logged in with Bearer, to check through the API what the UI did."""
        client = httpx.Client(base_url=self.site.url, timeout=10)
        r = client.post("/login", json={"username": username, "password": password})
        assert r.status_code == 200, r.text
        client.headers["Authorization"] = f"Bearer {r.json()['access_token']}"
        client.cookies.clear()
        self.clients.append(client)
        # The login's session row may be committed just after the response is sent: wait for it.
        deadline = time.monotonic() + 5
        while client.get("/me").status_code == 401 and time.monotonic() < deadline:
            time.sleep(0.05)
        return client

    def login(self, page, username: str, password: str = PASSWORD) -> None:  # type: ignore[no-untyped-def]
        page.goto("/ui/login")
        page.fill("#username", username)
        page.fill("#password", password)
        page.click("#login-submit")
        page.wait_for_url("**/ui/dashboard")

    def shot(self, page, name: str) -> None:  # type: ignore[no-untyped-def]
        """`test-output/screenshots/<name>.png`, the whole page from its top (the sticky top bar stays on top)."""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)

    @staticmethod
    def synthetic_pickle(classes: Sequence[tuple[str, int, int]], seed: int = 0, fps: float = 10.0) -> bytes:
        """An mmaction2 / pyskl annotation pickle of generated (not real) people: (action, label index, count)
        each, 4 s per sample. The fastest honest way to give a dataset classes a model can tell apart."""
        from peers.skeletons import annotations_pickle, synthetic_annotations

        anns = [
            ann
            for i, (action, label, count) in enumerate(classes)
            for ann in synthetic_annotations(action, label, count, seed + i, fps=fps)
        ]
        return annotations_pickle(anns)

    @staticmethod
    def give_event_a_clip(event_id: int, actions: Sequence[str] = ("walk",), seconds: float = 4.0) -> None:
        """Write the clip and skeleton file a worker would have written for an event: demo-clip frames with
        one generated person per action (track ids 1, 2, ...), then point the event row at them."""
        from videohar.config import get_settings
        from videohar.datasets.synthetic import generate_sequence
        from videohar.db.models import Event
        from videohar.db.session import session_scope
        from videohar.media.clips import ClipFrame, write_mp4, write_skeleton
        from videohar.media.store import event_media_dir
        from videohar.supervisor import DEMO_CLIP

        fps = 10.0
        rng = np.random.default_rng(event_id)
        people = [generate_sequence(a, seconds=seconds, fps=fps, rng=rng, noise=0.3) for a in actions]
        frames: list[ClipFrame] = []
        with av.open(str(DEMO_CLIP)) as container:
            for image in container.decode(video=0):
                if len(frames) == len(people[0]):
                    break
                i = len(frames)
                record = [
                    {
                        "track_id": n + 1,
                        "box": [
                            float(kps[i, :, 0].min()),
                            float(kps[i, :, 1].min()),
                            float(kps[i, :, 0].max()),
                            float(kps[i, :, 1].max()),
                        ],
                        "score": 0.9,
                        "keypoints": [[float(x), float(y), float(s)] for x, y, s in kps[i]],
                    }
                    for n, kps in enumerate(people)
                ]
                jpeg = simplejpeg.encode_jpeg(image.to_ndarray(format="rgb24"), quality=80)
                frames.append(ClipFrame(i / fps, jpeg, record))
        media = get_settings().media_path
        with session_scope() as db:
            event = db.get(Event, event_id)
            assert event is not None, event_id
            folder = event_media_dir(media, event.camera_id, event.started_at)
            mp4, skeleton = folder / f"{event_id}.mp4", folder / f"{event_id}.json"
            width, height = write_mp4(mp4, frames)
            write_skeleton(skeleton, frames, width, height)
            event.clip_path = mp4.relative_to(media).as_posix()
            event.skeleton_path = skeleton.relative_to(media).as_posix()


@pytest.fixture
def ui(site: LiveServer) -> Iterator[UI]:
    helper = UI(site)
    yield helper
    for client in helper.clients:
        client.close()


class TrainerThread:
    """The `videohar trainer` loop in a thread of this process (same database and media folder).

    `hold_after(epoch)` makes a training run stop after that epoch until `release(epoch)`: the job
    stays `running` with its progress written, so a test can look at a run in flight without racing
    a fast CPU, then let it finish."""

    def __init__(self) -> None:
        self.worker_id = "browser-trainer"
        self.stop = threading.Event()
        self.holds: dict[int, threading.Event] = {}
        self.reached: dict[int, threading.Event] = {}
        self.thread = threading.Thread(target=self._loop, name="browser-trainer", daemon=True)

    def hold_after(self, *epochs: int) -> None:
        for epoch in epochs:
            self.holds[epoch] = threading.Event()
            self.reached[epoch] = threading.Event()

    def release(self, epoch: int) -> None:
        self.holds[epoch].set()

    def _progress(self, fields: dict[str, Any]) -> None:
        epoch = fields.get("epoch")
        if "loss" not in fields or epoch not in self.holds:
            return
        self.reached[epoch].set()
        self.holds[epoch].wait(90)  # never forever: a failed test must not hang the run

    def _loop(self) -> None:
        from videohar.training.jobs import claim, run_job

        while not self.stop.is_set():
            try:
                job_id = claim(self.worker_id)
            except Exception:  # a locked SQLite file or a database blip: try again, as the real trainer does
                job_id = None
            if job_id is None:
                self.stop.wait(0.2)
                continue
            run_job(job_id, self.worker_id, progress_cb=self._progress)

    def close(self) -> None:
        self.stop.set()
        for gate in self.holds.values():
            gate.set()
        self.thread.join(60)


@pytest.fixture
def trainer(site: LiveServer) -> Iterator[TrainerThread]:
    """A trainer running jobs (extraction, recording, training) while the test drives the browser."""
    worker = TrainerThread()
    worker.thread.start()
    yield worker
    worker.close()


@pytest.fixture
def pipeline(site: LiveServer, redis_url: str) -> Iterator[None]:
    """Ingest and recognition services in threads of this process, as `videohar up` runs them."""
    with running_roles(redis_url):
        yield
