"""The one interface the pages train through, and the choice of the engine behind it.

Two engines keep the same contract: `local` (runner.JobRunner, the server's own
pool of worker processes; the default, needs no services) and `celery`
(celery_engine.CeleryEngine: Celery workers, Redis for jobs, progress and
results, shared by every replica). MBCORE_ENGINE=local|celery chooses,
MBCORE_REDIS_URL says where Redis is. Nothing in the pages knows which runs.

When Redis does not answer (at the start, or later when a training is asked
for) the server falls back to its local engine and says so in `notice`, which
the pages show; MBCORE_FALLBACK=none keeps the cluster and lets each training
fail with that notice instead (for deployments where the replicas are too
small to train).
"""
from __future__ import annotations

import os
import sys
import threading
from typing import Protocol, runtime_checkable

from mbcore.engine.celery_app import DEFAULT_REDIS_URL
from mbcore.engine.celery_engine import CeleryEngine, ClusterUnavailable
from mbcore.engine.news import NewsBoard
from mbcore.engine.protocol import Event, Result, Status, TrainJob
from mbcore.engine.runner import shared_runner

ENGINES = ("local", "celery")
FALLBACKS = ("local", "none")


@runtime_checkable
class Engine(Protocol):
    """Start a job and follow it by polling; identical jobs may share one training.
    `news` tells a waiting page when to poll again (news.NewsBoard)."""

    news: NewsBoard

    def start(self, job: TrainJob, watcher: str | None = None, owner: str = "",
              share: bool = False) -> str: ...  # job.presenter: the lecturer's, served first

    def warm_up(self, job: TrainJob) -> bool: ...   # idle workers trace it; whether any does

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


def falls_back(env=os.environ) -> bool:
    """Whether an unreachable cluster hands its trainings to this server's pool."""
    return env.get("MBCORE_FALLBACK", "local").strip().lower() != "none"


def unavailable(url: str, why: str, fallback: bool) -> str:
    """The one line a page shows when the cluster does not answer."""
    return (f"The training cluster is unavailable (Redis at {url}: {why}); "
            + ("trainings run on this server instead." if fallback
               else "trainings cannot start until it is back."))


def make_engine(env=os.environ) -> tuple[Engine, str]:
    """The engine the environment asks for, and a notice when it could not be had.

    A cluster whose Redis does not answer falls back to the local engine with one
    clear line, never a traceback (or, with MBCORE_FALLBACK=none, stays the
    engine, and its trainings fail with that line until Redis is back)."""
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
        if not falls_back(env):
            return CeleryEngine(url, check=False), unavailable(url, type(err).__name__, False)
        return shared_runner(), unavailable(url, type(err).__name__, True)


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


def start_job(job: TrainJob, watcher: str | None = None, owner: str = "",
              share: bool = False) -> str:
    """shared_engine().start, except that a cluster gone away does not raise into
    the page: the server falls back to its local engine (and says so in `notice`),
    or, with MBCORE_FALLBACK=none, raises ClusterUnavailable with the line to show."""
    global _shared, notice
    engine = shared_engine()
    try:
        return engine.start(job, watcher=watcher, owner=owner, share=share)
    except ClusterUnavailable as err:
        fallback = falls_back()
        with _lock:
            notice = unavailable(engine.url, err.why, fallback)
            if fallback and _shared is engine:
                _shared = None         # from now on this server trains locally
        print(f"mbcore: {notice}", file=sys.stderr, flush=True)
        if not fallback:
            raise ClusterUnavailable(err.why, notice) from None
    return shared_runner().start(job, watcher=watcher, owner=owner, share=share)


def warm_up(job: TrainJob, env=os.environ) -> bool:
    """Ask the engine to have idle workers trace this network before Train is
    pressed (Engine.warm_up); MBCORE_WARM_UP=0 turns it off. A cluster that does
    not answer is not the page's concern here: the next start says so."""
    if env.get("MBCORE_WARM_UP", "1").strip() == "0":
        return False
    try:
        return shared_engine().warm_up(job)
    except ClusterUnavailable:
        return False
