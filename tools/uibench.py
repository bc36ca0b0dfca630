"""How live the app feels in a real browser: `python -m mbcore uibench [--json]`.

Starts the app as `make run` does (`streamlit run app.py`, the repository's
.streamlit/config.toml, so the file watcher is as a lecturer has it) on a free
port in its own process group, drives Debian's Chromium with Playwright
through each lesson's default training, and prints per lesson the medians over
--repeats tries of:

  draw        opening the page through the sidebar until the script is idle (s)
  first       Train -> first point of the new run on the loss chart (s), in a tab
              that has drawn charts before; "first fresh": in a new tab
  charts      Train -> every chart of the running training drawn (loss, metrics,
              the lesson's fit plots) (s)
  upd/s       chart updates per second that added points, while it trained
  states      distinct partial curves shown (0 < points < final)
  empty       share of loss-chart redraws that added no point (lower is better)
  done        Train -> the final metrics are on the page (s)
  stop        Stop (pressed at the run's first point) -> the page says "stopped" (s);
              "stop (driver)": the same from before Playwright's click call, which
              first scrolls to and measures the button (its own round trips);
              "after stop": epochs shown then minus epochs shown at the click;
              "stops": tries where the run was still going to be stopped
  param       move the lesson's first model slider one step -> the parameter
              count changed (s); "diagram": -> the diagram changed (s)

A click's time is when the browser received it (the pointerdown event's time
stamp, in the page's clock): what a student's click waits for from there is
the page's, what Playwright does before it (scroll, measure) is the driver's.

A measurement, not a test: figures depend on the machine and its load, which
is printed with them. Every process it starts ends with it (killpg).
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from browser.stbrowser import (CHROMIUM, CHROMIUM_ARGS, LAPTOP, PLOTS_JS, POINTS_JS, TITLE_JS,  # noqa: E402
                               StPage, free_port, stop_server, wait_healthy)

from mbcore.engine.services import start_group  # noqa: E402
from mbcore.lessons import ALL_LESSONS  # noqa: E402

EPOCH_RE = re.compile(r"Epoch (\d+)/(\d+)")
FINISHED_RE = re.compile(r"· (done|stopped|diverged|failed|cancelled)\b")
MODEL_GROUP = "model"        # the slider moved for "param": the lesson's first model control

# In the page, every 20 ms: the loss chart's point count, the progress line, and
# whether the chart was redrawn (Plotly replaces the figure's data array on each
# redraw), so redraws that brought no point are counted too.
SAMPLER_JS = """(every) => {
  const points = """ + POINTS_JS + """;
  const title = """ + TITLE_JS + """;
  const loss = () => (""" + PLOTS_JS + """)().map(p => p.gd)
    .find(gd => gd && /^(<[^>]*>)*Loss\\b/.test(title(gd)));
  window.__mbSamples = [];
  let last = null;
  const t0 = performance.now();
  window.__mbPress = null;      // ms after t0 that the browser received the click
  document.addEventListener("pointerdown", e => { window.__mbPress = e.timeStamp - t0; },
                            {capture: true, once: true});
  clearInterval(window.__mbTimer);
  window.__mbTimer = setInterval(() => {
    const bar = document.querySelector('[data-testid="stMain"] [data-testid="stProgress"]');
    const gd = loss();
    const data = gd ? gd.data : null;
    const drawn = (""" + PLOTS_JS + """)().filter(p => p.gd && (p.gd.data || []).length).length;
    window.__mbSamples.push({t: Math.round(performance.now() - t0), points: points(),
                             progress: bar ? bar.innerText.trim() : "", drawn: drawn,
                             redrawn: data !== last && data !== null});
    last = data;
  }, every);
}"""

# After a key press on a model slider: ms until the parameter count and the
# diagram (the graphviz SVG) have changed, watched in the page every 10 ms.
CHANGE_JS = """() => {
  const metric = () => { const m = [...document.querySelectorAll('[data-testid="stMetric"]')]
      .find(e => ((e.querySelector('[data-testid="stMetricLabel"]') || {}).innerText || "")
                 .includes('Parameters'));
    return m ? m.querySelector('[data-testid="stMetricValue"]').innerText : ""; };
  const diagram = () => { const g = document.querySelector(
      '[data-testid="stMain"] [data-testid="stGraphVizChart"] svg');
    return g ? g.innerHTML.length + ":" + g.textContent : ""; };
  const before = [metric(), diagram()];
  const c = window.__mbChange = {t0: performance.now(), count: null, diagram: null, done: false};
  clearInterval(window.__mbChangeTimer);
  window.__mbChangeTimer = setInterval(() => {
    const now = performance.now() - c.t0;
    if (c.count === null && metric() !== before[0]) c.count = now;
    if (c.diagram === null && diagram() !== before[1]) c.diagram = now;
    if ((c.count !== null && c.diagram !== null) || now > 30000) {
      clearInterval(window.__mbChangeTimer); c.done = true; }
  }, 10);
}"""


def start_app(port: int, home: str):
    """`streamlit run app.py` as `make run` starts it (its config file decides the
    rest), on `port`, in its own process group under the project's watchdog: if
    uibench is killed (even by kill -9) the server and its training workers go
    with it. Its output goes to server.log in `home`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("STREAMLIT_")}
    env["HOME"] = home
    cmd = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
           "--server.address", "127.0.0.1"]
    return start_group(cmd, Path(home) / "server.log", env)


