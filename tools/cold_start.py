"""Cold start, measured as a visitor meets it: `streamlit run app.py` to first page drawn.

    python tests/cold_start.py [--page two_branches] [--runs 1] [--drop-caches]

Starts the app on a free localhost port (clean environment, as the browser tests
do), opens it in headless Chromium and reports, in seconds from the start of
`streamlit run`:
  healthy     /_stcore/health answers "ok"
  landing     the landing page has run to its end and its title is drawn
  lesson      a lesson page has run to its end and its diagram is drawn (SVG)
  server_mb   the server's resident memory (MB) then (and whether it loaded TensorFlow)
Then, in a fresh spawned process as a training worker starts:
  tf_import   `import tensorflow` (+ keras)
  first_model building and compiling the lesson's Keras model
  worker_mb   the worker's peak resident memory (MB) by then
--drop-caches (root) empties the OS file cache first, for a truly cold disk.
Needs /usr/bin/chromium and the `playwright` package (requirements-dev.txt).
"""
from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.browser.stbrowser import (CHROMIUM, CHROMIUM_ARGS, LAPTOP, StPage,  # noqa: E402
                                     free_port, start_server, stop_server, wait_healthy)


def _streamlit_process(pid: int):
    """The Streamlit server itself: `pid` is the watchdog the server runs under
    (start_server), whose own few MB were reported as the server's before."""
    import psutil
    top = psutil.Process(pid)
    return next((p for p in top.children(recursive=True)
                 if p.cmdline()[1:3] == ["-m", "streamlit"]), top)


def drop_caches() -> bool:
    try:
        subprocess.run(["sync"], check=True)
        Path("/proc/sys/vm/drop_caches").write_text("3\n")
        return True
    except OSError:
        return False


def _worker_timings(lesson_id: str, out) -> None:
    import os
    from loadtest import own_peak_rss_mb
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    t0 = time.perf_counter()
    import keras  # noqa: F401
    import tensorflow  # noqa: F401
    t1 = time.perf_counter()
    from mbcore.lessons import Experiment, get_lesson
    from mbcore.network.builder import build_model
    exp = Experiment.of(get_lesson(lesson_id).settings_cls())
    model = build_model(exp.graph, exp.recipe.seed, exp.id)
    model.compile(optimizer="adam", loss="mse")
    out.put({"tf_import": t1 - t0, "first_model": time.perf_counter() - t1,
             "worker_mb": own_peak_rss_mb()})


def worker_timings(lesson_id: str) -> dict:
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    p = ctx.Process(target=_worker_timings, args=(lesson_id, q))
    p.start()
    result = q.get(timeout=600)
    p.join()
    return result


def measure(lesson_id: str) -> dict:
    from playwright.sync_api import sync_playwright
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory(prefix="mb-home-") as home, \
            tempfile.TemporaryFile("w+") as log, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        t0 = time.perf_counter()
        proc = start_server(port, home, log)
        try:
            wait_healthy(url, proc, 300)
            healthy = time.perf_counter() - t0
            page = StPage(browser.new_page(viewport=LAPTOP), url)
            page.goto("", timeout=300_000)
            page.page.get_by_role("heading", name="Multi-branch neural networks").wait_for()
            landing = time.perf_counter() - t0
            page.goto(lesson_id, timeout=300_000)
            page.page.locator('[data-testid="stGraphVizChart"] svg').first.wait_for()
            lesson = time.perf_counter() - t0
            server = _streamlit_process(proc.pid)
            server_mb = server.memory_info().rss / 2**20
            server_tf = "tensorflow" in Path(f"/proc/{server.pid}/maps").read_text()
        finally:
            stop_server(proc)
            browser.close()
    return {"healthy": healthy, "landing": landing, "lesson": lesson, "server_mb": server_mb,
            "server_imports_tf": server_tf}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--page", default="two_branches", help="lesson page to time (default %(default)s)")
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--drop-caches", action="store_true")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    rows = []
    for _ in range(args.runs):
        dropped = drop_caches() if args.drop_caches else False
        row = {"caches_dropped": dropped, **measure(args.page)}
        if args.drop_caches:
            drop_caches()
        row.update(worker_timings(args.page))
        rows.append(row)
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        for i, r in enumerate(rows, 1):
            print(f"run {i} ({'cold disk' if r['caches_dropped'] else 'warm disk'}): "
                  f"healthy {r['healthy']:.1f} s, landing page drawn {r['landing']:.1f} s, "
                  f"{args.page} page drawn {r['lesson']:.1f} s, server {r['server_mb']:.0f} MB"
                  f"{' with TensorFlow' if r['server_imports_tf'] else ' without TensorFlow'}; worker: import tensorflow "
                  f"{r['tf_import']:.1f} s, first model {r['first_model']:.1f} s, "
                  f"{r['worker_mb']:.0f} MB resident")
    return 0


if __name__ == "__main__":
    sys.exit(main())
