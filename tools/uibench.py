"""How live the app feels in a real browser: `python -m mbcore uibench [--json]`.

Starts the app as `make run` does (`streamlit run app.py`, the repository's
.streamlit/config.toml, so the file watcher is as a lecturer has it) on a free
port in its own process group, drives Debian's Chromium with Playwright
through each lesson's default training, and prints per lesson the medians over
--repeats tries of:

  draw        opening the page through the sidebar until the script is idle (s)
  first       Train -> first point on the loss chart (s)
  upd/s       chart updates per second that added points, while it trained
  states      distinct partial curves shown (0 < points < final)
  empty       share of chart redraws that added no point (lower is better)
  done        Train -> the final metrics are on the page (s)
  stop        Stop -> the page says "stopped" (s), and epochs trained after the click
  param       slider move -> the parameter count changed (s)

A measurement, not a test: figures depend on the machine and its load, which
is printed with them. Every process it starts ends with it (killpg).
"""
from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from browser.stbrowser import (CHROMIUM, CHROMIUM_ARGS, LAPTOP, StPage,  # noqa: E402
                               free_port, stop_server, wait_healthy)

from mbcore.lessons import ALL_LESSONS  # noqa: E402

EPOCH_RE = re.compile(r"Epoch (\d+)/(\d+)")
# the architecture slider moved for "param": (lesson, slider label); others skip it
SLIDERS = {"two_branches": "Left branch width", "multi_io": "x branch: layers"}


def start_app(port: int, home: str, log):
    """`streamlit run app.py` as `make run` starts it (its config file decides the
    rest), on `port`, in its own process group."""
    import subprocess
    env = {k: v for k, v in os.environ.items() if not k.startswith("STREAMLIT_")}
    env["HOME"] = home
    cmd = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
           "--server.address", "127.0.0.1"]
    return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)


def _train_button(page):
    return page.get_by_role("button", name=re.compile(r"Train$")).first


def _finished(page) -> bool:
    return page.locator('[data-testid="stMetric"]').filter(
        has=page.locator('[data-testid="stMetricLabel"]', has_text="wall time")).count() > 0


def one_training(tab, timeout: float = 300.0) -> dict:
    """Press Train, sample the loss chart every 25 ms until the final metrics show."""
    page = tab.page
    tab.start_sampling(25)
    t0 = time.monotonic()
    _train_button(page).click()
    while not _finished(page) and time.monotonic() - t0 < timeout:
        page.wait_for_timeout(100)
    done = time.monotonic() - t0
    samples = tab.stop_sampling()
    final = tab.plotly_points()
    changes = []                      # (ms, points) each time the count changed
    for s in samples:
        if not changes or s["points"] != changes[-1][1]:
            changes.append((s["t"], s["points"]))
    grown = [(t, p) for t, p in changes if p > 0]
    first = grown[0][0] / 1000 if grown else None
    partial = sorted({p for _, p in grown if p < final})
    span = (grown[-1][0] - grown[0][0]) / 1000 if len(grown) > 1 else 0.0
    redraws = _redraws(samples)
    return {"first": first, "done": round(done, 2), "states": len(partial),
            "upd/s": round((len(grown) - 1) / span, 2) if span > 0 else 0.0,
            "empty": round(1 - len(grown) / redraws, 2) if redraws else None,
            "final": final, "finished": _finished(page)}


def _redraws(samples) -> int:
    """Chart redraws seen: the progress line changed or the point count did."""
    seen, last = 0, None
    for s in samples:
        key = (s["points"], s["progress"])
        if key != last and s["points"] > 0:
            seen += 1
        last = key
    return seen


def one_stop(tab, timeout: float = 120.0) -> dict | None:
    """Train, Stop once two epochs are on the chart; time until the page says stopped."""
    page = tab.page
    _train_button(page).click()
    t0 = time.monotonic()
    while tab.plotly_points() < 2:
        if time.monotonic() - t0 > timeout or _finished(page):
            return None
        page.wait_for_timeout(50)
    bar = page.locator('[data-testid="stMain"] [data-testid="stProgress"]').first
    at_click = int((EPOCH_RE.search(bar.inner_text()) or [0, 0])[1])
    t1 = time.monotonic()
    try:
        page.get_by_role("button", name=re.compile(r"Stop$")).first.click(timeout=2000)
    except Exception:            # it finished first: nothing to stop
        return None
    while time.monotonic() - t1 < timeout:
        text = bar.inner_text()
        if "stopped" in text or "done" in text:
            last = int((EPOCH_RE.search(text) or [0, 0])[1])
            return {"stop": round(time.monotonic() - t1, 2), "after": last - at_click}
        page.wait_for_timeout(25)
    return None


