"""Browser tests: the real app in headless Chromium, driven by Playwright.

One `streamlit run app.py` for the whole session on a free localhost port, one
Chromium for the whole session (Debian's /usr/bin/chromium: Playwright's own
browser downloads are never used). Every test here is marked `browser`.

If Chromium or the Playwright package is missing, every browser test is
skipped and the run ends with a banner saying so (`make test` installs
Chromium with apt-get first, see .ci/ensure-system-packages). With
MB_REQUIRE_BROWSER=1 a missing browser is an error instead of a skip.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from .stbrowser import (ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, LAPTOP, RENDER_TIMEOUT, SCREENSHOTS,
                       SERVER_LOG, SERVER_START_TIMEOUT, StPage, free_port, start_server,
                       stop_server, wait_healthy)


def _why_no_browser() -> str | None:
    if not Path(CHROMIUM).exists():
        return (f"Chromium not found at {CHROMIUM} (make test installs Debian's `chromium` "
                "with apt-get when it runs as root; see .ci/ensure-system-packages)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the Python package `playwright` is not installed (requirements-dev.txt)"
    return None


NO_BROWSER = _why_no_browser()
_STARTED = []       # the server fixture ran (for the closing line)


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)
            if NO_BROWSER and os.environ.get("MB_REQUIRE_BROWSER") != "1":
                item.add_marker(pytest.mark.skip(reason=f"BROWSER TESTS SKIPPED: {NO_BROWSER}"))


def pytest_terminal_summary(terminalreporter):
    if NO_BROWSER:
        bar = "!" * 78
        terminalreporter.write_line(bar, red=True, bold=True)
        terminalreporter.write_line("!! BROWSER TESTS DID NOT RUN: " + NO_BROWSER, red=True, bold=True)
        terminalreporter.write_line("!! The pages were NOT checked in a real browser.", red=True, bold=True)
        terminalreporter.write_line(bar, red=True, bold=True)
    elif _STARTED:
        terminalreporter.write_line(f"browser screenshots: {SCREENSHOTS}  server log: {SERVER_LOG}")


@pytest.fixture(scope="session")
def server():
    """Base URL of one `streamlit run app.py` shared by every browser test."""
    if NO_BROWSER:
        pytest.fail(f"browser required (MB_REQUIRE_BROWSER=1) but {NO_BROWSER}")
    ARTIFACTS.mkdir(exist_ok=True)
    _STARTED.append(True)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory(prefix="mb-home-") as home, open(SERVER_LOG, "w") as log:
        proc = start_server(port, home, log)
        try:
            wait_healthy(url, proc, SERVER_START_TIMEOUT)
            yield url
        finally:
            stop_server(proc)


# --------------------------------------------------------------- the browser

@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture(scope="session")
def context(browser):
    ctx = browser.new_context(viewport=LAPTOP, device_scale_factor=1)
    yield ctx
    ctx.close()


@pytest.fixture(scope="session")
def app_tab(context, server):
    """The one tab every page test shares. Pages are reached through the sidebar,
    as a student would, so the browser keeps its session and the code it has
    loaded instead of starting over for every page. Plotly's code (4.7 MB) is
    loaded up front, so that a training's first chart is not held up by it."""
    page = context.new_page()
    tab = StPage(page, server).goto("")
    tab.preload_plotly()
    yield tab
    page.close()
