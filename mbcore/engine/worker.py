"""Worker processes of the job runner: ``python -m mbcore.engine.worker``, talked to
through pickled messages on its stdin and stdout.

Why a plain subprocess and not multiprocessing: a spawned multiprocessing
child re-runs the parent's ``__main__``, and in a Streamlit server that is the
page script (Streamlit installs it as ``__main__``). Every worker then
imported Streamlit and ran a page without a session. Starting the worker as
its own main module also lets the server give it its own environment (a
smaller malloc arena count), and a worker whose server has gone sees its stdin
close and quits.

Server side: ``Worker`` (one per process). Worker side: ``serve()``.
"""

from __future__ import annotations

import importlib
import os
import pickle
import queue
import struct
import subprocess
import sys
import threading
import time
import traceback
from collections import deque
from dataclasses import dataclass
from pathlib import Path

from mbcore.engine.protocol import (CROWDED, LATE_FILES, TRACED_PER_WORKER, Event, EventType,
                                    Result, Status)

_HEADER = struct.Struct("<Q")
ROOT = str(Path(__file__).resolve().parents[2])
# Fewer glibc malloc arenas: a known saver for multi-threaded TensorFlow. With one
# TF thread per worker it measured small (membench: same peak, ~50 MB less after
# 50 trainings); the server's environment may override it.
WORKER_ENV = {"MALLOC_ARENA_MAX": "2", "TF_CPP_MIN_LOG_LEVEL": "3"}


def send(stream, message, lock: threading.Lock) -> None:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    with lock:        # header and body apart: one copy of a big result, not two
        stream.write(_HEADER.pack(len(data)))
        stream.write(data)
        stream.flush()


def receive(stream):
    """The next message; EOFError when the other side has closed the pipe."""
    header = stream.read(_HEADER.size)
    if len(header) < _HEADER.size:
        raise EOFError
    size = _HEADER.unpack(header)[0]
    data = stream.read(size)
    if len(data) < size:
        raise EOFError
    return pickle.loads(data)


# ------------------------------------------------------------ server side ---
@dataclass(frozen=True)
class WorkerMessage:
    """What a worker said, as the runner hears it: an Event of a job (with the
    Result when it is the finished one), the late files of a finished job (no
    event, a Result holding only them), a message it could not read, or, last
    of all and only once the process is gone, its exit code."""
    worker: int
    job_id: str | None = None
    event: Event | None = None
    result: Result | None = None
    garbled: str = ""
    exit_code: int | None = None


