"""A class at once, over the network: K sessions of the multi_io page press Train
at the same moment, against running Streamlit servers.

It starts (like `python -m mbcore cluster`, each in its own process group under
the services' watchdog) R replicas of the app and, for the celery engine, a
Redis (or attaches to one: --redis) and W Celery workers; with the local engine
each replica has its own pool of W workers. Then K websocket sessions
(tools/stclient.py: what a browser sends, without the browser), spread over the
replicas as a load balancer with sticky sessions would, open the page with one
of D settings (seeds), wait until every page has loaded, press Train together
and wait until their page shows the result. Sessions with the same settings
share one training wherever the engine lets them: within a replica for local,
across the cluster for celery.

    python -m mbcore loadtest --engine celery --workers 2 --replicas 2 \
        --sessions 50 --distinct 10 [--json]

Reports the sessions' waits (Train pressed to result on the page), trainings
run, trainings finished per minute and peak resident memory, in all and per
kind of process (replicas, workers, redis).
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import statistics
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tools")]
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

PAGE = "multi_io"
SMALL = {"epochs": 20, "left_depth": 3, "right_depth": 3}
TRAINED = re.compile(rb"^mbcore worker \d+: training ", re.M)   # worker.py, one per training


def _rss_mb(pids) -> float:
    import psutil
    total = 0
    for pid in pids:
        try:
            total += psutil.Process(pid).memory_info().rss
        except psutil.Error:
            pass
    return total / 2**20


def _own_cpu() -> float:
    t = os.times()
    return t.user + t.system


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


def _this_server() -> dict[str, list[int]]:
    from mbcore.engine.runner import shared_runner
    return {"server": [os.getpid()], "workers": shared_runner().worker_pids()}


class Sampler(threading.Thread):
    """Peak resident memory and CPU time, sampled five times a second: `peak` of
    all the processes together, `peaks` per kind, and `cpu_seconds()` per kind
    since the sampler started (where the machine's cores went: on a small machine
    the replicas' page work competes with the workers' training). `kinds()` names
    the processes by kind (default: this process as the server, and its local
    pool's workers)."""

    def __init__(self, kinds=_this_server):
        super().__init__(daemon=True)
        self.kinds, self.peak, self.peaks = kinds, 0.0, {}
        self.running = True
        self._cpu: dict[int, list] = {}        # pid -> [kind, seconds at first sight, latest]

    def run(self):
        first = True
        while self.running:
            kinds = self.kinds()
            now = {kind: _rss_mb(pids) for kind, pids in kinds.items()}
            self.peak = max(self.peak, sum(now.values()))
            self.peaks = {k: max(v, self.peaks.get(k, 0.0)) for k, v in now.items()}
            self._sample_cpu(kinds, first)
            first = False
            time.sleep(0.2)

    def _sample_cpu(self, kinds: dict, first: bool) -> None:
        """A process there at the start counts from then; one born later, whole."""
        import psutil
        for kind, pids in kinds.items():
            for pid in pids:
                try:
                    t = psutil.Process(pid).cpu_times()
                except psutil.Error:
                    continue
                spent = t.user + t.system
                self._cpu.setdefault(pid, [kind, spent if first else 0.0, spent])[2] = spent

    def cpu_seconds(self) -> dict[str, float]:
        out: dict[str, float] = {}
        for kind, start, latest in self._cpu.values():
            out[kind] = out.get(kind, 0.0) + latest - start
        return {k: round(v, 1) for k, v in out.items()}


def _below(groups) -> list:
    """The processes a watchdog leads (not the watchdog itself)."""
    import psutil
    found = []
    for g in groups:
        try:
            found += psutil.Process(g.pid).children(recursive=True)
        except psutil.Error:
            pass
    return found


class Cluster:
    """Redis, workers and replicas of one load test, or the servers it attaches to."""

    def __init__(self, engine: str, workers: int, replicas: int, redis_url: str | None = None):
        from mbcore.engine import services
        self.engine, self.folder = engine, Path(tempfile.mkdtemp(prefix="mbcore-loadtest-"))
        self.redis, self.workers, self.replicas = [], [], []
        self.url = redis_url
        try:
            if engine == "celery":
                if self.url is None:
                    proc, self.url = services.start_redis(self.folder)
                    self.redis.append(proc)
                self.workers = [services.start_worker(self.url, self.folder, f"w{i}")
                                for i in range(workers)]
            else:
                os.environ["MBCORE_WORKERS"] = str(workers)    # each replica's own pool
            ports = [services.free_port() for _ in range(replicas)]
            self.replicas = [services.start_replica(self.url if engine == "celery" else None,
                                                    self.folder, port) for port in ports]
            self.bases = [f"http://127.0.0.1:{port}" for port in ports]
            for base, proc in zip(self.bases, self.replicas):
                if not services.wait_for(lambda: _healthy(base) or proc.poll() is not None, 180,
                                         every=0.3) or proc.poll() is not None:
                    raise RuntimeError(f"the replica at {base} did not start "
                                       f"(log: {self.folder})")
        except BaseException:
            self.stop()
            raise
        self.trained_before = self.trainings_run()

    def kinds(self) -> dict[str, list[int]]:
        """Process ids by kind: replicas (Streamlit servers), workers (Celery's,
        or each replica's local pool), redis."""
        servers = [p for p in _below(self.replicas) if "streamlit" in " ".join(_cmdline(p))]
        local = [c.pid for p in servers for c in _children(p)]
        return {"replicas": [p.pid for p in servers],
                "workers": [p.pid for p in _below(self.workers)] + local,
                "redis": [p.pid for p in _below(self.redis)]}

    def trainings_run(self) -> int:
        """Trainings the workers started: Redis's count for the cluster; for the
        local engine the line each worker writes per training to its replica's log."""
        if self.engine == "celery":
            import redis
            from mbcore.engine.redis_state import PREFIX
            return int(redis.Redis.from_url(self.url).get(f"{PREFIX}trainings_run") or 0)
        return sum(len(TRAINED.findall(log.read_bytes()))
                   for log in self.folder.glob("replica-*.log"))

    def stop(self) -> None:
        from mbcore.engine import services
        for proc in [*self.replicas, *self.workers, *self.redis]:
            services.stop(proc)


def _healthy(base: str) -> bool:
    try:
        with urllib.request.urlopen(base + "/_stcore/health", timeout=2) as r:
            return r.status == 200
    except OSError:
        return False


def _cmdline(p) -> list[str]:
    import psutil
    try:
        return p.cmdline()
    except psutil.Error:
        return []


def _children(p) -> list:
    import psutil
    try:
        return p.children(recursive=True)
    except psutil.Error:
        return []


def query(seed: int, epochs: int = SMALL["epochs"]) -> str:
    return "&".join(f"{k}={v}" for k, v in {**SMALL, "epochs": epochs, "seed": seed}.items())


async def drive(bases: list[str], sessions: int, distinct: int, timeout: float,
                epochs: int = SMALL["epochs"]) -> dict:
    """Open every session, press Train in all at once, wait for every result.
    Session i goes to replica r = i mod R (sticky) and asks for seed
    (i div R + r * (D div R)) mod D: every replica sees every setting when there
    are sessions enough (K >= R * D), and all D settings are asked for whenever
    K >= D (with seed (i div R) mod D, 20 sessions on 2 replicas asked for 10
    settings only, whatever D was)."""
    from stclient import Session
    opened, waits, errors = asyncio.Event(), {}, {}
    ready = [0]
    pressed = {}

    async def student(i: int):
        replicas = len(bases)
        seed = (i // replicas + (i % replicas) * (distinct // replicas)) % distinct
        s = Session(bases[i % replicas], PAGE, query(seed, epochs))
        try:
            try:
                await s.open(timeout)
            finally:
                ready[0] += 1
                if ready[0] == sessions:
                    opened.set()
            await opened.wait()
            pressed[i] = time.monotonic()
            await s.press("train_start")
            await s.until(lambda: "wall time" in s.metrics, timeout)
            waits[i] = time.monotonic() - pressed[i]
        except Exception as err:  # counted, not raised: the report says how many failed
            errors[i] = f"{type(err).__name__}: {err}"
            if not opened.is_set() and ready[0] == sessions:
                opened.set()
        finally:
            await s.close()
    began = time.monotonic()
    await asyncio.gather(*(student(i) for i in range(sessions)))
    first_press = min(pressed.values(), default=time.monotonic())
    last = max((pressed[i] + w for i, w in waits.items()), default=first_press)
    return {"waits": waits, "errors": errors, "open_s": first_press - began,
            "run_s": last - first_press}


def run(engine: str = "local", workers: int = 1, replicas: int = 1, sessions: int = 20,
        distinct: int = 1, timeout: float = 900.0, redis_url: str | None = None,
        epochs: int = SMALL["epochs"]) -> dict:
    load_before = os.getloadavg()[0]
    cluster = Cluster(engine, workers, replicas, redis_url)
    sampler = Sampler(cluster.kinds)
    cpu_before = _own_cpu()
    sampler.start()
    try:
        out = asyncio.run(drive(cluster.bases, sessions, distinct, timeout, epochs))
        trainings = cluster.trainings_run() - cluster.trained_before
    finally:
        sampler.running = False
        cluster.stop()
    waits = sorted(out["waits"].values())
    minutes = out["run_s"] / 60
    if out["errors"]:
        print(f"loadtest: the services' logs are in {cluster.folder}", file=sys.stderr)
    else:
        shutil.rmtree(cluster.folder, ignore_errors=True)
    return {
        "sessions": sessions, "distinct": distinct, "epochs": epochs, "engine": engine,
        "workers": workers,
        "replicas": replicas, "finished": len(waits), "errors": len(out["errors"]),
        "error_messages": sorted(set(out["errors"].values()))[:5],
        "trainings_run": trainings,
        "median_wait_s": round(statistics.median(waits), 1) if waits else None,
        "max_wait_s": round(waits[-1], 1) if waits else None,
        "run_s": round(out["run_s"], 1), "pages_open_s": round(out["open_s"], 1),
        "throughput_per_min": round(trainings / minutes, 1) if minutes else None,
        "sessions_per_min": round(len(waits) / minutes, 1) if minutes else None,
        "peak_rss_mb": round(sampler.peak, 1),
        "peak_rss_mb_by_kind": {k: round(v, 1) for k, v in sampler.peaks.items()},
        # from the first page opened to the last result, this process's websocket
        # clients included (they stand in for the students' browsers)
        "cpu_s_by_kind": {**sampler.cpu_seconds(), "clients": round(_own_cpu() - cpu_before, 1)},
        "load_1min": [round(load_before, 1), round(os.getloadavg()[0], 1)],
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mbcore loadtest", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--engine", choices=("local", "celery"), default="local")
    parser.add_argument("--workers", type=int, default=1,
                        help="celery: Celery workers; local: each replica's pool (default 1)")
    parser.add_argument("--replicas", type=int, default=1, help="Streamlit servers (default 1)")
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--distinct", type=int, default=1)
    parser.add_argument("--epochs", type=int, default=SMALL["epochs"],
                        help="epochs per training (default %(default)s: short, so that the "
                             "replicas' page work weighs as much as the training)")
    parser.add_argument("--redis", help="celery: use the Redis at this URL instead of starting one")
    parser.add_argument("--timeout", type=float, default=900.0,
                        help="seconds a session may take to open, and again to finish")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if min(args.workers, args.replicas, args.epochs) < 1:
        print("error: --workers, --replicas and --epochs must be at least 1", file=sys.stderr)
        return 2
    if args.sessions < 1 or not 1 <= args.distinct <= args.sessions:
        print("error: need --sessions >= 1 and 1 <= --distinct <= --sessions", file=sys.stderr)
        return 2
    from mbcore.engine import services
    if args.engine == "celery" and not args.redis and services.redis_server() is None:
        print(f"error: {services.NO_REDIS}", file=sys.stderr)
        return 2
    try:
        report = run(args.engine, args.workers, args.replicas, args.sessions, args.distinct,
                     args.timeout, args.redis, args.epochs)
    except RuntimeError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        for key, value in report.items():
            print(f"{key:22} {value}")
    return 0 if report["errors"] == 0 and report["finished"] == args.sessions else 1


if __name__ == "__main__":
    sys.exit(main())
