"""A whole class at once: identical trainings shared, abandoned ones stopped,
a fair queue, bounded memory for results, and results kept on disk.

These use a tiny job function (no TensorFlow), so they test the runner itself.
"""
import os
import time

import numpy as np
import pytest

from mbcore.engine.protocol import FINISHED, Event, EventType, Result, Status
from mbcore.engine.runner import JobRunner

FN = f"{__name__}:_ticker"


def _ticker(spec, emit, stop, state):
    """Ticks `spec[1]` times, 20 ms each, unless stopped; result carries an array."""
    name, ticks = spec
    for i in range(ticks):
        if stop.is_set():
            return Result(Status.STOPPED, epoch=i, epochs=ticks, insights={"ticks": i})
        emit(Event(EventType.PROGRESS, epoch=i + 1, rows=({"loss": 1.0 / (i + 1)},)))
        time.sleep(0.02)
    return Result(Status.DONE, epoch=ticks, epochs=ticks, insights={"name": name, "pid": os.getpid(),
                                         "payload": np.zeros(25_000, dtype="float64")})  # 200 kB


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
    assert r.wait(job, 60).status == "done"
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
    assert r.wait(first, 30).status == "stopped"
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
    assert r.wait(bob, 30).status == "done"


def test_kept_results_are_bounded_by_memory(make_runner):
    r = make_runner(keep_mb=0.5)                 # room for two 200 kB results
    jobs = [r.start((f"r{i}", 1)) for i in range(6)]
    assert r.wait(jobs[-1], 60).status == "done"     # the newest is never the one dropped
    kept = [j for j in jobs if j in r._jobs]
    assert 1 <= len(kept) <= 2 and kept[-1] == jobs[-1]
    with pytest.raises(KeyError):
        r.events(jobs[0])


def test_results_on_disk_survive_a_restart(make_runner, tmp_path):
    first = make_runner(cache_dir=str(tmp_path))
    job = first.start(("disk", 3), watcher="a", share=True)
    assert first.wait(job, 60).status == "done"
    first.shutdown()
    again = make_runner(cache_dir=str(tmp_path))
    job2 = again.start(("disk", 3), watcher="b", share=True)
    result = again.result(job2)
    assert result is not None and result.insights["name"] == "disk"
    assert again.stats["from_disk"] == 1 and again.stats["trainings_run"] == 0
    assert [e.type for e in again.events(job2)] == ["queued", "started", "finished"]


# ---- the page's side: Watch (one per tab) and two tabs of the same page ----

def _train_ticker(job, emit, stop, state):
    """A TrainJob that ticks once per epoch, as the pages' Watch expects."""
    return _ticker((job.settings.seed, job.epochs), emit, stop, state)


@pytest.fixture
def shared(monkeypatch):
    """The server's shared runner, replaced by one running `_train_ticker`."""
    from mbcore.engine import runner as jobs
    r = JobRunner(job_fn=f"{__name__}:_train_ticker", workers=1)
    monkeypatch.setattr(jobs, "_shared", r)
    yield r
    r.shutdown()


def settings(**changes):
    """multi_io resolved once, as a page passes it to a Watch."""
    from mbcore.lessons import Experiment, get_lesson
    return Experiment.of(get_lesson("multi_io").settings_cls(**changes))


def poll(watch, until, timeout=60.0):
    return wait_for(lambda: until(watch.update()), timeout)


def test_two_tabs_train_once_and_a_stop_in_one_leaves_the_other_running(shared):
    from mbcore.engine.watch import Watch
    first, second = Watch(settings(), epochs=2000), Watch(settings(), epochs=2000)
    assert first.id == second.id and shared.stats["trainings_run"] == 1
    assert poll(first, lambda w: w.epoch >= 2) and poll(second, lambda w: w.epoch >= 2)
    second.cancel()
    assert second.status == "stopped" and "goes on for them" in second.message
    seen = first.epoch
    assert poll(first, lambda w: w.epoch >= seen + 3)            # still training
    assert first.status == "running" and shared.status(first.id) == "running"
    first.cancel()                                  # the last watcher: now it stops
    assert poll(first, lambda w: w.finished, 30)
    assert first.status == "stopped" and first.run is not None
    again = Watch(settings(), epochs=3)             # the page is usable: train again
    assert poll(again, lambda w: w.finished) and again.status == "done"


def test_stop_while_queued_while_starting_and_after_the_end(shared):
    from mbcore.engine.watch import Watch
    busy = shared.start(("someone else's", 2000), owner="z")
    assert wait_for(lambda: shared.status(busy) == "running")
    queued = Watch(settings(seed=1), epochs=5)
    assert queued.update().status == "queued" and queued.position == 1
    queued.cancel()
    assert poll(queued, lambda w: w.finished, 5)
    assert queued.status == "cancelled" and queued.position == 0
    shared.cancel(busy)

    starting = Watch(settings(seed=2), epochs=2000)     # Stop before its first epoch
    starting.cancel()
    assert poll(starting, lambda w: w.finished, 30)
    assert starting.status in ("cancelled", "stopped") and starting.epoch < 2000

    done = Watch(settings(seed=3), epochs=3)
    assert poll(done, lambda w: w.finished) and done.status == "done"
    done.cancel()                                      # Stop after the end changes nothing
    assert done.update().status == "done" and done.run.epoch == 3
    retry = Watch(settings(seed=2), epochs=4)           # Train again after a stop
    assert retry.id != starting.id
    assert poll(retry, lambda w: w.finished) and retry.status == "done"


