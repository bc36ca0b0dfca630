"""What both engines do alike with their queues: the order waiting jobs are
served in, and waiting (in scripts and tests) for a job to end.

The order is one rule for the local pool and the cluster, so that a page's
"number N in the queue" means the same on either: the lecturer's trainings
first, then round robin over owners (sessions), so that one student's
nine-run comparison does not hold up the rest of the class; within a turn,
first come first served.
"""
from __future__ import annotations

import time
from typing import Iterable, NamedTuple

from mbcore.engine.protocol import FINISHED


class Waiting(NamedTuple):
    job_id: str
    owner: str
    presenter: bool = False


def fair_order(waiting: Iterable[Waiting], running: dict[str, int]) -> list[str]:
    """Job ids of `waiting` (in arrival order) in the order they will be served,
    given how many jobs each owner has running already."""
    turns: dict[str, int] = {}
    ranked = []
    for arrival, job in enumerate(waiting):
        turns[job.owner] = turns.get(job.owner, running.get(job.owner, 0)) + 1
        ranked.append((not job.presenter, turns[job.owner], arrival, job.job_id))
    return [job_id for *_, job_id in sorted(ranked)]


def wait_result(engine, job_id: str, timeout: float | None = None, every: float = 0.05):
    """Block until the job finishes and its model file is written, then its Result;
    None after `timeout` seconds. For scripts and tests, never pages (they poll)."""
    end = None if timeout is None else time.monotonic() + timeout
    while engine.status(job_id) not in FINISHED or getattr(engine.result(job_id),
                                                           "keras_pending", False):
        if end is not None and time.monotonic() > end:
            return None
        time.sleep(every)
    return engine.result(job_id)
