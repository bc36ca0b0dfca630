"""The Celery app of the cluster engine, and its one task: train a job kept in Redis.

`python -m mbcore worker` (or `celery -A mbcore.engine.celery_app worker`) runs
it. The worker's main process never loads TensorFlow: each pool process imports
it with its first task, after the fork. One training per pool process
(prefetch 1, acks late), and a process is replaced after MBCORE_JOBS_PER_WORKER
tasks or MBCORE_WORKER_MAX_MB of memory, which hands TensorFlow's leaks back.

Messages are JSON and carry only the job id: the settings (as text pairs), the
resume state and the result live in Redis in safe formats, so nothing a worker
or replica reads is ever unpickled.
"""
from __future__ import annotations

import importlib
import json
import os
import threading

from celery import Celery
from celery.signals import worker_process_init

from mbcore.engine.protocol import CROWDED, Event, EventType, Status, TrainJob
from mbcore.engine.redis_state import JobState
from mbcore.engine.worker import StopSignal
from mbcore.lessons import get_lesson
from mbcore.settings import from_strings

DEFAULT_REDIS_URL = "redis://localhost:6379/0"
CLASS_QUEUE, PRESENTER_QUEUE = "mbcore", "mbcore-presenter"
POLL_SECONDS = 0.5       # how often a training looks for Stop and says it is alive


def redis_url() -> str:
    return os.environ.get("MBCORE_REDIS_URL", DEFAULT_REDIS_URL)


app = Celery("mbcore", broker=redis_url())
app.conf.update(
    task_serializer="json", accept_content=["json"], result_serializer="json",
    task_ignore_result=True,
    task_acks_late=True, worker_prefetch_multiplier=1,
    worker_max_tasks_per_child=int(os.environ.get("MBCORE_JOBS_PER_WORKER", 20)),
    worker_max_memory_per_child=int(float(os.environ.get("MBCORE_WORKER_MAX_MB", 2000)) * 1024),
    task_default_queue=CLASS_QUEUE,
    # a worker listening on both queues empties the presenter's first
    broker_transport_options={"queue_order_strategy": "priority"},
    broker_connection_retry_on_startup=True,
    worker_hijack_root_logger=False,
)

# per pool process: the trainer cache across tasks, and whether jobs wait (the
# watchdog of the running training keeps that up to date)
_worker_state: dict = {CROWDED: threading.Event()}


@worker_process_init.connect
def _warm_up(**_):
    """Load TensorFlow in each new pool process (after the fork) while it waits for
    its first job, as the local pool's workers do, so no Train press pays for the
    import. In a thread: Celery kills a pool process not up within 4 s; a task
    arriving meanwhile waits for the same import."""
    threading.Thread(target=importlib.import_module, args=("mbcore.training.job",),
                     daemon=True, name="mbcore-warm-up").start()


def settings_of(info: dict):
    """The job's Settings from its text pairs, read through the lesson's own fields."""
    lesson = get_lesson(info["lesson"])
    return from_strings(lesson.settings_cls, json.loads(info["settings"]))


class _Watchdog(threading.Thread):
    """While a training runs: keeps its heartbeat, sets `stop` when Stop is pressed
    or when everyone who watched it has stopped polling (closed tabs), and says
    whether other jobs wait (protocol.CROWDED: the training stops pacing)."""

    def __init__(self, state: JobState, job_id: str, stop: StopSignal, abandon_after: float):
        super().__init__(daemon=True, name="mbcore-celery-watchdog")
        self.state, self.job_id, self.stop = state, job_id, stop
        self.abandon_after, self.done = abandon_after, threading.Event()

    def run(self):
        r, k = self.state.r, self.state.k
        crowded = _worker_state[CROWDED]
        while True:
            try:
                waiting = self.state.waiting([PRESENTER_QUEUE, CLASS_QUEUE])
                (crowded.set if waiting else crowded.clear)()
            except Exception:     # Redis away for a moment: pace as before
                pass
            if self.done.wait(POLL_SECONDS):
                return
            try:
                self.state.beat(self.job_id)
                if r.exists(k("stop", self.job_id)):
                    self.stop.set()
                elif r.hget(k("job", self.job_id), "watched") == b"1" and not \
                        self.state.watchers(self.job_id, fresh_for=self.abandon_after):
                    self.stop.set()
            except Exception:     # Redis away for a moment: try again at the next poll
                pass


@app.task(name="mbcore.train")
def train(job_id: str, queue: str = CLASS_QUEUE) -> str:
    """Run one job: claim it, stream its Events to Redis, store its Result.

    Every job sends one message, but a message is a turn, not an order: the
    worker takes the first waiting job in fair order (the presenter's queue,
    then round robin over sessions; queueing.fair_order), which may be another
    one than `job_id`. Celery's queues alone are first come first served, and
    a class of sessions pressing Train in the same second would queue a
    student's nine-run comparison ahead of everyone else. As many turns as jobs
    are sent, so every job is taken; a cancelled job's turn goes to the next."""
    # In the pool process, never in the worker's main process (before the fork), and
    # before the claim: a cold import must not hold up the job's first heartbeat.
    # Not at worker_process_init: Celery kills a pool process not up within 4 s.
    from mbcore.training.job import run_train_job  # TensorFlow loads here
    state = JobState(redis_url())
    job_id = state.claim_next([PRESENTER_QUEUE, CLASS_QUEUE])
    if job_id is None:
        return "skipped"              # its job was cancelled, or taken in another turn
    stop = StopSignal()
    info = state.info(job_id)
    watchdog = _Watchdog(state, job_id, stop, float(info.get("abandon_after", 20)))
    watchdog.start()
    try:
        state.push(job_id, Event(EventType.STARTED, pid=os.getpid()))
        resume = state.r.get(state.k("resume", job_id))
        job = TrainJob(settings_of(info), int(info["epochs"]) if info.get("epochs") else None,
                       resume or None, runs_alone=info.get("alone") == "1")
        result = run_train_job(job, lambda ev: state.push(job_id, ev), stop, _worker_state)
        final = Event(EventType.FINISHED, status=result.status, message=result.message)
    except Exception as err:      # the job failed; the worker carries on
        result = None
        final = Event(EventType.FINISHED, status=Status.FAILED,
                      message=f"{type(err).__name__}: {err}")
    finally:
        watchdog.done.set()
    state.finish(job_id, final, result)
    return str(final.status)

