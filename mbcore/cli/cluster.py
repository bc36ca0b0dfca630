"""The `worker` command: one Celery worker of the training cluster.

It wraps `celery -A mbcore.engine.celery_app worker` with the project's
settings: one training per pool process, the presenter's queue served first.
Redis comes from MBCORE_REDIS_URL (or --redis).
"""
from __future__ import annotations

import os
import sys

from mbcore.cli.common import command
from mbcore.engine.celery_app import (CLASS_QUEUE, PRESENTER_QUEUE, app, redis_url,
                                      wait_for_redis)


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
