"""News of jobs, for the pages that wait on them.

A page watching a training waits for its next epoch before it redraws. Asking
the engine every few milliseconds whether one came (for the cluster: several
Redis round trips each time) costs a server more than the training when a class
watches; instead each engine posts on one NewsBoard per server when a job has
a new event, and a waiting page sleeps on it. The local engine posts from the
thread that reads its workers' messages; the cluster engine from one thread per
replica that listens to what the workers publish in Redis (celery_engine).

A post only says "look again": the events themselves are read from the engine
as before, so a missed post costs a wait's timeout, never an event.
"""
from __future__ import annotations

import itertools
import threading
from collections import OrderedDict

KEEP = 4096          # jobs remembered; a forgotten one just wakes its waiter once more


class NewsBoard:
    """Which job had news last, with a Condition that waiting pages sleep on.

    A mark (from `mark`) is what the board had seen when a page last read its
    job; `wait` returns once the job (or, with queued=True, the queue: a job
    that started or ended) has news after that mark. `live` is False while the
    posts cannot arrive (the cluster's listener lost Redis): pages then poll."""

    def __init__(self):
        self._cond = threading.Condition()
        self._numbers = itertools.count(1)
        self._last: OrderedDict[str, int] = OrderedDict()     # job id -> number of its last post
        self._moved = 0                                        # number of the last queue move
        self.live = True

    def mark(self, job_id: str) -> tuple[int, int]:
        with self._cond:
            return self._last.get(job_id, 0), self._moved

    def post(self, job_id: str, queue_moved: bool = False) -> None:
        """`job_id` has a new event; `queue_moved`: it started or ended, so the
        queued jobs behind it moved up."""
        with self._cond:
            number = next(self._numbers)
            self._last[job_id] = number
            self._last.move_to_end(job_id)
            while len(self._last) > KEEP:
                self._last.popitem(last=False)
            if queue_moved:
                self._moved = number
            self._cond.notify_all()

    def wait(self, job_id: str, mark: tuple[int, int], timeout: float,
             queued: bool = False) -> bool:
        """Sleep until there is news after `mark` or `timeout` seconds have passed;
        returns whether there is news."""
        def news():
            job, moved = self._last.get(job_id, 0), self._moved
            return job != mark[0] or (queued and moved != mark[1])
        with self._cond:
            return self._cond.wait_for(news, timeout)
