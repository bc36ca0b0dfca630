"""Training jobs in worker processes, for pages that must stay responsive.

Why processes: Keras is not thread-safe for building and training, every
traced training function leaks memory that only the process's exit returns,
and a Streamlit rerun must neither interrupt nor duplicate a training.  So a
page *starts* a job and then *watches* it by polling ``events(job, since)``;
whatever happens to the page, the job lives in the runner.

The API is deliberately small (start, events, status, cancel, result) so
that sharing identical jobs and a fair queue can be layered on top later.
Workers are spawned (never forked: TensorFlow's threads do not survive a
fork) and retired after ``jobs_per_worker`` jobs to hand leaked memory back.
"""

from __future__ import annotations

import dataclasses
import importlib
import itertools
import multiprocessing as mp
import os
import queue
import threading
import time
import traceback
import uuid
from collections import OrderedDict, deque

DEFAULT_JOB_FN = "mbcore.train_run:run_train_job"
FINISHED = ("done", "stopped", "diverged", "failed", "cancelled")


@dataclasses.dataclass(frozen=True)
class TrainJob:
    """What to train: a lesson's settings, how many epochs, optional resume state."""
    settings: object
    epochs: int | None = None
    resume: bytes | None = None

    def key(self):
        """Identity of the work, for sharing identical jobs later."""
        return (type(self.settings).__name__, self.settings, self.epochs, self.resume)


class StopSignal:
    """A stop flag that also calls hooks (e.g. Trainer.request_stop) when set."""

    def __init__(self):
        self._event = threading.Event()
        self._hooks = []
        self._lock = threading.Lock()

    def set(self):
        with self._lock:
            self._event.set()
            hooks = list(self._hooks)
        for hook in hooks:
            hook()

    def is_set(self) -> bool:
        return self._event.is_set()

    def on_set(self, hook):
        with self._lock:
            self._hooks.append(hook)
            already = self._event.is_set()
        if already:
            hook()


def _load(path: str):
    module, name = path.split(":")
    return getattr(importlib.import_module(module), name)


