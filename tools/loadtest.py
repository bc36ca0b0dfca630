"""A class at once: K sessions of a lesson page press Train at the same moment.

Each session is a Streamlit AppTest of the real page, all in this process,
so they share one JobRunner exactly as the sessions of one server do. Sessions ask for D different settings (seeds), so with D=1 the
whole class should cause one training. Reports what the README's development
section promises; `python -m mbcore loadtest` runs this file.

    python tests/loadtest.py --sessions 20 --distinct 5 [--json]
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

PAGE = ROOT / "pages" / "multi_io.py"
SMALL = {"epochs": 20, "left_depth": 3, "right_depth": 3}


def _rss_mb(pids) -> float:
    import psutil
    total = 0
    for pid in pids:
        try:
            total += psutil.Process(pid).memory_info().rss
        except psutil.Error:
            pass
    return total / 2**20


def own_peak_rss_mb() -> float:
    """This process's own peak resident memory (VmHWM). Not ru_maxrss: Linux
    keeps the larger of the parent's and the child's across the exec that
    starts a subprocess, so a worker started by a 900 MB pytest read 900 MB."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource          # elsewhere: the best there is
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _descendants(groups) -> list[int]:
    import psutil
    pids = []
    for g in groups:
        try:
            pids += [c.pid for c in psutil.Process(g.pid).children(recursive=True)]
        except psutil.Error:
            pass
    return pids


class Sampler(threading.Thread):
    """Peak resident memory of this process (the 'server'), of its workers (the
    local pool's, or the Celery workers' processes), and of both at once."""

    def __init__(self, engine, groups=()):
        super().__init__(daemon=True)
        self.engine, self.groups = engine, groups
        self.peak = {"all": 0.0, "server": 0.0, "workers": 0.0}
        self.running = True

    def run(self):
        while self.running:
            pids = (self.engine.worker_pids() if hasattr(self.engine, "worker_pids")
                    else _descendants(self.groups))
            now = {"server": _rss_mb([os.getpid()]), "workers": _rss_mb(pids)}
            now["all"] = now["server"] + now["workers"]
            self.peak = {k: max(v, now[k]) for k, v in self.peak.items()}
            time.sleep(0.2)


class Student:
    """One session of the page: open it, set small sizes and a seed, press Train."""

    def __init__(self, number: int, distinct: int):
        from streamlit.testing.v1 import AppTest
        self.number, self.error, self.wait_s = number, None, None
        self.at = AppTest.from_file(str(PAGE), default_timeout=120)
        self.at.run()
        for key, value in {**SMALL, "seed": number % distinct}.items():
            self.at.get_by_key(key).set_value(value).run()
        self._check()

    def _check(self):
        if self.at.exception:
            raise RuntimeError(self.at.exception[0].value)
        if self.at.error:
            raise RuntimeError(self.at.error[0].value)

    def press_train(self):
        self.started = time.monotonic()
        self.at.button(key="multi_io/train_start").click().run()
        self._check()

    def poll(self) -> bool:
        """Rerun the page as its polling fragment would; True once the result shows."""
        self.at.run()
        self._check()
        if any(m.label == "wall time" for m in self.at.metric):
            self.wait_s = round(time.monotonic() - self.started, 2)
            return True
        return False


def _guarded(records, student, action) -> bool:
    try:
        return action()
    except Exception as err:  # counted, not raised: the report says how many failed
        records[student.number] = f"{type(err).__name__}: {err}"
        return True


def start_engine(engine: str, workers: int | None):
    """The engine the page sessions will use; for celery, a Redis and `workers`
    Celery workers of this machine in their own process groups."""
    from mbcore.engine import services
    groups = []
    os.environ["MBCORE_ENGINE"] = engine
    if engine == "celery":
        import tempfile
        folder = Path(tempfile.mkdtemp(prefix="mbcore-loadtest-"))
        redis_proc, url = services.start_redis(folder)
        groups = [redis_proc] + [services.start_worker(url, folder, f"w{i}")
                                 for i in range(workers or 1)]
        os.environ["MBCORE_REDIS_URL"] = url
    elif workers:
        os.environ["MBCORE_WORKERS"] = str(workers)
    from mbcore.engine.engine import shared_engine
    return shared_engine(), groups


def run(sessions: int, distinct: int, timeout: float = 600.0, engine: str = "local",
        workers: int | None = None) -> dict:
    """All sessions press Train together, then every page is polled in turn.

    AppTest is not thread-safe, so the page scripts run one after the other in
    this thread (a server runs them in parallel threads); the trainings they
    start do run concurrently, in the one shared pool, which is what is measured.
    """
    from mbcore.engine import services
    runner, groups = start_engine(engine, workers)
    sampler = Sampler(runner, groups[1:])
    sampler.start()
    began = time.monotonic()
    errors: dict = {}
    students = []
    for i in range(sessions):
        try:
            students.append(Student(i, max(1, distinct)))
        except Exception as err:
            errors[i] = f"{type(err).__name__}: {err}"
    for st_ in students:
        _guarded(errors, st_, st_.press_train)
    waiting = [s for s in students if s.number not in errors]
    while waiting and time.monotonic() - began < timeout:
        waiting = [s for s in waiting if not _guarded(errors, s, s.poll)]
        time.sleep(0.2)
    for s in waiting:
        errors[s.number] = "TimeoutError: no result in time"
    sampler.running = False
    waits = sorted(s.wait_s for s in students if s.wait_s is not None)
    report = {
        "sessions": sessions, "distinct": distinct,
        "finished": len(waits), "errors": len(errors),
        "error_messages": sorted(set(errors.values())),
        "engine": engine, "workers": workers or len(runner.worker_pids()),
        "trainings_run": runner.stats["trainings_run"],
        "max_running_at_once": runner.stats.get("max_running"),
        "max_wait_s": waits[-1] if waits else None,
        "median_wait_s": waits[len(waits) // 2] if waits else None,
        "peak_rss_mb": round(sampler.peak["all"], 1),
        "peak_rss_mb_server": round(sampler.peak["server"], 1),
        "peak_rss_mb_workers": round(sampler.peak["workers"], 1),
        "total_s": round(time.monotonic() - began, 1),
    }
    report["throughput_per_min"] = round(60 * len(waits) / report["total_s"], 1)
    runner.shutdown()
    for g in groups:
        services.stop(g)
    return report


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mbcore loadtest", description=__doc__)
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--distinct", type=int, default=1)
    parser.add_argument("--engine", choices=("local", "celery"), default="local",
                        help="celery: start a Redis and --workers Celery workers on this machine")
    parser.add_argument("--workers", type=int, help="trainings at once (default: local pool's)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if args.workers is not None and args.workers < 1:
        print("error: --workers must be at least 1", file=sys.stderr)
        return 2
    if args.sessions < 1 or not 1 <= args.distinct <= args.sessions:
        print("error: need --sessions >= 1 and 1 <= --distinct <= --sessions", file=sys.stderr)
        return 2
    report = run(args.sessions, args.distinct, engine=args.engine, workers=args.workers)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        for key, value in report.items():
            print(f"{key:22} {value}")
    return 0 if report["errors"] == 0 and report["finished"] == args.sessions else 1


if __name__ == "__main__":
    sys.exit(main())
