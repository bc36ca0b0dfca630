"""The one interface the pages train through, and the choice of the engine behind it.

Two engines keep the same contract: `local` (runner.JobRunner, the server's own
pool of worker processes; the default, needs no services) and `celery`
(celery_engine.CeleryEngine: Celery workers, Redis for jobs, progress and
results, shared by every replica). MBCORE_ENGINE=local|celery chooses,
MBCORE_REDIS_URL says where Redis is. Nothing in the pages knows which runs.
"""
from __future__ import annotations

import os
import sys
import threading
from typing import Protocol, runtime_checkable

from mbcore.engine.celery_app import DEFAULT_REDIS_URL
from mbcore.engine.celery_engine import CeleryEngine
from mbcore.engine.protocol import Event, Result, Status, TrainJob
from mbcore.engine.runner import shared_runner

ENGINES = ("local", "celery")


@runtime_checkable
class Engine(Protocol):
    """Start a job and follow it by polling; identical jobs may share one training."""

    def start(self, job: TrainJob, watcher: str | None = None, owner: str = "",
              share: bool = False) -> str: ...

    def events(self, job_id: str, since: int = 0, watcher: str | None = None) -> list[Event]: ...

    def release(self, job_id: str, watcher: str) -> bool: ...

    def watchers(self, job_id: str) -> int: ...

    def position(self, job_id: str) -> int: ...

    def status(self, job_id: str) -> Status: ...

    def result(self, job_id: str) -> Result | None: ...

    def cancel(self, job_id: str) -> None: ...

    def wait(self, job_id: str, timeout: float | None = None) -> Result | None: ...

    def shutdown(self, timeout: float = 5.0) -> None: ...


_shared: Engine | None = None      # the cluster engine, once chosen
_chosen: bool | None = None
_lock = threading.Lock()
notice = ""        # why the configured engine is not the one running, for pages to show


def make_engine(env=os.environ) -> tuple[Engine, str]:
    """The engine the environment asks for, and a notice when it could not be had.

    A cluster whose Redis does not answer falls back to the local engine with one
    clear line, never a traceback."""
    kind = env.get("MBCORE_ENGINE", "local").strip().lower() or "local"
    if kind not in ENGINES:
        return shared_runner(), f"MBCORE_ENGINE={kind!r} is not one of {', '.join(ENGINES)}; " \
                                "using the local engine"
    if kind == "local":
        return shared_runner(), ""
    url = env.get("MBCORE_REDIS_URL", DEFAULT_REDIS_URL)
    try:
        return CeleryEngine(url), ""
    except Exception as err:    # redis raises its own ConnectionError, TimeoutError...
        return shared_runner(), (f"The training cluster is unavailable (Redis at {url}: "
                                 f"{type(err).__name__}); trainings run on this server instead.")


def shared_engine() -> Engine:
    """One engine per server process, shared by all sessions and reruns. The local
    one is runner.shared_runner() itself (asked each time, so that whoever
    replaces that runner, as tests do, replaces it here too)."""
    global _shared, notice, _chosen
    with _lock:
        if _chosen is None:
            _shared, notice = make_engine()
            _chosen = True
            if notice:
                print(f"mbcore: {notice}", file=sys.stderr, flush=True)
            if not isinstance(_shared, CeleryEngine):
                _shared = None
    return _shared if _shared is not None else shared_runner()