# Stop is clicked with force: while the live view redraws, Playwright's wait for a
# "stable" element timed out now and then (the click never happened: the run went on).


def _train_button(page):
    return page.get_by_role("button", name=re.compile(r"Train$")).first


def _finished(page) -> bool:
    return page.locator('[data-testid="stMetric"]').filter(
        has=page.locator('[data-testid="stMetricLabel"]', has_text="wall time")).count() > 0


def _progress(page) -> str:
    bar = page.locator('[data-testid="stMain"] [data-testid="stProgress"]')
    return bar.first.inner_text() if bar.count() else ""


def _is_new_run(text: str, before: str) -> bool:
    """The progress line belongs to the run just started: changed since the click
    and not a finished run's line (the one before may stay until the redraw)."""
    return bool(text) and text != before and not FINISHED_RE.search(text)


def one_training(tab, timeout: float = 300.0) -> dict:
    """Press Train, sample the page every 20 ms until the final metrics show.

    Only samples from the new run's first progress line on count: the chart of
    an earlier run stays on the page until the new one replaces it."""
    page = tab.page
    before = _progress(page)
    page.evaluate(SAMPLER_JS, 20)
    t0 = time.monotonic()
    _train_button(page).click()
    while time.monotonic() - t0 < timeout:
        page.wait_for_timeout(100)
        if _finished(page) and _progress(page) != before:
            break
    done = time.monotonic() - t0
    samples = page.evaluate(
        "() => { clearInterval(window.__mbTimer); return window.__mbSamples || []; }")
    press = page.evaluate("() => window.__mbPress") or 0.0
    # the final curve's points: the finished chart may still be mounting when the
    # metrics show (read 0 then), so the most any sample saw counts too
    final = max([tab.plotly_points(), *(s["points"] for s in samples)])
    # the new run: from its first progress line, and its chart from the first redraw
    start = next((i for i, s in enumerate(samples) if _is_new_run(s["progress"], before)),
                 len(samples))
    start = next((i for i in range(start, len(samples)) if samples[i]["redrawn"]), len(samples))
    run = samples[start:]
    grew, last = [], 0                # (ms, points) each time the chart gained points
    for s in run:
        if s["points"] > last:
            grew.append((s["t"], s["points"]))
        last = s["points"]
    redraws = sum(1 for s in run if s["redrawn"])
    # every chart of the running training drawn (loss, metrics, the lesson's fits):
    # the first sample, after the first point, that shows as many as the run ever did
    live = [s for s in run if not FINISHED_RE.search(s["progress"])]
    most = max((s["drawn"] for s in live), default=0)
    all_drawn = next((s["t"] / 1000 for s in live if most and s["drawn"] == most), None)
    first = round((grew[0][0] - press) / 1000, 2) if grew else None
    partial = sorted({p for _, p in grew if p < final})
    span = (grew[-1][0] - grew[0][0]) / 1000 if len(grew) > 1 else 0.0
    return {"first": first, "charts": all_drawn, "done": round(done, 2), "states": len(partial),
            "upd/s": round((len(grew) - 1) / span, 2) if span > 0 else 0.0,
            "empty": round(1 - len(grew) / redraws, 2) if redraws else None,
            "final": final, "finished": _finished(page)}


