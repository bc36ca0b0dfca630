"""Training jobs in worker processes, for pages that must stay responsive.

Why processes: Keras is not thread-safe for building and training, every
traced training function leaks memory that only the process's exit returns,
and a Streamlit rerun must neither interrupt nor duplicate a training.  So a
page *starts* a job and then *watches* it by polling ``events(job, since)``;
whatever happens to the page, the job lives in the runner.

The API is deliberately small (start, events, status, cancel, result) so
that sharing identical jobs and a fair queue can be layered on top.
Workers are fresh processes (never forked: TensorFlow's threads do not
survive a fork; see worker.py for why not multiprocessing) and retire after
``jobs_per_worker`` jobs to hand leaked memory back. A retired worker's
successor starts only once it has exited, so no more than `workers`
TensorFlow processes are ever alive at once.
"""

from __future__ import annotations

import itertools
import os
import queue
import threading
import time
import uuid
from collections import OrderedDict, deque

from mbcore.engine.protocol import (FINISHED, NOT_SHAREABLE, Event, EventType, Result, Status,
                                    TrainJob)
from mbcore.engine.news import NewsBoard
from mbcore.engine.queueing import Waiting, fair_order, wait_result
from mbcore.engine.store import ResultStore
from mbcore.engine.worker import Worker, WorkerMessage
from mbcore.lessons import ALL_LESSONS

DEFAULT_JOB_FN = "mbcore.training.job:run_train_job"
WARM_UP = "warm-up"         # the owner of warm-up jobs (JobRunner.warm_up)


def job_key(spec):
    """What makes two jobs the same work (a TrainJob's key, or a plain spec itself)."""
    return spec.key() if hasattr(spec, "key") else spec


class _Job:
    def __init__(self, job_id, number, spec, owner=""):
        self.id, self.number, self.spec, self.owner = job_id, number, spec, owner
        self.key = job_key(spec)
        self.alone = bool(getattr(spec, "runs_alone", False))
        self.presenter = bool(getattr(spec, "presenter", False))
        self.status = Status.QUEUED
        self.events: list[Event] = [Event(EventType.QUEUED)]
        self.result: Result | None = None
        self.size = 0                        # bytes of the result's arrays, once finished
        self.watchers: dict[str, float] = {}   # watcher id -> last time it polled
        self.watched = False                 # ever watched: then abandonment applies
        self.abandoned = False
        self.cancelling = False


def _traced(worker, key) -> None:
    """The worker now has this trace, as its newest (its cache drops the oldest)."""
    if key in worker.traced:
        worker.traced.remove(key)
    worker.traced.append(key)