def one_slider(tab, label: str) -> float | None:
    """Move an architecture slider one step with the keyboard; seconds until the
    page's parameter count changes."""
    page = tab.page
    metric = page.locator('[data-testid="stMetric"]').filter(
        has=page.locator('[data-testid="stMetricLabel"]', has_text="Parameters")).first
    before = metric.locator('[data-testid="stMetricValue"]').inner_text()
    thumb = tab.number_widget(label).locator('input[type="range"], input').first
    if thumb.count() == 0:
        return None
    thumb.focus()
    t0 = time.monotonic()
    thumb.press("ArrowRight")
    while time.monotonic() - t0 < 30:
        if metric.locator('[data-testid="stMetricValue"]').inner_text() != before:
            return round(time.monotonic() - t0, 2)
        page.wait_for_timeout(25)
    return None


_seeds = iter(range(1000, 10**6))


def new_seed(tab) -> None:
    """Identical trainings are shared (a finished one is shown at once): every
    measured training gets a random seed of its own."""
    tab.set_number("Random seed", next(_seeds))


def bench_lesson(tab, lesson_id: str, repeats: int) -> dict:
    draws, runs, stops, sliders = [], [], [], []
    for _ in range(repeats):
        tab.open_page("")
        t0 = time.monotonic()
        tab.open_page(lesson_id)
        draws.append(time.monotonic() - t0)
        new_seed(tab)
        runs.append(one_training(tab))
        tab.wait_idle()
        new_seed(tab)
        stop = one_stop(tab)
        if stop:
            stops.append(stop)
        tab.wait_idle()
        if lesson_id in SLIDERS:
            moved = one_slider(tab, SLIDERS[lesson_id])
            if moved is not None:
                sliders.append(moved)
    med = lambda xs: round(statistics.median(xs), 2) if xs else None  # noqa: E731
    return {"lesson": lesson_id, "draw": med(draws),
            "first": med([r["first"] for r in runs if r["first"] is not None]),
            "upd/s": med([r["upd/s"] for r in runs]), "states": med([r["states"] for r in runs]),
            "empty": med([r["empty"] for r in runs if r["empty"] is not None]),
            "done": med([r["done"] for r in runs]),
            "stop": med([s["stop"] for s in stops]), "after stop": med([s["after"] for s in stops]),
            "param": med(sliders), "finished": all(r["finished"] for r in runs)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--lessons", default=",".join(ALL_LESSONS),
                        help="comma-separated lesson ids (default: all)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    lessons = [x for x in args.lessons.split(",") if x]
    unknown = [x for x in lessons if x not in ALL_LESSONS]
    if unknown or args.repeats < 1:
        print(f"uibench: unknown lesson {unknown[0]!r}" if unknown else
              "uibench: --repeats must be at least 1", file=sys.stderr)
        return 2
    if not Path(CHROMIUM).exists():
        print(f"uibench: no Chromium at {CHROMIUM}", file=sys.stderr)
        return 2
    from playwright.sync_api import sync_playwright
    rows, port = [], free_port()
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory(prefix="mb-uibench-") as home, \
            open(Path(home) / "server.log", "w") as log:
        proc = start_app(port, home, log)
        try:
            started = wait_healthy(url, proc, 180)
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                page = browser.new_context(viewport=LAPTOP).new_page()
                tab = StPage(page, url).goto("")
                tab.preload_plotly()      # a tab that has drawn a chart before
                for lesson_id in lessons:
                    rows.append(bench_lesson(tab, lesson_id, args.repeats))
                    if not args.json:
                        print(" ".join(f"{k}={v}" for k, v in rows[-1].items()), file=sys.stderr)
                browser.close()
        finally:
            stop_server(proc)
    report = {"load": os.getloadavg()[0], "server_healthy_s": round(started, 1),
              "repeats": args.repeats, "lessons": rows}
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        keys = list(rows[0])
        print(f"load {report['load']:.1f}, medians of {args.repeats}; seconds unless named")
        print(" | ".join(keys))
        for r in rows:
            print(" | ".join(str(r[k]) for k in keys))
    return 0


if __name__ == "__main__":
    sys.exit(main())