def test_stop_after_the_runner_forgot_the_job_says_so(shared, monkeypatch):
    from mbcore.engine import runner as jobs
    from mbcore.engine.watch import Watch
    watch = Watch(settings(seed=4), epochs=2000)
    assert poll(watch, lambda w: w.epoch >= 1)
    fresh = JobRunner(job_fn=f"{__name__}:_train_ticker", workers=1)   # a restarted server
    monkeypatch.setattr(jobs, "_shared", fresh)
    try:
        watch.cancel()
        assert watch.status == "stopped" and "lost" in watch.message
        assert "others" not in watch.message.lower()
    finally:
        fresh.shutdown()


def test_two_tabs_of_a_page_share_the_training_and_stop_only_their_own_view(monkeypatch):
    """The same student opens the multi_io page twice (two sessions) and trains
    the same settings in both: one training; Stop in one tab leaves the other's."""
    from streamlit.testing.v1 import AppTest
    from conftest import ROOT
    from mbcore.engine import runner as jobs
    runner = JobRunner(workers=1)                        # the real training job
    monkeypatch.setattr(jobs, "_shared", runner)

    def tab():
        at = AppTest.from_file(str(ROOT / "pages" / "multi_io.py"), default_timeout=60).run()
        for key, value in {"epochs": 1000, "left_depth": 2, "right_depth": 2}.items():
            at.get_by_key(key).set_value(value).run()
        at.button(key="multi_io/train_start").click().run()
        assert not at.exception and not at.error
        return at

    def progress(at):
        at.run()
        assert not at.exception, at.exception[0].value
        return at.get("progress")[0].proto.text

    try:
        first, second = tab(), tab()
        assert runner.stats["trainings_run"] == 1 and runner.stats["shared"] == 1
        assert wait_for(lambda: "Epoch " in progress(first), 120)
        second.button(key="multi_io/train_stop").click().run()
        assert any("goes on for them" in w.value for w in second.warning)
        seen = progress(first)
        assert wait_for(lambda: progress(first) != seen, 30)   # the first tab still trains
        assert "stopped" not in progress(first)
        assert not first.button(key="multi_io/train_stop").disabled
        first.button(key="multi_io/train_stop").click().run()
        assert wait_for(lambda: "stopped" in progress(first), 30)
        assert runner.stats["trainings_run"] == 1 and not first.exception
    finally:
        runner.shutdown()


class Alone(tuple):
    """A ticker spec whose training needs the whole pool's memory."""
    runs_alone = True


def test_a_memory_heavy_training_runs_with_no_other_beside_it(make_runner):
    r = make_runner(workers=2)
    small = r.start(("small", 150))
    assert wait_for(lambda: r.status(small) == "running")
    heavy = r.start(Alone(("heavy", 50)))
    later = r.start(("later", 1))
    time.sleep(0.5)       # a worker is free, yet the heavy one waits and nothing overtakes it
    assert r.status(heavy) == "queued" and r.status(later) == "queued"
    assert r.wait(heavy, 30).status == "done"
    assert r.wait(later, 30).status == "done"
    assert r.stats["max_running"] == 1


def test_a_page_asks_the_pool_to_run_aux_output_alone_and_nothing_else(shared):
    """The Watch passes the resolved lesson's runs_alone on with the job; only
    aux_output (an LSTM over a 10,000 x 512 embedding) has it."""
    from mbcore.engine.watch import Watch
    from mbcore.lessons import ALL_LESSONS, Experiment
    alone = {}
    for lesson in ALL_LESSONS.values():
        watch = Watch(Experiment.of(lesson.settings_cls()), epochs=1)
        alone[lesson.id] = shared._jobs[watch.id].alone
        watch.cancel()
    assert {k for k, v in alone.items() if v} == {"aux_output"}


def test_a_page_waits_for_news_but_lets_go_when_asked_and_sees_a_stop_land(shared):
    """The live view's wait ends with a new epoch, or at once when the user asks for
    something (interrupted); after Stop, wait_for_end shows where the run ended."""
    from mbcore.engine.watch import Watch
    watch = Watch(settings(seed=5), epochs=2000)
    assert poll(watch, lambda w: w.epoch >= 1)
    seen = watch.epoch
    assert watch.wait_for_news(600).epoch > seen          # returns on news, not at 600 s
    asked = watch.wait_for_news(600, interrupted=lambda: True)
    assert not asked.finished                             # let go without news or end
    watch.cancel()
    assert watch.wait_for_end(600).finished and watch.status == "stopped"
    assert watch.run is not None and 0 < watch.run.epoch < 2000
