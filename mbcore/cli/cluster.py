"""The `worker` and `cluster` commands: one Celery worker of the training cluster,
and a whole cluster on one machine for trying it.

It wraps `celery -A mbcore.engine.celery_app worker` with the project's
settings: one training per pool process, the presenter's queue served first.
Redis comes from MBCORE_REDIS_URL (or --redis).
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from mbcore.cli.common import command
from mbcore.engine.celery_app import (CLASS_QUEUE, PRESENTER_QUEUE, app, redis_url,
                                      wait_for_redis)

ROOT = Path(__file__).resolve().parents[2]     # where app.py is


def worker_setup(p):
    p.add_argument("--concurrency", type=int, default=1,
                   help="trainings at once: pool processes of this worker (default 1)")
    p.add_argument("--redis", help="Redis URL (default: MBCORE_REDIS_URL or localhost)")
    p.add_argument("--name", help="worker name (default: celery's host-based one)")
    p.add_argument("--loglevel", default="WARNING")


def run_worker(args) -> int:
    url = args.redis or redis_url()
    if args.concurrency < 1:
        print("error: --concurrency must be at least 1", file=sys.stderr)
        return 2
    if not wait_for_redis(url, timeout=5.0):
        print(f"error: Redis at {url} does not answer; start it first "
              "(see the README's 'Run a cluster')", file=sys.stderr)
        return 2
    os.environ["MBCORE_REDIS_URL"] = url         # the pool processes' tasks read it
    app.conf.broker_url = url
    argv = ["worker", f"--concurrency={args.concurrency}", "--pool=prefork",
            f"--queues={PRESENTER_QUEUE},{CLASS_QUEUE}", f"--loglevel={args.loglevel}",
            "--without-gossip", "--without-mingle"]
    if args.name:
        argv.append(f"--hostname={args.name}")
    app.worker_main(argv)
    return 0


command("worker", "start a Celery worker that trains the cluster's jobs (needs Redis)",
        run_worker, worker_setup, lesson=False)


def cluster_setup(p):
    p.add_argument("--workers", type=int, default=2, help="Celery workers (default 2)")
    p.add_argument("--replicas", type=int, default=2,
                   help="Streamlit servers on ports --port, --port+1, ... (default 2)")
    p.add_argument("--port", type=int, default=8501, help="first replica's port (default 8501)")
    p.add_argument("--redis-port", type=int, default=6379,
                   help="port of the redis-server started when none answers (default 6379)")


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def run_cluster(args) -> int:
    """Redis (unless one answers already), the workers and the replicas, until Ctrl-C."""
    if min(args.workers, args.replicas) < 1:
        print("error: --workers and --replicas must be at least 1", file=sys.stderr)
        return 2
    url = f"redis://127.0.0.1:{args.redis_port}/0"
    children: list[subprocess.Popen] = []
    if not wait_for_redis(url, timeout=0.5):
        server = shutil.which("redis-server")
        if server is None:
            print("error: redis-server is not installed (Debian: apt-get install redis-server)",
                  file=sys.stderr)
            return 2
        children.append(subprocess.Popen([server, "--port", str(args.redis_port), "--bind",
                                          "127.0.0.1", "--save", "", "--appendonly", "no"]))
        if not wait_for_redis(url, timeout=10):
            print(f"error: redis-server did not answer on port {args.redis_port}", file=sys.stderr)
            children[0].terminate()
            return 2
    env = {**os.environ, "MBCORE_ENGINE": "celery", "MBCORE_REDIS_URL": url}
    signal.signal(signal.SIGTERM, _interrupt)      # `kill` stops the children too
    try:
        for i in range(args.workers):
            children.append(subprocess.Popen([sys.executable, "-m", "mbcore", "worker",
                                              "--name", f"worker{i + 1}@%h"], env=env))
        for i in range(args.replicas):
            children.append(subprocess.Popen(
                [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
                 "--server.port", str(args.port + i)], env=env, cwd=ROOT))
        ports = ", ".join(str(args.port + i) for i in range(args.replicas))
        print(f"cluster: Redis at {url}, {args.workers} worker(s), replicas on ports {ports}; "
              "Ctrl-C stops them all", flush=True)
        while all(c.poll() is None for c in children):
            time.sleep(1.0)
        print("cluster: a process ended; stopping the rest", file=sys.stderr)
    except KeyboardInterrupt:
        pass
    finally:
        for c in reversed(children):
            c.terminate()
        for c in reversed(children):
            try:
                c.wait(15)
            except subprocess.TimeoutExpired:
                c.kill()
    return 0


command("cluster", "try a cluster on this machine: Redis, Celery workers and Streamlit "
        "replicas (MBCORE_ENGINE=celery), until Ctrl-C", run_cluster, cluster_setup,
        lesson=False)
