"""Helpers for the browser tests: the server process, and the waits and checks
a Streamlit page needs in Playwright. Fixtures live in conftest.py."""
from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from mbcore.engine.services import WATCHDOG

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts"
SCREENSHOTS = ARTIFACTS / "screenshots"
SERVER_LOG = ARTIFACTS / "streamlit-server.log"
CHROMIUM = os.environ.get("MB_CHROMIUM", "/usr/bin/chromium")
# Without these Chromium stalls on refused connections in a sandbox with no internet.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
PROJECTOR = {"width": 1920, "height": 1080}
LAPTOP = {"width": 1280, "height": 800}
SIZES = {"projector": PROJECTOR, "laptop": LAPTOP}
SERVER_START_TIMEOUT = 120      # seconds: importing Streamlit on a cold 2-core machine
RENDER_TIMEOUT = 90_000         # ms: first render of a page may import TensorFlow


# ---------------------------------------------------------------- the server

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def clean_env(home: str) -> dict:
    """What the app sees: no inherited STREAMLIT_*, KERAS_*, TF_* or test variables."""
    env = {k: os.environ[k] for k in ("PATH", "LANG", "LC_ALL", "TZ", "TMPDIR") if k in os.environ}
    env.update(HOME=home, PYTHONUNBUFFERED="1", PYTHONDONTWRITEBYTECODE="1",
               MBCORE_ROOMS_DB=os.path.join(home, "rooms.sqlite3"))   # class rooms of this run
    return env


