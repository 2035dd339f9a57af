"""Browser fixtures: a real uvicorn server on a free port and Debian's Chromium driven by Playwright.

Playwright never downloads a browser here: it drives `/usr/bin/chromium` (installed by
`scripts/setup-system-packages`). Without it the browser tests are skipped, not failed.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

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

    def api(self, username: str) -> httpx.Client:
        """An httpx client logged in with Bearer, to check through the API what the UI did."""
        client = httpx.Client(base_url=self.site.url, timeout=10)
        r = client.post("/login", json={"username": username, "password": PASSWORD})
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
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


@pytest.fixture
def ui(site: LiveServer) -> Iterator[UI]:
    helper = UI(site)
    yield helper
    for client in helper.clients:
        client.close()
