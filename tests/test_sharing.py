"""A whole class at once: identical trainings shared, abandoned ones stopped,
a fair queue, bounded memory for results, and results kept on disk.

These use a tiny job function (no TensorFlow), so they test the runner itself.
"""
import os
import time

import numpy as np
import pytest

from mbcore.jobs import FINISHED, JobRunner

FN = f"{__name__}:_ticker"


def _ticker(spec, emit, stop, state):
    """Ticks `spec[1]` times, 20 ms each, unless stopped; result carries an array."""
    name, ticks = spec
    for i in range(ticks):
        if stop.is_set():
            return {"status": "stopped", "ticks": i}
        emit({"type": "progress", "epoch": i + 1, "rows": [{"loss": 1.0 / (i + 1)}]})
        time.sleep(0.02)
    return {"status": "done", "name": name, "pid": os.getpid(),
            "payload": np.zeros(25_000, dtype="float64")}      # 200 kB


def wait_for(predicate, timeout=60.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.02)
    return False


@pytest.fixture
def make_runner():
    made = []

    def make(**kw):
        r = JobRunner(job_fn=FN, **{"workers": 1, **kw})
        made.append(r)
        return r
    yield make
    for r in made:
        r.shutdown()


def test_identical_requests_share_one_training(make_runner):
    r = make_runner()
    ids = {r.start(("same", 20), watcher=f"student{i}", share=True) for i in range(20)}
    assert len(ids) == 1
    (job,) = ids
    assert r.wait(job, 60)["status"] == "done"
    assert r.watchers(job) == 20
    late = r.start(("same", 20), watcher="latecomer", share=True)
    assert late == job and r.status(late) == "done"
    assert r.stats["trainings_run"] == 1 and r.stats["shared"] == 20


def test_without_share_identical_jobs_run_separately(make_runner):
    r = make_runner()
    a, b = r.start(("x", 1)), r.start(("x", 1))
    assert a != b
    r.wait(a, 60), r.wait(b, 60)
    assert r.stats["trainings_run"] == 2


def test_a_stopped_job_is_not_handed_to_the_next_student(make_runner):
    r = make_runner()
    first = r.start(("long", 2000), watcher="a", share=True)
    assert wait_for(lambda: r.status(first) == "running")
    r.cancel(first)
    assert r.wait(first, 30)["status"] == "stopped"
    second = r.start(("long", 2000), watcher="b", share=True)
    assert second != first
    r.cancel(second)


def test_a_job_being_cancelled_is_not_joined(make_runner):
    r = make_runner()
    first = r.start(("again", 2000), watcher="a", share=True)
    assert wait_for(lambda: r.status(first) == "running")
    assert r.release(first, "a") is True
    second = r.start(("again", 2000), watcher="a2", share=True)   # Train pressed again
    assert second != first
    r.cancel(second)


def test_release_cancels_only_when_nobody_else_watches(make_runner):
    r = make_runner()
    job = r.start(("watched", 2000), watcher="a", share=True)
    assert r.start(("watched", 2000), watcher="b", share=True) == job
    assert wait_for(lambda: r.status(job) == "running")
    assert r.release(job, "a") is False
    time.sleep(0.2)
    assert r.status(job) == "running"
    assert r.release(job, "b") is True
    assert wait_for(lambda: r.status(job) in FINISHED, 30)
    assert r.status(job) == "stopped"


def test_an_abandoned_training_is_stopped_and_a_watched_one_is_not(make_runner):
    r = make_runner(workers=2, abandon_after=0.6)
    left = r.start(("closed tab", 2000), watcher="gone")
    kept = r.start(("open tab", 2000), watcher="here")
    end = time.monotonic() + 60
    while time.monotonic() < end and r.status(left) not in FINISHED:
        r.events(kept, watcher="here")         # the open tab keeps polling
        time.sleep(0.1)
    assert r.status(left) in FINISHED and r.stats["abandoned"] == 1
    assert r.status(kept) == "running"
    r.cancel(kept)


def test_queue_is_fair_between_owners(make_runner):
    r = make_runner()
    busy = r.start(("busy", 2000), owner="z")
    assert wait_for(lambda: r.status(busy) == "running")
    mine = [r.start((f"a{i}", 1), owner="alice") for i in range(3)]
    bob = r.start(("b", 1), owner="bob")
    assert r.position(mine[0]) == 1 and r.position(bob) == 2
    assert r.position(mine[2]) == 4 and r.position(busy) == 0
    r.cancel(busy)
    assert r.wait(bob, 30)["status"] == "done"


def test_kept_results_are_bounded_by_memory(make_runner):
    r = make_runner(keep_mb=0.5)                 # room for two 200 kB results
    jobs = [r.start((f"r{i}", 1)) for i in range(6)]
    assert r.wait(jobs[-1], 60)["status"] == "done"     # the newest is never the one dropped
    kept = [j for j in jobs if j in r._jobs]
    assert 1 <= len(kept) <= 2 and kept[-1] == jobs[-1]
    with pytest.raises(KeyError):
        r.events(jobs[0])


def test_results_on_disk_survive_a_restart(make_runner, tmp_path):
    first = make_runner(cache_dir=str(tmp_path))
    job = first.start(("disk", 3), watcher="a", share=True)
    assert first.wait(job, 60)["status"] == "done"
    first.shutdown()
    again = make_runner(cache_dir=str(tmp_path))
    job2 = again.start(("disk", 3), watcher="b", share=True)
    result = again.result(job2)
    assert result is not None and result["name"] == "disk"
    assert again.stats["from_disk"] == 1 and again.stats["trainings_run"] == 0
    assert [e["type"] for e in again.events(job2)] == ["queued", "started", "finished"]