def wait_healthy(url: str, proc: subprocess.Popen, timeout: float) -> float:
    """Poll /_stcore/health until it answers "ok"; returns the seconds it took."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited with code {proc.returncode}; see {SERVER_LOG}")
        try:
            with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as r:
                if r.status == 200 and r.read().strip() == b"ok":
                    return time.monotonic() - start
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"streamlit not healthy after {timeout:.0f} s; see {SERVER_LOG}")


def start_server(port: int, home: str, log, **env):
    """`streamlit run app.py` in its own process group (workers it spawns die with it);
    `env` adds variables, e.g. MBCORE_WORKERS="1" for a test that trains nothing."""
    cmd = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
           "--server.port", str(port), "--server.address", "127.0.0.1",
           "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"]
    # under a watchdog leading the group: if this pytest dies (even by kill -9),
    # the server and its training workers go with it
    watched = [sys.executable, "-c", WATCHDOG, str(os.getpid()), *cmd]
    return subprocess.Popen(watched, cwd=ROOT, env={**clean_env(home), **env}, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)


def stop_server(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    for sig, wait in ((signal.SIGTERM, 15), (signal.SIGKILL, 5)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


def server_log() -> str:
    return SERVER_LOG.read_text(errors="replace") if SERVER_LOG.exists() else ""


class StPage:
    """A Playwright page on the app, with the waits and checks Streamlit needs."""

    def __init__(self, page, base_url: str):
        self.page, self.base_url = page, base_url
        page.set_default_timeout(RENDER_TIMEOUT)
        self.console_errors: list[str] = []
        page.on("console", lambda m: m.type == "error" and self.console_errors.append(m.text))
        page.on("pageerror", lambda e: self.console_errors.append(str(e)))

    def goto(self, path: str = "", timeout: float = RENDER_TIMEOUT):
        self.page.goto(self.base_url + "/" + path.lstrip("/"), wait_until="domcontentloaded")
        self.wait_idle(timeout)
        return self

    def preload_plotly(self):
        """Load Streamlit's Plotly chunk into this tab now, as a browser that has
        drawn one chart before has it (the same module the app imports later)."""
        import streamlit
        static = Path(streamlit.__file__).parent / "static"
        for chunk in sorted(static.glob("static/js/PlotlyChart.*.js")):
            url = "/" + chunk.relative_to(static).as_posix()
            self.page.evaluate("(url) => import(url).then(() => true)", url)

    def open_page(self, url_path: str, timeout: float = RENDER_TIMEOUT):
        """Go to a page through its sidebar link (no reload), or by URL if it has none."""
        link = self.page.locator(
            f'[data-testid="stSidebarNav"] a[data-testid="stSidebarNavLink"][href$="/{url_path}"]')
        if not url_path or link.count() == 0:
            return self.goto(url_path, timeout)
        link.first.click()
        self.page.wait_for_url(f"**/{url_path}", timeout=timeout)
        self.wait_idle(timeout)
        return self

    def wait_idle(self, timeout: float = RENDER_TIMEOUT):
        """Connected, and the script has run to its end: not running, no rerun queued,
        something drawn in the main area, nothing left over from the run before and
        no placeholder still waiting for its element's code."""
        app = self.page.locator('[data-testid="stApp"]')
        app.wait_for(state="attached", timeout=timeout)
        self.page.wait_for_function(
            """() => { const a = document.querySelector('[data-testid="stApp"]');
                 return a && a.dataset.testConnectionState === 'CONNECTED'
                          && a.dataset.testScriptState === 'notRunning'
                          && a.querySelector('[data-testid="stMain"] [data-testid="stElementContainer"]')
                          && !a.querySelector('[data-testid="stMain"] [data-stale="true"]')
                          && !a.querySelector('[data-testid="stSkeleton"]'); }""",
            timeout=timeout)
        # Elements of the last run replace the stale ones in the next frame.
        self.page.wait_for_timeout(300)

    def exceptions(self) -> list[str]:
        return [t.strip() for t in
                self.page.locator('[data-testid="stException"]').all_inner_texts()]

    def assert_no_exception(self):
        boxes = self.exceptions()
        assert not boxes, "Streamlit exception box on the page:\n" + "\n---\n".join(boxes)

    def set_viewport(self, size: dict):
        self.page.set_viewport_size(size)
        self.page.wait_for_timeout(400)       # let Plotly and the layout settle

    def horizontal_overflow(self) -> list[str]:
        """Scroll containers that scroll sideways, and what sticks out of them."""
        return self.page.evaluate(
            """() => {
              const out = [];
              const boxes = [document.scrollingElement,
                ...document.querySelectorAll('[data-testid="stAppViewContainer"],'
                  + '[data-testid="stMain"],[data-testid="stMainBlockContainer"]')];
              for (const el of boxes) {
                if (el && el.scrollWidth > el.clientWidth + 1) {
                  out.push(`${el.dataset.testid || el.tagName}: scrollWidth ${el.scrollWidth}`
                           + ` > clientWidth ${el.clientWidth}`);
                }
              }
              if (out.length) {
                const vw = document.documentElement.clientWidth;
                for (const el of document.querySelectorAll('[data-testid]')) {
                  const r = el.getBoundingClientRect();
                  if (r.width && r.right > vw + 1 && out.length < 12)
                    out.push(`  sticks out: ${el.dataset.testid} right=${Math.round(r.right)}`);
                }
              }
              return out;
            }""")

    def screenshot(self, name: str, size_name: str) -> list[Path]:
        """What the room sees first (the viewport), and the whole page below it."""
        size = SIZES[size_name]
        self.set_viewport(size)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        first = SCREENSHOTS / f"{name}-{size_name}-{size['width']}x{size['height']}.png"
        self.page.screenshot(path=str(first))
        height = self.page.evaluate(
            """() => { const m = document.querySelector('[data-testid="stMain"]');
                 return Math.max(m ? m.scrollHeight : 0, document.documentElement.scrollHeight); }""")
        full = SCREENSHOTS / f"{name}-{size_name}-full.png"
        self.set_viewport({"width": size["width"], "height": min(max(height, size["height"]), 12000)})
        self.page.screenshot(path=str(full))
        self.set_viewport(size)
        return [first, full]

    # -- widgets and training -------------------------------------------------
    def number_widget(self, label: str):
        """The sidebar slider or number input whose label is exactly `label`."""
        exact = re.compile(rf"^\s*{re.escape(label)}\s*$")
        return self.page.locator('[data-testid="stSidebar"]').locator(
            '[data-testid="stSlider"], [data-testid="stNumberInput"]').filter(
            has=self.page.locator('[data-testid="stWidgetLabel"]', has_text=exact)).first

    def set_number(self, label: str, value: int):
        """Set an integer slider or number input by its label, and wait until the app
        has run with the new value (a slider commits its value a moment after the
        last key, so the wait is for a script run that ends after that key)."""
        box = self.number_widget(label)
        box.wait_for(state="visible")
        box.scroll_into_view_if_needed()
        if float(box.locator("input").first.evaluate("el => el.value")) == value:
            return
        if box.get_attribute("data-testid") == "stNumberInput":
            field = box.locator("input")
            # counted from before the fill: a number input may commit a filled value
            # by itself (on a slow machine before the Enter), and the Enter then
            # starts no run of its own to wait for
            self._count_runs()
            field.fill(str(value))
            field.press("Enter")
        else:
            # Click the track near the value, then step there with the arrow keys.
            thumb = box.locator('input[type="range"]')
            lo, hi = float(thumb.get_attribute("min")), float(thumb.get_attribute("max"))
            step = float(thumb.get_attribute("step") or 1)
            self.page.wait_for_timeout(200)
            track = box.locator('[role="group"] > div').first.bounding_box()
            self.page.mouse.click(track["x"] + track["width"] * (value - lo) / (hi - lo),
                                  track["y"] + track["height"] / 2)
            self.page.wait_for_timeout(200)
            thumb.focus()
            now = float(thumb.evaluate("el => el.value"))
            steps = round((value - now) / step)
            keys = ["ArrowRight" if steps > 0 else "ArrowLeft"] * abs(steps)
            if not keys:        # the click hit it: a step back and forth commits it
                keys = ["ArrowLeft", "ArrowRight"] if value > lo else ["ArrowRight", "ArrowLeft"]
            for key in keys[:-1]:
                thumb.press(key)
            self.wait_idle()
            self._count_runs()
            thumb.press(keys[-1])
            box.locator('[data-testid="stSliderThumbValue"]').filter(
                has_text=re.compile(rf"^\s*{value}\s*$")).wait_for()
        self._wait_for_a_run(box, label)
        self.wait_idle()
        shown = box.locator('input').first.evaluate("el => el.value")
        assert float(shown) == value, f"{label} shows {shown} after setting it to {value}"

    def _wait_for_a_run(self, box, label: str) -> None:
        """Wait for a script run that ended after the change. Twice in fresh-clone
        runs (a new tab on multi_io, its Epochs input filled, Enter pressed) no run
        came in 90 s, and the cause is not known: then the state of the page goes to
        artifacts/ (a picture and the app's state), Enter is pressed once more, and
        the caller's own checks decide whether the value took."""
        from playwright.sync_api import TimeoutError as PlaywrightTimeout
        try:
            self.page.wait_for_function("() => window.__mbRunsDone > 0", timeout=20_000)
            return
        except PlaywrightTimeout:
            pass
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        stem = SCREENSHOTS / f"no-run-after-{re.sub(r'[^a-z0-9]+', '-', label.lower())}"
        self.page.screenshot(path=f"{stem}.png")
        state = self.page.evaluate("""() => { const a = document.querySelector('[data-testid="stApp"]');
            return a ? {script: a.dataset.testScriptState, connection: a.dataset.testConnectionState,
                        url: location.href} : null; }""")
        stem.with_suffix(".txt").write_text(f"{state}\n")
        self._count_runs()
        box.locator("input").first.press("Enter")
        try:
            self.page.wait_for_function("() => window.__mbRunsDone > 0", timeout=20_000)
        except PlaywrightTimeout:
            pass          # the run may have come unseen: the shown value and the caller decide

    def _count_runs(self):
        """From now on, count script runs that end (for set_number's wait)."""
        self.page.evaluate("""() => {
          const app = document.querySelector('[data-testid="stApp"]');
          if (window.__mbRunObserver) window.__mbRunObserver.disconnect();
          window.__mbRunsDone = 0;
          window.__mbRunObserver = new MutationObserver(records => {
            for (const r of records) if (r.oldValue === 'running') window.__mbRunsDone++;
          });
          window.__mbRunObserver.observe(app, {attributes: true, attributeOldValue: true,
                                               attributeFilter: ['data-test-script-state']});
        }""")

    def start_sampling(self, every_ms: int = 50):
        """Record, in the page, the loss chart's point count and the progress line over time."""
        self.page.evaluate(SAMPLER_JS, every_ms)

    def stop_sampling(self) -> list[dict]:
        return self.page.evaluate(
            "() => { clearInterval(window.__mbTimer); return window.__mbSamples || []; }")

    def plotly_points(self) -> int:
        return self.page.evaluate(f"() => ({POINTS_JS})()")