class JobRunner:
    """Runs jobs in a small pool of worker processes.

    ``start(job) -> id``; ``events(id, since)`` returns the Events after the
    first `since` ones; ``cancel(id)`` stops a job within one batch (its
    Result then has status STOPPED and a resumable ``state``); ``result(id)``
    is the finished job's Result, or None while it runs.
    """

    def __init__(self, workers: int = 1, jobs_per_worker: int = 20,
                 job_fn: str = DEFAULT_JOB_FN, keep_finished: int = 200,
                 keep_mb: float = 256.0, abandon_after: float = 20.0,
                 cache_dir: str | None = None):
        self._outbox: queue.Queue = queue.Queue()
        self._lock = threading.RLock()
        self._jobs: OrderedDict[str, _Job] = OrderedDict()
        self._queue: deque[str] = deque()
        self._numbers = itertools.count()
        self._worker_numbers = itertools.count()
        self._size, self._per_worker, self._job_fn = workers, jobs_per_worker, job_fn
        self._keep = keep_finished
        self._keep_bytes = int(keep_mb * 2**20)
        self._abandon_after = abandon_after
        self._by_key: dict = {}              # TrainJob.key() -> job id, for sharing
        self.news = NewsBoard()              # where waiting pages sleep until a job's next event
        self._disk = ResultStore(cache_dir) if cache_dir else None
        self.stats = {"started": 0, "trainings_run": 0, "shared": 0, "from_disk": 0,
                      "abandoned": 0, "max_running": 0, "warm_ups": 0}
        self._workers: dict[int, Worker] = {}
        self._closed = False
        with self._lock:
            for _ in range(workers):
                self._spawn()
        self._pump = threading.Thread(target=self._pump_loop, daemon=True,
                                      name="mbcore-job-pump")
        self._pump.start()

    # ---------------------------------------------------------- public ---
    def start(self, job: TrainJob, watcher: str | None = None, owner: str = "",
              share: bool = False) -> str:
        """Queue a job; returns its id at once.

        With share=True an identical job (same lesson, settings, epochs) that is
        queued, running or finished well is joined instead of run again, and a
        result kept on disk is used if there is one. A `watcher` that stops
        polling (a closed tab) for `abandon_after` seconds no longer keeps the
        job alive; when no watcher is left, the job is cancelled.
        """
        key = job_key(job)
        with self._lock:
            if self._closed:
                raise RuntimeError("the job runner is shut down")
            self.stats["started"] += 1
            old = self._jobs.get(self._by_key.get(key, "")) if share else None
            if old is not None and old.status not in NOT_SHAREABLE and not old.cancelling:
                self.stats["shared"] += 1
                self._watch(old, watcher)
                return old.id
            job_id = uuid.uuid4().hex[:12]
            record = self._jobs[job_id] = _Job(job_id, next(self._numbers), job, owner or watcher or "")
            self._watch(record, watcher)
            self._by_key[key] = job_id
            cached = self._disk.get(key) if (share and self._disk) else None
            if cached is not None:
                self.stats["from_disk"] += 1
                record.events.append(Event(EventType.STARTED, cached=True))
                self._finish(record, Event(EventType.FINISHED, status=cached.status,
                                           cached=True), cached)
            else:
                self._queue.append(job_id)
                self._dispatch()
            self._prune()
        return job_id

    def warm_up(self, job: TrainJob) -> bool:
        """Have the idle workers trace this network now, so that a Train pressed
        later gets its first epoch without waiting for the trace (over a second
        for a recurrent or a deep net). Returns whether a worker was asked.

        Every idle worker that has not traced it lately, so the Train finds one
        whichever is free (_start_queued prefers a worker with the network
        traced); for a net that runs alone, one worker, and none if one has it.
        At most half of a worker's jobs are warm-ups: they count towards the jobs
        after which a worker is replaced (their traces leak like any), and slider
        moves must not use up the pool. Only while nothing waits in the queue and nothing that must run
        alone runs; a training that has to wait cancels the warm-ups (after their
        trace). Warm-ups are never shared, stored or counted as trainings."""
        if not isinstance(job, TrainJob):
            return False
        key, asked = job.trace_key(), 0
        with self._lock:
            running = [j for j in self._jobs.values() if j.status == Status.RUNNING]
            if self._closed or self._queue or any(j.alone for j in running) \
                    or (job.runs_alone and running):
                return False     # a memory-heavy net runs beside nothing, not even a warm-up
            if job.runs_alone and any(key in w.traced for w in self._workers.values()
                                      if not w.retiring):
                # its Train needs the whole pool: it would wait for a second trace
                # (over a second for aux_output's LSTM, not cut short by a cancel)
                return False
            for w in self._workers.values():
                if w.job is not None or w.retiring or key in w.traced \
                        or w.warm_ups >= max(1, self._per_worker // 2) \
                        or (job.runs_alone and asked):
                    continue
                job_id = uuid.uuid4().hex[:12]
                warm = job.warming()
                record = self._jobs[job_id] = _Job(job_id, next(self._numbers), warm, WARM_UP)
                record.status = Status.RUNNING
                _traced(w, key)
                w.warm_ups += 1
                w.run(record.number, job_id, warm)
                asked += 1
            self.stats["warm_ups"] += asked
        return asked > 0

    def warming(self) -> int:
        """How many workers are tracing a network for a warm-up now."""
        with self._lock:
            return sum(1 for w in self._workers.values() if self._warms(w))

    def events(self, job_id: str, since: int = 0, watcher: str | None = None) -> list[Event]:
        """Events after the first `since`; polling as `watcher` keeps the job alive."""
        with self._lock:
            job = self._get(job_id)
            if watcher is not None:
                self._watch(job, watcher)
            return list(job.events[since:])

    def release(self, job_id: str, watcher: str) -> bool:
        """This watcher is done with the job (moved on, pressed Stop, left).

        The job is cancelled only when nobody else is watching it; returns
        whether it was.
        """
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None:
                return False
            job.watchers.pop(watcher, None)
            if job.watchers or job.status in FINISHED:
                return False
            self.cancel(job_id)
            return True

    def watchers(self, job_id: str) -> int:
        with self._lock:
            return len(self._get(job_id).watchers)

    def position(self, job_id: str) -> int:
        """1 for the next job to start, 2 for the one after...; 0 if not waiting."""
        with self._lock:
            order = self._fair_order()
            return order.index(job_id) + 1 if job_id in order else 0

    def status(self, job_id: str) -> Status:
        with self._lock:
            return self._get(job_id).status

    def result(self, job_id: str) -> Result | None:
        with self._lock:
            return self._get(job_id).result

    def cancel(self, job_id: str):
        """Stop a job: a queued one never starts, a running one stops soon."""
        with self._lock:
            job = self._get(job_id)
            if job.status == Status.QUEUED:
                self._queue.remove(job_id)
                self._finish(job, Event(EventType.FINISHED, status=Status.CANCELLED,
                                        message="cancelled before it started"))
            elif job.status == Status.RUNNING:
                job.cancelling = True            # no longer offered to newcomers
                for w in self._workers.values():
                    if w.job == job_id:
                        w.cancel(job.number)

    def wait(self, job_id: str, timeout: float | None = None) -> Result | None:
        """Block until the job finishes and its model file is written (for
        scripts and tests, not pages)."""
        return wait_result(self, job_id, timeout)

    def worker_pids(self) -> list[int]:
        with self._lock:
            return [w.pid for w in self._workers.values()]

    def shutdown(self, timeout: float = 5.0):
        """Cancel everything and end the worker processes."""
        with self._lock:
            self._closed = True
            for job_id in list(self._queue) + [w.job for w in self._workers.values() if w.job]:
                self.cancel(job_id)
            workers = list(self._workers.values())
            for w in workers:
                w.quit()
        for w in workers:
            w.end(timeout)

    # -------------------------------------------------------- internals ---
    def _get(self, job_id) -> _Job:
        try:
            return self._jobs[job_id]
        except KeyError:
            raise KeyError(f"unknown job {job_id!r}") from None

    def _spawn(self):
        w = Worker(self._outbox, next(self._worker_numbers), self._per_worker, self._job_fn)
        self._workers[w.number] = w

    def _fair_order(self) -> list[str]:
        """The queue in the order it will be served (queueing.fair_order: the
        presenter's first, then round robin over owners)."""
        running: dict[str, int] = {}
        for job in self._jobs.values():
            if job.status == Status.RUNNING:
                running[job.owner] = running.get(job.owner, 0) + 1
        return fair_order((Waiting(i, self._jobs[i].owner, self._jobs[i].presenter)
                           for i in self._queue), running)

    def _dispatch(self):
        self._start_queued()
        if self._queue:            # a training waits: warm-ups give way (after their trace)
            for w in self._workers.values():
                if self._warms(w) and not self._jobs[w.job].cancelling:
                    self.cancel(w.job)
        for w in self._workers.values():     # and trainings stop pacing their reports
            w.crowd(bool(self._queue))

    def _start_queued(self):
        free = [w for w in self._workers.values() if w.job is None and not w.retiring]
        while free and self._queue:
            running = [j for j in self._jobs.values() if j.status == Status.RUNNING]
            job = self._jobs[self._fair_order()[0]]
            if any(j.alone for j in running) or (job.alone and running):
                return    # a memory-heavy training has the pool to itself; none overtakes it
            key = job.spec.trace_key() if isinstance(job.spec, TrainJob) else None
            w = next((w for w in free if key is not None and key in w.traced), None)
            if w is None and key is not None and self._warming(key):
                return    # the worker tracing it for a warm-up takes it in a moment
            w = w or free[0]
            free.remove(w)                # a worker that has the network traced, if one is free
            self._queue.remove(job.id)
            job.status = Status.RUNNING
            if key is not None:
                _traced(w, key)
            w.run(job.number, job.id, job.spec)
            self.stats["trainings_run"] += 1
            self.stats["max_running"] = max(self.stats["max_running"], sum(
                1 for j in self._jobs.values() if j.status == Status.RUNNING))

    def _warming(self, key) -> bool:
        """Whether a worker is tracing this network for a warm-up now, past its
        first job (a new worker's first job waits for TensorFlow to load: an idle
        worker that traces the network itself is then sooner)."""
        return any(self._warms(w) and w.served > 1 and w.traced[-1] == key
                   for w in self._workers.values())

    def _warms(self, w: Worker) -> bool:
        """Whether this worker runs a warm-up now."""
        job = self._jobs.get(w.job or "")
        return job is not None and job.owner == WARM_UP

    def _watch(self, job: _Job, watcher: str | None):
        if watcher is not None:
            job.watchers[watcher] = time.monotonic()
            job.watched = True

    def _reap_abandoned(self):
        """Cancel unfinished jobs whose every watcher has stopped polling."""
        limit = time.monotonic() - self._abandon_after
        for job in list(self._jobs.values()):
            if not job.watched or job.status in FINISHED or job.abandoned:
                continue
            for watcher, seen in list(job.watchers.items()):
                if seen < limit:
                    del job.watchers[watcher]
            if not job.watchers:
                job.abandoned = True
                self.stats["abandoned"] += 1
                self.cancel(job.id)

    def _finish(self, job: _Job, event: Event, result: Result | None = None):
        if job.owner == WARM_UP:          # nothing to keep: the worker has its trace
            self._jobs.pop(job.id, None)
            self.news.post(job.id, queue_moved=True)     # a worker is free again
            return
        job.status = event.status
        job.result = result
        job.size = result.size if result is not None else 0
        job.events.append(event)
        self.news.post(job.id, queue_moved=True)
        if not event.cached:
            self._store(job)

    def _store(self, job: _Job):
        """A finished training goes to disk, with its model file (so not before)."""
        result = job.result
        if self._disk is not None and job.status == Status.DONE and result is not None \
                and not result.keras_pending:
            self._disk.put(job.key, result)

    def _prune(self):
        """Forget the oldest finished jobs beyond the count and memory budgets
        (a job someone still watches is kept)."""
        done = [j for j in self._jobs.values() if j.status in FINISHED]
        total = sum(j.size for j in done)
        extra = len(done) - self._keep
        for job in done:
            if extra <= 0 and total <= self._keep_bytes:
                break
            if job.watchers and extra <= 0:
                continue
            del self._jobs[job.id]
            if self._by_key.get(job.key) == job.id:
                del self._by_key[job.key]
            extra -= 1
            total -= job.size

    def _pump_loop(self):
        while not (self._closed and not self._workers):
            try:
                message = self._outbox.get(timeout=0.25)
            except queue.Empty:
                message = None
            with self._lock:
                if message is not None:
                    self._handle(message)
                self._reap_abandoned()
                if not self._closed:
                    self._dispatch()

    def _handle(self, m: WorkerMessage):
        worker = self._workers.get(m.worker)
        if m.exit_code is not None:
            self._worker_exited(m.worker, m.exit_code)
            return
        job_id, event = m.job_id, m.event
        if m.garbled:
            if worker is None or worker.job not in self._jobs:
                return
            if self._jobs[worker.job].status in FINISHED:      # its late model file
                self._add_files(self._jobs[worker.job], None, "unreadable model file")
                worker.job = None
                return
            job_id, event = worker.job, Event(EventType.FINISHED, status=Status.FAILED,
                                              message="unreadable message from the worker: "
                                              + m.garbled)
        late = event is None              # the model file of a job that has ended
        pending = bool(m.result is not None and m.result.keras_pending)
        if (late or (event.type == EventType.FINISHED and not pending)) \
                and worker is not None and worker.job == job_id:
            worker.job = None             # free again (a pending file keeps it busy)
        job = self._jobs.get(job_id)
        if job is None:
            return
        if late:
            self._add_files(job, m.result)
        elif event.type == EventType.FINISHED:
            self._finish(job, event, m.result)
            self._prune()
        else:
            job.events.append(event)
            self.news.post(job_id, queue_moved=event.type == EventType.STARTED)

    def _add_files(self, job: _Job, files: Result | None, why: str = ""):
        """The late .keras file (or why there is none) joins the job's Result."""
        result = job.result
        if result is None or not result.keras_pending:
            return
        result.keras = files.keras if files is not None else None
        result.keras_error = files.keras_error if files is not None else why
        result.keras_pending = False
        job.size = result.size
        self._store(job)

    def _worker_exited(self, number: int, code):
        """A worker process is gone (retired, or died): its job, if it had one,
        failed; a successor starts now, so that the two never coexist."""
        w = self._workers.pop(number, None)
        job = self._jobs.get(w.job) if w is not None and w.job is not None else None
        if job is not None and job.status not in FINISHED:
            self._finish(job, Event(
                EventType.FINISHED, status=Status.FAILED,
                message=f"the worker process ended (exit code {code})"))
        elif job is not None:         # it ended while writing the model file
            self._add_files(job, None, f"the worker process ended (exit code {code})")
        if not self._closed and len(self._workers) < self._size:
            self._spawn()


_shared: JobRunner | None = None
_shared_lock = threading.Lock()


def runner_settings() -> dict:
    """The server's pool from the environment (documented in the README):
    MBCORE_WORKERS (default: the number of cores), MBCORE_JOBS_PER_WORKER,
    MBCORE_RESULTS_MB (memory for kept results), MBCORE_CACHE_DIR (keep
    results on disk too, so a restart or a second replica reuses them)."""
    env = os.environ
    return {"workers": max(1, int(env.get("MBCORE_WORKERS", os.cpu_count() or 1))),
            "jobs_per_worker": max(1, int(env.get("MBCORE_JOBS_PER_WORKER", 20))),
            "keep_mb": float(env.get("MBCORE_RESULTS_MB", 256)),
            "cache_dir": env.get("MBCORE_CACHE_DIR") or None}


def shared_runner(**kwargs) -> JobRunner:
    """One runner per server process, shared by all sessions and reruns."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = JobRunner(**{**runner_settings(), **kwargs})
            if os.environ.get("MBCORE_WARM_PRESETS") == "1":
                warm_presets(_shared)
        return _shared


def warm_presets(runner: JobRunner) -> list[str]:
    """Train every lesson's presets in the background, so the first student to
    ask gets the result at once. The warm-up watches its own jobs forever."""
    ids = []
    for lesson in ALL_LESSONS.values():
        for name in lesson.presets:
            job = TrainJob(lesson.preset(name), runs_alone=lesson.runs_alone)
            ids.append(runner.start(job, owner="warm-up", share=True))
    return ids
