"""The `worker` and `cluster` commands: one Celery worker of the training cluster,
and a whole cluster on one machine for trying it.

It wraps `celery -A mbcore.engine.celery_app worker` with the project's
settings: one training per pool process, the presenter's queue served first.
Redis comes from MBCORE_REDIS_URL (or --redis).
"""
from __future__ import annotations

import os
import signal
import sys
import tempfile
import time
from pathlib import Path

from mbcore.cli.common import command
from mbcore.engine import services
from mbcore.engine.celery_app import CLASS_QUEUE, PRESENTER_QUEUE, app, redis_url


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
    if not services.wait_for_redis(url, timeout=5.0):
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
    """Redis (unless one answers already), the workers and the replicas, until
    Ctrl-C or SIGTERM. Each runs in its own process group under a watchdog, so
    even a killed `cluster` leaves nothing behind."""
    if min(args.workers, args.replicas) < 1:
        print("error: --workers and --replicas must be at least 1", file=sys.stderr)
        return 2
    url = f"redis://127.0.0.1:{args.redis_port}/0"
    folder = Path(tempfile.mkdtemp(prefix="mbcore-cluster-"))
    groups = []
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        if not services.wait_for_redis(url, timeout=0.5):
            if services.redis_server() is None:
                print("error: redis-server is not installed (Debian: apt-get install "
                      "redis-server)", file=sys.stderr)
                return 2
            redis_proc, url = services.start_redis(folder, args.redis_port)
            groups.append(redis_proc)
        groups += [services.start_worker(url, folder, f"worker{i + 1}")
                   for i in range(args.workers)]
        groups += [services.start_replica(url, folder, args.port + i)
                   for i in range(args.replicas)]
        ports = ", ".join(str(args.port + i) for i in range(args.replicas))
        print(f"cluster: Redis at {url}, {args.workers} worker(s), replicas on ports {ports} "
              f"(logs in {folder}); Ctrl-C stops them all", flush=True)
        while all(g.poll() is None for g in groups):
            time.sleep(1.0)
        print(f"cluster: a process ended (see {folder}); stopping the rest", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    except RuntimeError as err:           # redis-server would not start
        print(f"error: {err}", file=sys.stderr)
        return 2
    finally:
        for g in reversed(groups):
            services.stop(g)


command("cluster", "try a cluster on this machine: Redis, Celery workers and Streamlit "
        "replicas (MBCORE_ENGINE=celery), until Ctrl-C", run_cluster, cluster_setup,
        lesson=False)
