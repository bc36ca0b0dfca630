"""Screenshots of every lesson's lecture screen: `python -m mbcore screenshots`.

Starts the app (as the browser tests do: under a watchdog, in its own process
group, in a throw-away home), opens each lesson in Debian's Chromium, presses
Train and, once the loss curve has its first points, brings the Train row to
the top of the screen and saves what the room sees:

  <lesson>-laptop-1280x800.png       mid-training, 1280 x 800
  <lesson>-projector-1920x1080.png   mid-training, 1920 x 1080
  <lesson>-presenter-1920x1080.png   mid-training, presenter=true, 1920 x 1080
  <lesson>-top-<size>.png            the page as it opens (title, diagram)
  <lesson>-compare-laptop-1280x800.png   with --compare: the lesson's comparison
                                     (e.g. the merge-mode shoot-out) once it is done

under artifacts/screenshots/lecture/ (or --out). The server paces a training's
first ten progress reports 0.5 s apart (MBCORE_PACE_SECONDS; 0.2 s in class), so
that even an 8-epoch training is still running in its picture. Each training gets a seed of
its own (in the URL), so no finished result is reused and the curve is caught
while it grows. A picture-taking tool, not a test: it asserts nothing.
"""
from __future__ import annotations

import argparse
import itertools
import os
import random
import re
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from browser.stbrowser import (CHROMIUM, CHROMIUM_ARGS, LAPTOP, PLOTS_JS, POINTS_JS,  # noqa: E402
                               PROJECTOR, SCREENSHOTS, StPage, free_port, start_server, stop_server, wait_healthy)

from mbcore.lessons import ALL_LESSONS  # noqa: E402

# (file name part, viewport, extra query): the three screens of a lecture
SCREENS = (("laptop", LAPTOP, ""), ("projector", PROJECTOR, ""),
           ("presenter", PROJECTOR, "&presenter=true"))
_seeds = itertools.count(random.randrange(10_000, 10**6))   # new ones every run: none
# is shared with a finished training of an earlier run (the store keeps results)
# the comparison button of a lesson's page (ui.compare_panel's label)
COMPARE = {"merge_modes": "Shoot-out", "depth_residual": "Plain vs residual",
           "multimodal": "Ablation", "aux_output": "Compare auxiliary weights"}

FIRST_POINTS_JS = "() => (" + POINTS_JS + ")() > 0"
PACE_SECONDS = "0.5"       # the server's MBCORE_PACE_SECONDS: every training is caught mid-way


def _train_button(page):
    return page.get_by_role("button", name=re.compile(r"Train$")).first


# the loss chart and a fit (or metrics) chart are drawn and not faded (a chart
# being replaced leaves an empty, zero-height copy for a moment)
DRAWN_JS = """() => { const plots = (""" + PLOTS_JS + """)();
  const opacity = el => { let o = 1; for (; el; el = el.parentElement)
                             o *= parseFloat(getComputedStyle(el).opacity); return o; };
  const shown = plots.filter(p => p.box.getBoundingClientRect().height > 0);
  return shown.length >= 2 && shown.every(p => p.gd && p.gd.querySelector('.main-svg')
                                               && opacity(p.frame) > 0.9); }"""
DIAGRAM_JS = """() => {
  const svg = document.querySelector('[data-testid="stGraphVizChart"] svg');
  if (!svg) return null;
  const sizes = [...svg.querySelectorAll('g.node text')].map(t =>
      parseFloat(t.getAttribute('font-size') || 14) * t.getScreenCTM().a);
  const r = svg.getBoundingClientRect();
  return {min_text_px: Math.min(...sizes), width: Math.round(r.width),
          height: Math.round(r.height)};
}"""


def diagram_text(page) -> dict | None:
    """The diagram's smallest node text on screen (px) and its box."""
    found = page.evaluate(DIAGRAM_JS)
    if found:
        found["min_text_px"] = round(found["min_text_px"], 1)
    return found