# The Plotly charts in the main area, as {box, gd, frame}: Streamlit's own charts,
# and a training panel's charts, which live together in one custom component's
# iframe (same origin; mbcore/ui/chart_panel.py) so that they are updated, not
# mounted anew. `gd` is the Plotly div with the figure; `box` is what takes the
# room on the page, with getBoundingClientRect in the page's coordinates (for a
# chart in the frame: one object per chart, kept on its div, so a test can tell
# a chart kept from one made anew); `frame` the page element that holds it.
PLOTS_JS = """() => {
  const main = document.querySelector('[data-testid="stMain"]');
  if (!main) return [];
  const own = [...main.querySelectorAll('[data-testid="stPlotlyChart"]')]
    .map(box => ({box, frame: box, gd: box.querySelector('.js-plotly-plot')}));
  const inFrame = (frame, gd) => {
    if (!gd.__mbBox) gd.__mbBox = {getBoundingClientRect: () => {
      const f = frame.getBoundingClientRect(), r = gd.getBoundingClientRect();
      return {top: f.top + r.top, bottom: f.top + r.bottom, left: f.left + r.left,
              right: f.left + r.right, width: r.width,
              height: f.height > 0 ? Math.min(r.height, f.height) : 0};
    }};
    return {box: gd.__mbBox, frame, gd};
  };
  const live = [...main.querySelectorAll('iframe')].flatMap(frame => {
    let gds = [];
    try { gds = [...frame.contentDocument.querySelectorAll('.js-plotly-plot')]; } catch (e) {}
    return gds.map(gd => inFrame(frame, gd));
  });
  return own.concat(live);
}"""
# A figure's title (Streamlit wraps it in <b>; the live chart does not).
TITLE_JS = """(gd) => ((gd && gd.layout && gd.layout.title) || {}).text || ''"""
# Points on the training-loss chart (titled "Loss ..."): its longest line, one
# point per epoch. Other plots on a page (data, fits) are left out.
POINTS_JS = """() => { const title = """ + TITLE_JS + """;
  return Math.max(0, ...(""" + PLOTS_JS + """)().map(p => p.gd)
    .filter(gd => gd && /^(<[^>]*>)*Loss\\b/.test(title(gd)))
    .flatMap(gd => (gd.data || []).map(tr => ((tr.x || tr.y || []).length || 0)))); }"""