class Worker:
    """One worker process as the server sees it; what it says arrives on `outbox`
    as WorkerMessages."""

    def __init__(self, outbox: queue.Queue, number: int, jobs_per_worker: int, job_fn: str):
        self.number, self.jobs_per_worker = number, jobs_per_worker
        self.job: str | None = None        # the job it is running
        self.served = 0                     # jobs handed to it
        # the trace keys (TrainJob.trace_key) of its last jobs, newest last: what its
        # trainer cache (training.job.TrainerCache) holds, as far as the server knows
        self.traced: deque = deque(maxlen=TRACED_PER_WORKER)
        self.warm_ups = 0                   # of the jobs handed to it (JobRunner.warm_up)
        self.crowded = False                # what it was last told (crowd)
        self._lock = threading.Lock()
        env = {**WORKER_ENV, **os.environ}
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [ROOT, os.environ.get("PYTHONPATH")]))
        self.process = subprocess.Popen([sys.executable, "-m", "mbcore.engine.worker"], env=env,
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self._send(("init", {"sys_path": sys.path, "number": number,
                             "jobs": jobs_per_worker, "job_fn": job_fn}))
        threading.Thread(target=self._read, args=(outbox,), daemon=True,
                         name=f"mbcore-worker-{number}-reader").start()

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def retiring(self) -> bool:
        """Has been handed its last job: it exits once that ends."""
        return self.served >= self.jobs_per_worker

    def run(self, number: int, job_id: str, spec) -> None:
        self.job, self.served = job_id, self.served + 1
        self._send(("job", number, job_id, spec))

    def cancel(self, number: int) -> None:
        self._send(("cancel", number))

    def crowd(self, crowded: bool) -> None:
        """Tell it whether trainings wait for a worker (protocol.CROWDED), once
        per change."""
        if crowded != self.crowded:
            self.crowded = crowded
            self._send(("crowded", crowded))

    def quit(self) -> None:
        self._send(None)

    def end(self, timeout: float) -> None:
        """Wait for the process to exit; kill it if it does not."""
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def _send(self, message) -> None:
        try:
            send(self.process.stdin, message, self._lock)
        except (BrokenPipeError, OSError, ValueError):
            pass                      # it has died; its "exited" message says so

    def _read(self, outbox: queue.Queue) -> None:
        stream = self.process.stdout
        while True:
            try:
                job_id, event, result = receive(stream)
                message = WorkerMessage(self.number, job_id, event, result)
            except (EOFError, OSError):
                break
            except Exception as err:  # a message the server cannot unpickle
                message = WorkerMessage(self.number, garbled=f"{type(err).__name__}: {err}")
            outbox.put(message)
        self.end(10.0)
        outbox.put(WorkerMessage(self.number, exit_code=self.process.returncode))


# ------------------------------------------------------------ worker side ---
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


class _Inbox(threading.Thread):
    """Reads the server's messages while a job runs: jobs wait in `jobs`, a
    cancel stops the running job at once, `crowded` says whether trainings wait
    for a worker (protocol.CROWDED). A closed stdin (the server has gone) stops
    the job and ends the worker."""

    def __init__(self, stream):
        super().__init__(daemon=True, name="mbcore-worker-inbox")
        self.stream, self.jobs = stream, queue.Queue()
        self.crowded = threading.Event()
        self._lock = threading.Lock()
        self._cancelled = -1
        self._current: tuple[int, StopSignal] | None = None

    def begin(self, number: int) -> StopSignal:
        """The stop signal of job `number`, already set if it was cancelled."""
        stop = StopSignal()
        with self._lock:
            self._current = (number, stop)
            cancelled = self._cancelled == number
        if cancelled:
            stop.set()
        return stop

    def _stop(self, number: int | None) -> None:
        with self._lock:
            if number is not None:
                self._cancelled = number
            current = self._current
        if current is not None and number in (None, current[0]):
            current[1].set()

    def run(self):
        while True:
            try:
                message = receive(self.stream)
            except (EOFError, OSError):
                self._stop(None)
                message = None
            if message is None:
                self.jobs.put(None)
                return
            if message[0] == "cancel":
                self._stop(message[1])
            elif message[0] == "crowded":
                (self.crowded.set if message[1] else self.crowded.clear)()
            else:
                self.jobs.put(message[1:])


def _load(path: str):
    module, name = path.split(":")
    return getattr(importlib.import_module(module), name)


def serve() -> None:
    """Loop of one worker process: run jobs from stdin, report on stdout."""
    out, out_lock = os.fdopen(os.dup(1), "wb"), threading.Lock()
    os.dup2(2, 1)                       # stray prints go to stderr, not into the messages
    sys.stdout = sys.stderr
    stdin = sys.stdin.buffer
    _, init = receive(stdin)
    sys.path[:0] = [p for p in init["sys_path"] if p not in sys.path]
    # Keras imports pandas (and with it pyarrow) only to recognise DataFrames,
    # which no job passes: leaving it out saves ~65 MB in every worker.
    sys.modules.setdefault("pandas", None)
    inbox = _Inbox(stdin)
    inbox.start()
    # Warm up before the first job arrives: importing the job function loads
    # TensorFlow and the trainer (seconds), which no Train press should wait for.
    # A bad path is not fatal here: the first job tries again and fails with it.
    try:
        job_fn = _load(init["job_fn"])
    except Exception:  # reported by the first job that needs it
        job_fn = None
    state: dict = {CROWDED: inbox.crowded}
    for served in range(1, init["jobs"] + 1):
        message = inbox.jobs.get()
        if message is None:
            break
        number, job_id, spec = message
        stop = inbox.begin(number)

        def emit(event: Event | None, job_id=job_id, result: Result | None = None):
            send(out, (job_id, event, result), out_lock)

        early: list = []

        def finish_early(result: Result, emit=emit, early=early) -> None:
            """The job's result before the job returns (see LATE_FILES)."""
            early.append(result)
            emit(Event(EventType.FINISHED, status=result.status, message=result.message),
                 result=result)
        state[LATE_FILES] = finish_early
        try:
            emit(Event(EventType.STARTED, pid=os.getpid()))
            # one line per training in the server's log (what `loadtest` counts; a
            # warm-up says so, as it trains nobody's network), with how many jobs
            # this worker has had of those it retires after, and the time
            what = "warming up" if getattr(spec, "warm_up", False) else "training"
            print(f"mbcore worker {os.getpid()}: {what} {job_id} (job {served} of "
                  f"{init['jobs']}, {time.strftime('%H:%M:%S')})", file=sys.stderr, flush=True)
            job_fn = job_fn or _load(init["job_fn"])
            result = job_fn(spec, emit, stop, state)
            final = Event(EventType.FINISHED, status=result.status, message=result.message)
        except Exception as err:  # the job failed; the worker carries on
            traceback.print_exc()
            result = None
            final = Event(EventType.FINISHED, status=Status.FAILED,
                          message=f"{type(err).__name__}: {err}")
        try:
            if early:         # the files it wrote after reporting (or why not)
                late = result or Result(early[0].status, keras_error=final.message)
                emit(None, result=Result(late.status, keras=late.keras,
                                         keras_error=late.keras_error))
            else:
                emit(final, result=result)
        except OSError:       # the server has gone: nobody to report to
            break
    try:
        out.close()
    except OSError:
        pass
    sys.stderr.flush()
    os._exit(0)       # skip TensorFlow's slow teardown: nothing is left to save


if __name__ == "__main__":
    from mbcore.engine.worker import serve as _serve  # the module proper, not a __main__ copy
    _serve()
