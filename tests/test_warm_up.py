"""Warm-ups: a lesson page has the idle workers trace its network while it is read,
so that Train does not wait for the trace. The oracle is the worker's own trainer
cache: a training after a warm-up reports that it reused the trace
(Result.reused_trace), the first training of a fresh worker that it did not.

A warm-up must never cost the class anything: it gives way to a real training,
is never joined or stored as a result, and skips a net that must run alone.
"""
import time

import pytest
from streamlit.testing.v1 import AppTest

from conftest import ROOT
from mbcore.engine import runner as runner_module
from mbcore.engine.protocol import FINISHED, Status, TrainJob
from mbcore.engine.runner import JobRunner
from mbcore.lessons import get_lesson

TINY = dict(n_train=100, n_val=40, left_depth=1, right_depth=1, epochs=3)


def job(**changes) -> TrainJob:
    return TrainJob(get_lesson("multi_io").settings_cls(**{**TINY, **changes}))


def until(done, timeout: float = 120.0) -> None:
    end = time.monotonic() + timeout
    while not done():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.05)


@pytest.fixture
def runner():
    r = JobRunner(workers=1)
    yield r
    r.shutdown()


def test_a_training_after_a_warm_up_reuses_its_trace(runner):
    cold = runner.wait(runner.start(job(seed=1)), timeout=120)
    assert cold.status == Status.DONE and not cold.reused_trace     # the oracle's other side

    wider = dict(left_width=24)                  # another network: not traced yet
    assert runner.warm_up(job(**wider))
    assert not runner.warm_up(job(seed=7, **wider)), "the seed does not change the trace"
    until(lambda: runner.warming() == 0)
    result = runner.wait(runner.start(job(seed=2, **wider)), timeout=120)
    assert result.status == Status.DONE and result.epoch == TINY["epochs"]
    assert result.reused_trace
    assert runner.stats["trainings_run"] == 2 and runner.stats["warm_ups"] == 1


def test_a_training_asked_for_during_a_warm_up_does_not_wait_for_it(runner):
    """The warm-up is cancelled (at its next report); the training then runs whole."""
    long = dict(n_train=2000, batch_size=1, epochs=50)      # minutes, if nothing stopped it
    assert runner.warm_up(job(**long))
    until(lambda: runner.warming() == 1)
    real = runner.start(job(seed=3))
    result = runner.wait(real, timeout=120)
    assert result.status == Status.DONE and result.epoch == TINY["epochs"]
    assert runner.warming() == 0 and runner.stats["trainings_run"] == 1


def test_warm_ups_are_never_results_and_never_crowd_the_queue(runner):
    warm = job(seed=4)
    assert runner.warm_up(warm)
    until(lambda: runner.warming() == 0)
    # the same settings, one epoch, shared: trained for real, not the warm-up's leftovers
    same = runner.start(job(seed=4, epochs=1), share=True)
    assert runner.wait(same, timeout=120).history, "a real result has its curves"
    assert runner.stats["trainings_run"] == 1 and runner.stats["shared"] == 0

    busy = runner.start(job(**{"n_train": 2000, "batch_size": 1, "epochs": 50}))
    alone = TrainJob(warm.settings.replace(left_width=40), runs_alone=True)
    assert not runner.warm_up(alone), "a net that needs the pool to itself runs beside nothing"
    queued = runner.start(job(seed=5))
    assert not runner.warm_up(job(left_width=48)), "no warm-up while trainings wait"
    for job_id in (queued, busy):
        runner.cancel(job_id)
        until(lambda job_id=job_id: runner.status(job_id) in FINISHED)


def test_a_net_that_runs_alone_is_warmed_on_one_worker_once():
    """Its Train needs the whole pool: a second worker tracing it (a new seed
    while the page is read) would only make the Train wait for that trace."""
    r = JobRunner(workers=2)
    try:
        alone = TrainJob(job(left_width=14).settings, runs_alone=True)
        until(lambda: len(r._workers) == 2)
        assert r.warm_up(alone) and r.warming() == 1
        until(lambda: r.warming() == 0)
        assert not r.warm_up(TrainJob(alone.settings.replace(seed=9), runs_alone=True))
        result = r.wait(r.start(TrainJob(alone.settings.replace(seed=9), runs_alone=True)),
                        timeout=120)
        assert result.status == Status.DONE and result.reused_trace
    finally:
        r.shutdown()


def test_warm_ups_take_at_most_half_of_a_workers_life():
    """A worker is replaced after `jobs_per_worker` jobs, warm-ups included: slider
    moves must not use up the pool (each successor loads TensorFlow again)."""
    r = JobRunner(workers=1, jobs_per_worker=4)
    try:
        assert r.warm_up(job(left_width=11))
        until(lambda: r.warming() == 0)
        assert r.warm_up(job(left_width=12))
        until(lambda: r.warming() == 0)
        assert not r.warm_up(job(left_width=13)), "2 of 4 jobs were warm-ups already"
        assert r.wait(r.start(job(left_width=13)), timeout=120).status == Status.DONE
    finally:
        r.shutdown()


@pytest.mark.usefixtures("end_workers")
def test_opening_a_lesson_page_warms_the_idle_workers(monkeypatch):
    monkeypatch.setenv("MBCORE_WARM_UP", "1")
    runner = runner_module.shared_runner(workers=1)
    AppTest.from_file(str(ROOT / "pages" / "two_branches.py"), default_timeout=60).run()
    assert runner.stats["warm_ups"] == 1
    monkeypatch.setenv("MBCORE_WARM_UP", "0")
    AppTest.from_file(str(ROOT / "pages" / "mlp_shapes.py"), default_timeout=60).run()
    assert runner.stats["warm_ups"] == 1, "MBCORE_WARM_UP=0 turns them off"


def test_a_training_stops_pacing_while_another_waits_for_its_worker(monkeypatch):
    """protocol.CROWDED: the runner tells its workers when trainings queue. A
    training whose ten first reports are paced 5 s apart (nearly a minute) ends
    soon after a second one queues behind it, and the second then runs."""
    monkeypatch.setenv("MBCORE_PACE_SECONDS", "5")      # the workers read it per job
    r = JobRunner(workers=1)
    try:
        first = r.start(job(seed=11, epochs=10))
        until(lambda: r.status(first) == Status.RUNNING)
        time.sleep(1.0)                                   # its pacing has begun
        queued = time.monotonic()
        second = r.start(job(seed=12, epochs=1))         # one report: nothing to pace
        assert r.wait(first, timeout=120).status == Status.DONE
        assert time.monotonic() - queued < 20, "the first kept pacing with the second queued"
        assert r.wait(second, timeout=120).status == Status.DONE
    finally:
        r.shutdown()