# Every `every` ms: the loss chart's points, the progress line, and which element
# holds the loss chart (a number given to it when first seen), so a test can tell
# a chart updated in place from one mounted anew on each redraw.
SAMPLER_JS = """(every) => {
  const points = """ + POINTS_JS + """;
  const title = """ + TITLE_JS + """;
  const lossBox = () => (""" + PLOTS_JS + """)()
    .find(p => p.gd && /^(<[^>]*>)*Loss\\b/.test(title(p.gd)));
  window.__mbSamples = [];
  window.__mbBoxes = window.__mbBoxes || 0;
  const t0 = performance.now();
  clearInterval(window.__mbTimer);
  window.__mbTimer = setInterval(() => {
    const bar = document.querySelector('[data-testid="stMain"] [data-testid="stProgress"]');
    const loss = lossBox();
    if (loss && !loss.box.__mbId) loss.box.__mbId = ++window.__mbBoxes;
    window.__mbSamples.push({t: Math.round(performance.now() - t0), points: points(),
                             progress: bar ? bar.innerText.trim() : "",
                             chart: loss ? loss.box.__mbId : null});
  }, every);
}"""


def number(text: str) -> int:
    """'50,890' -> 50890."""
    return int(re.sub(r"[,\s\u202f\u00a0]", "", text))