def one_stop(tab, timeout: float = 120.0) -> dict | None:
    """Train; once the new run has a point on the chart, press Stop and time until
    the progress line says it stopped. None when it finished first."""
    page = tab.page
    before = _progress(page)
    _train_button(page).click()
    t0 = time.monotonic()
    # the new run's first epoch: its progress line (the chart may still hold the
    # last run's curve, and a Stop pressed before an epoch only cancels a start)
    while not (_is_new_run(_progress(page), before) and EPOCH_RE.search(_progress(page))):
        if time.monotonic() - t0 > timeout:
            return None
        page.wait_for_timeout(20)
    match = EPOCH_RE.search(_progress(page))
    at_click = int(match[1]) if match else 0
    page.evaluate(ENDED_JS, FINISHED_RE.pattern)
    t1 = time.monotonic()
    try:
        page.get_by_role("button", name=re.compile(r"Stop$")).first.click(timeout=2000, force=True)
    except Exception:            # it finished first: nothing to stop
        return None
    while time.monotonic() - t1 < timeout:
        ended = page.evaluate("() => window.__mbEnded")
        if ended["text"]:
            found = FINISHED_RE.search(ended["text"])
            if found[1] != "stopped" or ended["press"] is None:
                return None      # it ended on its own before the stop landed
            match = EPOCH_RE.search(ended["text"])
            return {"stop": round((ended["at"] - ended["press"]) / 1000, 2),
                    "stop (driver)": round(time.monotonic() - t1, 2),
                    "after": (int(match[1]) if match else 0) - at_click}
        page.wait_for_timeout(50)
    return None


# Before Stop is clicked: in the page, when the browser receives the click and when
# the progress line first says the run ended (every 10 ms), in the page's clock.
ENDED_JS = """(ended) => {
  const e = window.__mbEnded = {press: null, at: null, text: ""};
  document.addEventListener("pointerdown", ev => { e.press = ev.timeStamp; },
                            {capture: true, once: true});
  clearInterval(window.__mbEndTimer);
  window.__mbEndTimer = setInterval(() => {
    const bar = document.querySelector('[data-testid="stMain"] [data-testid="stProgress"]');
    const text = bar ? bar.innerText.trim() : "";
    if (new RegExp(ended).test(text)) {
      e.at = performance.now(); e.text = text; clearInterval(window.__mbEndTimer); }
  }, 10);
}"""


def model_slider(lesson_id: str) -> str | None:
    """The label of the lesson's first integer model control."""
    import dataclasses
    for f in dataclasses.fields(ALL_LESSONS[lesson_id].settings_cls):
        if f.metadata.get("group") == MODEL_GROUP and f.type in ("int", int):
            return f.metadata.get("label")
    return None


def one_slider(tab, label: str) -> dict | None:
    """Move a model control one step with the keyboard; seconds until the page's
    parameter count, and until its diagram, changed."""
    page = tab.page
    box = tab.number_widget(label)
    if box.count() == 0:
        return None
    box.scroll_into_view_if_needed()
    slider = box.get_attribute("data-testid") == "stSlider"
    field = box.locator('input[type="range"]' if slider else "input").first
    value, top = field.evaluate("el => [Number(el.value), Number(el.max || Infinity)]")
    key = ("ArrowLeft" if value >= top else "ArrowRight") if slider else "ArrowUp"
    field.focus()
    page.evaluate(CHANGE_JS)
    field.press(key)
    if not slider:
        field.press("Enter")
    page.wait_for_function("() => window.__mbChange.done", timeout=40_000)
    change = page.evaluate("() => window.__mbChange")
    secs = lambda ms: round(ms / 1000, 2) if ms is not None else None  # noqa: E731
    return {"count": secs(change["count"]), "diagram": secs(change["diagram"])}


def fresh_first(browser, url: str, lesson_id: str) -> float | None:
    """Train -> first point in a new tab that has drawn no chart yet."""
    context = browser.new_context(viewport=LAPTOP)
    try:
        tab = StPage(context.new_page(), url).goto(lesson_id)
        new_seed(tab)
        page, before = tab.page, _progress(tab.page)
        page.evaluate(SAMPLER_JS, 20)
        t0 = time.monotonic()
        _train_button(page).click()
        while time.monotonic() - t0 < 300:
            samples = page.evaluate("() => window.__mbSamples")
            seen = next((x for x in samples if _is_new_run(x["progress"], before)
                         and x["points"] >= 1), None)
            if seen is not None:
                press = page.evaluate("() => window.__mbPress") or 0.0
                page.evaluate("() => clearInterval(window.__mbTimer)")
                first = round((seen["t"] - press) / 1000, 2)
                try:
                    page.get_by_role("button", name=re.compile(r"Stop$")).first.click(
                        timeout=2000, force=True)
                except Exception:      # it finished first: nothing to stop
                    pass
                return first
            page.wait_for_timeout(20)
        return None
    finally:
        context.close()


_seeds = iter(range(1000, 10**6))