def shoot(tab: StPage, lesson_id: str, out: Path, log=print) -> list[Path]:
    """The page as it opens, and mid-training, on each of the three screens."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    page, saved = tab.page, []
    for name, size, extra in SCREENS:
        tab.set_viewport(size)
        tab.goto(f"{lesson_id}?seed={next(_seeds)}{extra}")
        top = out / f"{lesson_id}-top-{name}-{size['width']}x{size['height']}.png"
        page.wait_for_timeout(500)
        page.screenshot(path=str(top))
        log(f"  {name}: diagram {diagram_text(page)}")
        train = _train_button(page)
        train.scroll_into_view_if_needed()
        train.click()
        try:
            page.wait_for_function(FIRST_POINTS_JS, timeout=180_000)
        except PlaywrightTimeout:
            log(f"  {lesson_id} {name}: no curve after 180 s")
        page.wait_for_timeout(700)
        train.evaluate("b => { b.style.scrollMarginTop = '64px'; "
                       "b.scrollIntoView({block: 'start'}); }")
        page.mouse.move(0, size["height"] - 1)   # off the charts: no toolbar shown on hover
        page.wait_for_timeout(600)
        shot = out / f"{lesson_id}-{name}-{size['width']}x{size['height']}.png"
        for _ in range(8):   # a chart being redrawn is briefly empty or faded: catch
            try:             # it drawn before and after the picture
                page.wait_for_function(DRAWN_JS, timeout=10_000, polling=50)
            except PlaywrightTimeout:
                pass
            page.screenshot(path=str(shot))
            if page.evaluate(DRAWN_JS):
                break
        else:
            log(f"  {lesson_id} {name}: charts not all drawn in the picture")
        saved += [top, shot]
        log(f"  {shot.relative_to(ROOT) if shot.is_relative_to(ROOT) else shot}")
        try:        # the next screen trains again: leave nothing running
            page.get_by_role("button", name=re.compile(r"Stop$")).first.click(timeout=2000)
            tab.wait_idle()
        except PlaywrightTimeout:
            pass
    return saved


def shoot_compare(tab: StPage, lesson_id: str, out: Path, timeout_s: int = 600) -> Path | None:
    """Press the lesson's comparison button at 1280 x 800; once every run is done,
    save the screen with the overlaid curves at its top."""
    if lesson_id not in COMPARE:
        return None
    page = tab.page
    tab.set_viewport(LAPTOP)
    tab.goto(f"{lesson_id}?seed={next(_seeds)}")
    button = page.get_by_role("button", name=re.compile(re.escape(COMPARE[lesson_id]) + "$"))
    button.first.scroll_into_view_if_needed()
    button.first.click()
    page.wait_for_function(
        """() => [...document.querySelectorAll('[data-testid="stMain"] [data-testid="stProgress"]')]
             .some(p => /over \\d+ runs/.test(p.innerText) && !/running|queued/.test(p.innerText))""",
        timeout=timeout_s * 1000)
    tab.wait_idle()
    chart = page.locator('[data-testid="stMain"] [data-testid="stProgress"]').filter(
        has_text=re.compile(r"over \d+ runs")).first
    chart.evaluate("b => { b.style.scrollMarginTop = '64px'; b.scrollIntoView({block: 'start'}); }")
    page.wait_for_timeout(600)
    shot = out / f"{lesson_id}-compare-laptop-1280x800.png"
    page.screenshot(path=str(shot))
    return shot


def _wait_group_gone(pgid: int, timeout: float = 15.0) -> None:
    """Wait until no process of the server's group is left."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.2)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lessons", default=",".join(ALL_LESSONS),
                        help="comma-separated lesson ids (default: all)")
    parser.add_argument("--out", default=str(SCREENSHOTS / "lecture"))
    parser.add_argument("--compare", action="store_true",
                        help="also run each lesson's comparison (slow: many trainings)")
    parser.add_argument("--skip-training", action="store_true",
                        help="only the comparisons (with --compare)")
    args = parser.parse_args(argv)
    lessons = [x for x in args.lessons.split(",") if x]
    unknown = [x for x in lessons if x not in ALL_LESSONS]
    if unknown:
        print(f"screenshots: unknown lesson {unknown[0]!r}", file=sys.stderr)
        return 2
    if not Path(CHROMIUM).exists():
        print(f"screenshots: no Chromium at {CHROMIUM}", file=sys.stderr)
        return 2
    from playwright.sync_api import sync_playwright
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory(prefix="mb-shots-") as home, \
            open(Path(home) / "server.log", "w") as log:
        # reports paced at 0.5 s (the first ten): aux_output's 8 epochs end in about
        # 2 s, before the picture, which comes a second or so after the first point
        proc = start_server(port, home, log, MBCORE_PACE_SECONDS=PACE_SECONDS)
        try:
            wait_healthy(url, proc, 180)
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                page = browser.new_context(viewport=LAPTOP, device_scale_factor=1).new_page()
                tab = StPage(page, url).goto("")
                tab.preload_plotly()
                for lesson_id in lessons:
                    print(lesson_id, file=sys.stderr)
                    if not args.skip_training:
                        shoot(tab, lesson_id, out, log=lambda m: print(m, file=sys.stderr))
                    if args.compare and lesson_id in COMPARE:
                        print(f"  {shoot_compare(tab, lesson_id, out)}", file=sys.stderr)
                browser.close()
        finally:
            stop_server(proc)
            _wait_group_gone(proc.pid)   # a worker still ending writes ~/.keras in `home`
    print(f"screenshots in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
