"""Redis, Celery workers and Streamlit replicas started from Python, each in its
own process group: for `python -m mbcore cluster`, the load test and the tests.

Every service runs under a small watchdog that leads its process group: when
the process that started it disappears (even by kill -9), the watchdog kills
the group, so no redis-server or worker outlives it. `stop` ends a group.
"""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]      # where app.py and mbcore/ are
NO_REDIS = ("redis-server is not installed (Debian package redis-server; "
            "`make test` installs it through .ci/ensure-system-packages --tests)")

WATCHDOG = r"""
import os, signal, subprocess, sys, time
parent, cmd = int(sys.argv[1]), sys.argv[2:]
child = subprocess.Popen(cmd)
while child.poll() is None:
    try:
        os.kill(parent, 0)
    except OSError:
        os.killpg(0, signal.SIGKILL)
    time.sleep(0.5)
sys.exit(child.returncode)
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_group(cmd: list[str], log: Path | None, env: dict | None = None) -> subprocess.Popen:
    """Run `cmd` in a new process group watched on behalf of this process
    (output to `log`, or to this process's own when None)."""
    out = open(log, "wb") if log else None
    return subprocess.Popen([sys.executable, "-c", WATCHDOG, str(os.getpid()), *cmd],
                            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT if out else None,
                            start_new_session=True)


def stop(proc: subprocess.Popen, grace: float = 5.0) -> None:
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(grace)
            if sig == signal.SIGTERM:        # the leader has gone; make sure the rest has too
                os.killpg(proc.pid, signal.SIGKILL)
            return
        except subprocess.TimeoutExpired:
            continue
        except ProcessLookupError:
            return


def redis_server() -> str | None:
    return shutil.which("redis-server") or next(
        (p for p in ("/usr/bin/redis-server", "/usr/sbin/redis-server") if os.path.exists(p)), None)


def start_redis(folder: Path, port: int | None = None) -> tuple[subprocess.Popen, str]:
    """A throw-away redis-server (no files written) on `port` or a free one; its URL."""
    port = port or free_port()
    proc = start_group([redis_server(), "--port", str(port), "--bind", "127.0.0.1",
                        "--save", "", "--appendonly", "no", "--dir", str(folder)],
                       folder / "redis.log")
    url = f"redis://127.0.0.1:{port}/0"
    if not wait_for_redis(url, timeout=20):
        stop(proc)
        raise RuntimeError(f"redis-server did not start: {(folder / 'redis.log').read_text()}")
    return proc, url


def start_worker(url: str, folder: Path, name: str, concurrency: int = 1) -> subprocess.Popen:
    """`python -m mbcore worker` against `url`, logging to folder/NAME.log."""
    env = {**os.environ, "MBCORE_REDIS_URL": url, "PYTHONPATH": str(ROOT),
           "TF_CPP_MIN_LOG_LEVEL": "3", "MALLOC_ARENA_MAX": "2"}
    return start_group([sys.executable, "-m", "mbcore", "worker", "--concurrency",
                        str(concurrency), "--name", f"{name}@%h", "--loglevel", "INFO"],
                       folder / f"{name}.log", env)


def start_replica(url: str | None, folder: Path, port: int) -> subprocess.Popen:
    """A Streamlit server of the app on `port`, training on the cluster at `url`
    (or, with url None, on its own pool of local workers)."""
    env = {**os.environ, "MBCORE_ENGINE": "celery" if url else "local",
           "MBCORE_REDIS_URL": url or "", "PYTHONPATH": str(ROOT)}
    return start_group([sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"),
                        "--server.headless", "true", "--server.port", str(port),
                        "--browser.gatherUsageStats", "false"],
                       folder / f"replica-{port}.log", env)


def wait_for_redis(url: str, timeout: float) -> bool:
    """Whether Redis answers at `url` within `timeout` seconds."""
    import redis
    end = time.monotonic() + timeout
    while True:
        try:
            return bool(redis.Redis.from_url(url, socket_timeout=1.0,
                                             socket_connect_timeout=1.0).ping())
        except redis.RedisError:
            if time.monotonic() > end:
                return False
            time.sleep(0.2)


def wait_for(predicate, timeout: float, every: float = 0.1) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(every)
    return False
