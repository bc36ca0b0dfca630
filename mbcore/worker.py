"""The worker process side of the job runner: one loop per spawned process.

Kept apart from jobs.py so that what runs in the server and what runs in a
worker can each be read on its own. A worker imports the job function (and so
TensorFlow) itself; the server never does.
"""

from __future__ import annotations

import importlib
import os
import threading
import traceback


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
