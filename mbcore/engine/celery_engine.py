"""The cluster engine: trainings on Celery workers, jobs and progress in Redis.

What a replica does here is the local JobRunner's contract (engine.Engine),
but everything it knows lives in Redis (redis_state.py), so a session on any
replica can join, watch, stop or pick up the result of a training started on
another one. The Celery message only names the job; a worker's task
(celery_app.train) reads the rest from Redis.
"""
from __future__ import annotations

import functools
import json
import threading
import time
import uuid
from collections import OrderedDict

import kombu.exceptions
import redis

from mbcore.engine.celery_app import CLASS_QUEUE, PRESENTER_QUEUE, app
from mbcore.engine.protocol import FINISHED, Event, EventType, Result, Status, TrainJob
from mbcore.engine.queueing import wait_result
from mbcore.engine.news import NewsBoard
from mbcore.engine.redis_state import NEWS, PREFIX, JobState, job_hash
from mbcore.settings import to_strings


def _redis_away_is_lost(method):
    """Redis gone mid-session: the job reads as unknown (KeyError), which a page
    already shows as "lost, train again", instead of a connection traceback."""
    @functools.wraps(method)
    def call(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except redis.RedisError as err:
            raise KeyError(f"the training cluster is unreachable ({type(err).__name__})") \
                from None
    return call


_listener_lock = threading.Lock()
# A watcher's polls renew its mark in Redis at most this often (a job is
# abandoned after abandon_after seconds, 20 by default, without one).
SEEN_EVERY = 2.0


class ClusterUnavailable(RuntimeError):
    """Redis did not answer when a training was asked for (`why`: the error's
    name); engine.start_job falls back or passes the page's line (`notice`) on."""

    def __init__(self, why: str, notice: str = ""):
        super().__init__(notice or f"the training cluster is unavailable ({why})")
        self.why = why


class CeleryEngine:
    """Start, watch, stop and read trainings that run on the cluster's workers."""

    name = "celery"

    def __init__(self, url: str, abandon_after: float = 20.0, keep_results: int = 32,
                 check: bool = True):
        self.url, self.abandon_after = url, abandon_after
        self.state = JobState(url)
        if check:
            self.state.r.ping()               # unreachable: the caller falls back
        app.conf.broker_url = url
        self._results: OrderedDict[str, Result] = OrderedDict()  # finished ones read lately
        self._keep = keep_results
        self._news: NewsBoard | None = None
        self._seen: dict[tuple[str, str], float] = {}   # (job, watcher) -> when Redis was told
        self._seen_lock = threading.Lock()
        self._closed = threading.Event()

    @property
    def news(self) -> NewsBoard:
        """This replica's board of job news, fed by one listener thread (started
        with the first page that waits)."""
        if self._news is None:
            with _listener_lock:
                if self._news is None:
                    board = NewsBoard()
                    board.live = False
                    threading.Thread(target=self._listen, args=(board,), daemon=True,
                                     name="mbcore-news-listener").start()
                    self._news = board
        return self._news

    def _listen(self, board: NewsBoard) -> None:
        """Post what the workers publish (redis_state.NEWS) on the board, for as
        long as the engine lives; while Redis is away the board is not live and
        the pages poll, and the listener comes back with Redis."""
        r = redis.Redis.from_url(self.url, socket_connect_timeout=5.0, health_check_interval=30)
        while not self._closed.is_set():
            try:
                with r.pubsub(ignore_subscribe_messages=True) as sub:
                    sub.subscribe(NEWS)
                    board.live = True
                    while not self._closed.is_set():
                        msg = sub.get_message(timeout=1.0)
                        if msg is not None:
                            job_id, _, kind = msg["data"].decode().partition(" ")
                            board.post(job_id, queue_moved=kind in ("started", "finished"))
            except (redis.RedisError, OSError):
                board.live = False
                self._closed.wait(1.0)
        r.close()

    # ---------------------------------------------------------- the contract ---
    def start(self, job: TrainJob, watcher: str | None = None, owner: str = "",
              share: bool = False) -> str:
        """Queue a job on the cluster, or join an identical one (share=True).
        Redis (or the broker) not answering raises ClusterUnavailable."""
        try:
            return self._start(job, watcher, owner, share)
        except (redis.RedisError, OSError, kombu.exceptions.OperationalError) as err:
            raise ClusterUnavailable(type(err).__name__) from None

    def _start(self, job: TrainJob, watcher: str | None, owner: str, share: bool) -> str:
        queue = PRESENTER_QUEUE if job.presenter else CLASS_QUEUE
        fields = {"status": str(Status.QUEUED), "owner": owner or watcher or "",
                  "presenter": "1" if job.presenter else "0",
                  "lesson": type(job.settings).lesson_id, "queue": queue,
                  "settings": json.dumps(to_strings(job.settings, everything=True)),
                  "epochs": "" if job.epochs is None else str(job.epochs),
                  "alone": "1" if job.runs_alone else "0",
                  "abandon_after": str(self.abandon_after), "created": str(time.time())}
        new_id = uuid.uuid4().hex[:12]
        if job.resume:       # before the job exists, so that a worker always finds it
            self.state.r.set(self.state.k("resume", new_id), job.resume, ex=24 * 3600)
        job_id, created = self.state.create(new_id, job_hash(job.settings, job.epochs,
                                                               job.resume), fields, queue, share)
        if watcher is not None:
            self.state.seen(job_id, watcher)
        if created:      # one message per job: a turn for a worker (see celery_app.train)
            app.send_task("mbcore.train", args=[job_id, queue], queue=queue,
                          retry_policy={"max_retries": 1, "interval_start": 0.2})
        elif job.resume:
            self.state.r.delete(self.state.k("resume", new_id))
        return job_id

    def warm_up(self, job: TrainJob) -> bool:
        """Asks no worker (returns False): a Celery task goes to whichever pool
        process takes it first, so the Train that follows would rarely find the
        worker that traced its network, and on a cluster busy with the class a
        warm-up would take a worker from a real training. The workers still load
        TensorFlow before their first task."""
        return False

    @_redis_away_is_lost
    def events(self, job_id: str, since: int = 0, watcher: str | None = None) -> list[Event]:
        found = self.state.poll(job_id, since)   # KeyError if unknown; notices a lost worker
        if watcher is not None and self._tell_seen(job_id, watcher):
            self.state.seen(job_id, watcher)
        return found

    def _tell_seen(self, job_id: str, watcher: str) -> bool:
        """Whether this poll should renew the watcher's mark in Redis."""
        now = time.monotonic()
        with self._seen_lock:
            if now - self._seen.get((job_id, watcher), -SEEN_EVERY) < SEEN_EVERY:
                return False
            self._seen[(job_id, watcher)] = now
            while len(self._seen) > 4096:
                self._seen.pop(next(iter(self._seen)))
            return True

    def release(self, job_id: str, watcher: str) -> bool:
        """This watcher is done; the job is cancelled when nobody else watches it."""
        try:
            status = self.state.status(job_id)
        except KeyError:
            return False
        self.state.r.hdel(self.state.k("watch", job_id), watcher)
        if status in FINISHED or self.state.watchers(job_id, self.abandon_after):
            return False
        self.cancel(job_id)
        return True

    @_redis_away_is_lost
    def watchers(self, job_id: str) -> int:
        self.state.info(job_id)
        return len(self.state.watchers(job_id, self.abandon_after))

    @_redis_away_is_lost
    def position(self, job_id: str) -> int:
        """1 for the next job a free worker takes, 2 for the one after...; 0 if not
        waiting. The presenter's queue is served first, each in fair order."""
        queue = self.state.info(job_id).get("queue", CLASS_QUEUE)
        order = self.state.fair_order(queue)
        if job_id not in order:
            return 0
        ahead = self.state.r.zcard(f"{PREFIX}queued:{PRESENTER_QUEUE}") \
            if queue == CLASS_QUEUE else 0
        return ahead + order.index(job_id) + 1

    @_redis_away_is_lost
    def status(self, job_id: str) -> Status:
        return self.state.status(job_id)

    @_redis_away_is_lost
    def result(self, job_id: str) -> Result | None:
        if job_id in self._results:
            self._results.move_to_end(job_id)
            return self._results[job_id]
        if self.state.status(job_id) not in FINISHED:
            return None
        result = self.state.result(job_id)
        if result is not None:
            self._results[job_id] = result
            while len(self._results) > self._keep:
                self._results.popitem(last=False)
        return result

    def cancel(self, job_id: str) -> None:
        """A queued job never starts; a running one stops at its next report."""
        status = self.state.status(job_id)
        if status == Status.QUEUED and self.state.finish(job_id, Event(
                EventType.FINISHED, status=Status.CANCELLED, message="cancelled before it started")):
            return
        self.state.r.hset(self.state.k("job", job_id), "cancelling", "1")
        self.state.r.set(self.state.k("stop", job_id), "1", ex=24 * 3600)

    def wait(self, job_id: str, timeout: float | None = None) -> Result | None:
        return wait_result(self, job_id, timeout, every=0.1)

    @property
    def stats(self) -> dict:
        return {"trainings_run": int(self.state.r.get(f"{PREFIX}trainings_run") or 0)}

    def shutdown(self, timeout: float = 5.0) -> None:
        """The cluster's jobs outlive a replica; only the connections are closed."""
        self._closed.set()
        self.state.r.close()