def new_seed(tab) -> None:
    """Identical trainings are shared (a finished one is shown at once): every
    measured training gets a random seed of its own."""
    tab.set_number("Random seed", next(_seeds))


def bench_lesson(tab, browser, url: str, lesson_id: str, repeats: int) -> dict:
    draws, runs, stops, sliders, fresh = [], [], [], [], []
    label = model_slider(lesson_id)
    def step(what: str) -> None:      # a long run says where it is
        print(f"  {time.strftime('%H:%M:%S')} {lesson_id}: {what}", file=sys.stderr, flush=True)

    for _ in range(repeats):
        step("open")
        tab.open_page("")
        t0 = time.monotonic()
        tab.open_page(lesson_id)
        draws.append(time.monotonic() - t0)
        new_seed(tab)
        step("train")
        runs.append(one_training(tab))
        tab.wait_idle()
        new_seed(tab)
        step("stop")
        stop = one_stop(tab)
        if stop:
            stops.append(stop)
        tab.wait_idle()
        step("slider")
        moved = one_slider(tab, label) if label else None
        if moved is not None:
            sliders.append(moved)
        tab.wait_idle()
        step("fresh tab")
        fresh.append(fresh_first(browser, url, lesson_id))
    med = lambda xs: round(statistics.median(xs), 2) if xs else None  # noqa: E731
    return {"lesson": lesson_id, "draw": med(draws),
            "first": med([r["first"] for r in runs if r["first"] is not None]),
            "first fresh": med([f for f in fresh if f is not None]),
            "charts": med([r["charts"] for r in runs if r["charts"] is not None]),
            "upd/s": med([r["upd/s"] for r in runs]), "states": med([r["states"] for r in runs]),
            "empty": med([r["empty"] for r in runs if r["empty"] is not None]),
            "done": med([r["done"] for r in runs]),
            "stop": med([s["stop"] for s in stops]),
            "stop (driver)": med([s["stop (driver)"] for s in stops]),
            "after stop": med([s["after"] for s in stops]),
            "stops": f"{len(stops)}/{repeats}",
            "param": med([s["count"] for s in sliders if s["count"] is not None]),
            "diagram": med([s["diagram"] for s in sliders if s["diagram"] is not None]),
            "slider": label, "finished": all(r["finished"] for r in runs),
            "load": round(os.getloadavg()[0], 1),      # the load drifts over a long run
            # each try's figures behind the medians of the targets, for --json
            "tries": {"first": [r["first"] for r in runs], "first fresh": fresh,
                      "stop": [s["stop"] for s in stops]}}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--lessons", default=",".join(ALL_LESSONS),
                        help="comma-separated lesson ids (default: all)")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--server-log", metavar="FILE",
                        help="keep the server's log there (its workers say when each "
                             "training and warm-up started, and how near retiring they were)")
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
    with tempfile.TemporaryDirectory(prefix="mb-uibench-") as home:
        proc = start_app(port, home)
        try:
            started = wait_healthy(url, proc, 180)
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                page = browser.new_context(viewport=LAPTOP).new_page()
                tab = StPage(page, url).goto("")
                tab.preload_plotly()      # a tab that has drawn a chart before
                for lesson_id in lessons:
                    try:
                        rows.append(bench_lesson(tab, browser, url, lesson_id, args.repeats))
                    except Exception as err:      # one lesson's timeout must not lose the rest
                        rows.append({"lesson": lesson_id,
                                     "error": f"{type(err).__name__}: {str(err)[:200]}"})
                        tab = StPage(browser.new_context(viewport=LAPTOP).new_page(), url).goto("")
                        tab.preload_plotly()
                    print(" ".join(f"{k}={v}" for k, v in rows[-1].items()), file=sys.stderr,
                          flush=True)     # as it goes (a run over all lessons takes long)
                browser.close()
        finally:
            stop_server(proc)
            if args.server_log:
                shutil.copyfile(Path(home) / "server.log", args.server_log)
    report = {"load": os.getloadavg()[0], "server_healthy_s": round(started, 1),
              "repeats": args.repeats, "lessons": rows}
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        keys = [k for k in next((r for r in rows if "error" not in r), rows[0]) if k != "tries"]
        print(f"load {report['load']:.1f}, medians of {args.repeats}; seconds unless named")
        print(" | ".join(keys))
        for r in rows:
            print(f"{r['lesson']} | {r['error']}" if "error" in r else
                  " | ".join(str(r.get(k, "")) for k in keys))
    return 0


if __name__ == "__main__":
    sys.exit(main())