def _worker_main(inbox, outbox, cancel_no, worker_no, jobs_per_worker, job_fn_path):
    """Loop of one worker process: run jobs from inbox, report on outbox."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    job_fn = _load(job_fn_path)
    state: dict = {}
    outbox.put(("ready", worker_no, None))
    for served in range(1, jobs_per_worker + 1):
        msg = inbox.get()
        if msg is None:
            break
        number, job_id, spec = msg
        outbox.put((job_id, worker_no, {"type": "started", "pid": os.getpid(),
                                        "last": served == jobs_per_worker}))
        stop = StopSignal()
        done = threading.Event()

        def watch(number=number, stop=stop, done=done):
            while not done.wait(0.05):
                if cancel_no.value == number:
                    stop.set()
                    return
        threading.Thread(target=watch, daemon=True).start()
        try:
            result = job_fn(spec, lambda ev, j=job_id: outbox.put((j, worker_no, ev)),
                            stop, state)
            final = {"type": "finished", "status": result.get("status", "done"),
                     "message": result.get("message", ""), "result": result}
        except Exception as err:  # the job failed; the worker carries on
            final = {"type": "finished", "status": "failed",
                     "message": f"{type(err).__name__}: {err}",
                     "traceback": traceback.format_exc()}
        done.set()
        outbox.put((job_id, worker_no, final))
    outbox.put(("retired", worker_no, None))


class _Worker:
    def __init__(self, ctx, outbox, number, jobs_per_worker, job_fn):
        self.number = number
        self.inbox = ctx.Queue()
        self.cancel_no = ctx.Value("q", -1)
        self.process = ctx.Process(
            target=_worker_main, name=f"mbcore-worker-{number}", daemon=True,
            args=(self.inbox, outbox, self.cancel_no, number, jobs_per_worker, job_fn))
        self.process.start()
        self.job: str | None = None
        self.retiring = False


class _Job:
    def __init__(self, job_id, number, spec):
        self.id, self.number, self.spec = job_id, number, spec
        self.status = "queued"
        self.events = [{"type": "queued", "time": time.time()}]
        self.result = None


class JobRunner:
    """Runs jobs in a small pool of spawned worker processes.

    ``start(job) -> id``; ``events(id, since)`` returns the events after the
    first `since` ones (types: queued, started, progress, finished);
    ``cancel(id)`` stops a job after its current epoch (its result then has
    status "stopped" and a resumable ``state``); ``result(id)`` is the
    finished job's result dict, or None while it runs.
    """

    def __init__(self, workers: int = 1, jobs_per_worker: int = 20,
                 job_fn: str = DEFAULT_JOB_FN, keep_finished: int = 200):
        self._ctx = mp.get_context("spawn")
        self._outbox = self._ctx.Queue()
        self._lock = threading.RLock()
        self._jobs: OrderedDict[str, _Job] = OrderedDict()
        self._queue: deque[str] = deque()
        self._numbers = itertools.count()
        self._worker_numbers = itertools.count()
        self._size, self._per_worker, self._job_fn = workers, jobs_per_worker, job_fn
        self._keep = keep_finished
        self._workers: dict[int, _Worker] = {}
        self._closed = False
        with self._lock:
            for _ in range(workers):
                self._spawn()
        self._pump = threading.Thread(target=self._pump_loop, daemon=True,
                                      name="mbcore-job-pump")
        self._pump.start()

    # ---------------------------------------------------------- public ---
    def start(self, job: TrainJob) -> str:
        """Queue a job; returns its id at once."""
        with self._lock:
            if self._closed:
                raise RuntimeError("the job runner is shut down")
            job_id = uuid.uuid4().hex[:12]
            self._jobs[job_id] = _Job(job_id, next(self._numbers), job)
            self._queue.append(job_id)
            self._dispatch()
            self._prune()
        return job_id

    def events(self, job_id: str, since: int = 0) -> list[dict]:
        with self._lock:
            return list(self._get(job_id).events[since:])

    def status(self, job_id: str) -> str:
        with self._lock:
            return self._get(job_id).status

    def result(self, job_id: str) -> dict | None:
        with self._lock:
            return self._get(job_id).result

    def cancel(self, job_id: str):
        """Stop a job: a queued one never starts, a running one stops soon."""
        with self._lock:
            job = self._get(job_id)
            if job.status == "queued":
                self._queue.remove(job_id)
                self._finish(job, {"type": "finished", "status": "cancelled",
                                   "message": "cancelled before it started"})
            elif job.status == "running":
                for w in self._workers.values():
                    if w.job == job_id:
                        w.cancel_no.value = job.number

    def wait(self, job_id: str, timeout: float | None = None) -> dict | None:
        """Block until the job finishes (for scripts and tests, not pages)."""
        end = None if timeout is None else time.monotonic() + timeout
        while self.status(job_id) not in FINISHED:
            if end is not None and time.monotonic() > end:
                return None
            time.sleep(0.05)
        return self.result(job_id)

    def worker_pids(self) -> list[int]:
        with self._lock:
            return [w.process.pid for w in self._workers.values()]

    def shutdown(self, timeout: float = 5.0):
        """Cancel everything and end the worker processes."""
        with self._lock:
            self._closed = True
            for job_id in list(self._queue) + [w.job for w in self._workers.values() if w.job]:
                self.cancel(job_id)
            workers = list(self._workers.values())
            for w in workers:
                w.inbox.put(None)
        for w in workers:
            w.process.join(timeout)
            if w.process.is_alive():
                w.process.terminate()
                w.process.join(1.0)

    # -------------------------------------------------------- internals ---
    def _get(self, job_id) -> _Job:
        try:
            return self._jobs[job_id]
        except KeyError:
            raise KeyError(f"unknown job {job_id!r}") from None

    def _spawn(self):
        w = _Worker(self._ctx, self._outbox, next(self._worker_numbers),
                    self._per_worker, self._job_fn)
        self._workers[w.number] = w

    def _dispatch(self):
        for w in self._workers.values():
            if not self._queue:
                return
            if w.job is None and not w.retiring and w.process.is_alive():
                job = self._jobs[self._queue.popleft()]
                job.status = "running"
                w.job = job.id
                w.inbox.put((job.number, job.id, job.spec))

    def _finish(self, job: _Job, event: dict):
        job.status = event["status"]
        job.result = event.pop("result", None)
        job.events.append({**event, "time": time.time()})

    def _prune(self):
        done = [j for j in self._jobs.values() if j.status in FINISHED]
        for job in done[:max(0, len(done) - self._keep)]:
            del self._jobs[job.id]

    def _pump_loop(self):
        while not (self._closed and not self._workers):
            try:
                job_id, worker_no, event = self._outbox.get(timeout=0.25)
            except queue.Empty:
                job_id = None
            except (EOFError, OSError):
                return
            with self._lock:
                if job_id is not None:
                    self._handle(job_id, worker_no, event)
                self._check_workers()
                if not self._closed:
                    self._dispatch()

    def _handle(self, job_id, worker_no, event):
        worker = self._workers.get(worker_no)
        if job_id == "retired":
            self._workers.pop(worker_no, None)
            if not self._closed and len(self._workers) < self._size:
                self._spawn()
            return
        if job_id == "ready" or job_id not in self._jobs:
            return
        job = self._jobs[job_id]
        if event["type"] == "finished":
            self._finish(job, event)
            if worker is not None:
                worker.job = None
            return
        if event["type"] == "started" and event.get("last") and worker is not None:
            # spawn the successor now so it has imported TensorFlow by the
            # time the retiring worker's last job ends
            worker.retiring = True
            if not self._closed:
                self._spawn()
        job.events.append({**event, "time": time.time()})

    def _check_workers(self):
        for number, w in list(self._workers.items()):
            if w.process.is_alive():
                continue
            if w.job is not None and w.job in self._jobs:
                self._finish(self._jobs[w.job], {
                    "type": "finished", "status": "failed",
                    "message": f"the worker process ended (exit code {w.process.exitcode})"})
            del self._workers[number]
            if not self._closed and not w.retiring:
                self._spawn()


_shared: JobRunner | None = None
_shared_lock = threading.Lock()


def shared_runner(**kwargs) -> JobRunner:
    """One runner per server process, shared by all sessions and reruns."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = JobRunner(**kwargs)
        return _shared
