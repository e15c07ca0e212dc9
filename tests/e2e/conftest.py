"""Real-browser journeys: Debian's chromium, driven by Playwright, against the live_server.

Playwright never downloads a browser here: every launch uses the system
chromium (installed by `make chromium`). The live server runs in a thread of
the test process and serves static files itself (StaticFilesHandler), so
Bootstrap loads even with DEBUG off.
"""

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, Request, Response
from pytest_django.live_server_helper import LiveServer

# Playwright's sync API runs an event loop in the test thread; Django refuses
# ORM calls from a thread with a running loop unless told it is safe.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
# Belt and braces: nothing in this suite may fetch a browser from the internet.
os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} not found: install Debian's chromium with `make chromium`.")
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def base_url(live_server: LiveServer) -> str:
    """Every browser context resolves relative URLs (page.goto("/articles/")) on the live server."""
    return live_server.url


@pytest.fixture
def site(live_server: LiveServer, transactional_db: None) -> LiveServer:
    """The live server, with a database the server thread and the test both see."""
    return live_server


@pytest.fixture
def screenshot_dir() -> Path:
    """tests/e2e/screenshots/ (git-ignored): each run's pictures of the pages, for review."""
    path = Path(__file__).parent / "screenshots"
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture
def console_errors(page: Page) -> Iterator[list[str]]:
    """Script errors, failed requests and missing static files seen by `page`: none allowed."""
    errors: list[str] = []

    def on_response(response: Response) -> None:
        # 304 (not modified) is a success: the browser's cached copy is current.
        if "/static/" in response.url and response.status >= 400:
            errors.append(f"HTTP {response.status}: {response.url}")

    page.on("pageerror", lambda error: errors.append(f"page error: {error}"))

    def on_request_failed(request: Request) -> None:
        # A fetch the page cancels itself (newer input, navigating away) is not a failure.
        if request.failure != "net::ERR_ABORTED":
            errors.append(f"request failed ({request.failure}): {request.url}")

    page.on("requestfailed", on_request_failed)
    page.on("response", on_response)
    yield errors
    assert errors == []
