"""The job runner: training in spawned workers, streamed events, cancel,
resume, recycling of workers, and failures that leave the runner usable."""

import os
import sys
import time
import types

import pytest

from mbcore.engine.protocol import FINISHED, Event, EventType, Result, Status, TrainJob
from mbcore.engine.runner import JobRunner
from mbcore.lessons import get_lesson

SMALL = dict(n_train=200, n_val=50)


def multi_io(**changes):
    return get_lesson("multi_io").settings_cls(**{**SMALL, **changes})


@pytest.fixture(scope="module")
def runner():
    r = JobRunner(workers=1, jobs_per_worker=3)
    yield r
    r.shutdown()


def wait_for(predicate, timeout=120.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def test_a_job_streams_progress_and_ends_with_plain_result_data(runner):
    settings = multi_io()
    job = runner.start(TrainJob(settings, epochs=6))
    result = runner.wait(job, timeout=180)
    assert result is not None and result.status == "done"
    events = runner.events(job)
    kinds = [e.type for e in events]
    assert kinds[0] == "queued" and kinds[1] == "started" and kinds[-1] == "finished"
    progress = [e for e in events if e.type == "progress"]
    assert progress[-1].epoch == 6
    assert sum(len(p.rows) for p in progress) == 6
    assert runner.events(job, since=len(events) - 1) == events[-1:]
    assert len(result.history["sin_output_loss"]) == 6
    assert set(result.predictions) == {"sin_output", "exp_output"}
    assert isinstance(result.keras, bytes) and isinstance(result.state, bytes)


def test_cancel_keeps_what_was_learned_and_the_job_can_resume(runner):
    settings = multi_io()
    job = runner.start(TrainJob(settings, epochs=1000))
    # the first report comes after one batch (the traced call): wait for a whole epoch
    assert wait_for(lambda: any(e.type == "progress" and e.epoch >= 1
                                for e in runner.events(job)))
    runner.cancel(job)
    stopped = runner.wait(job, timeout=30)
    assert stopped.status == "stopped"
    done = stopped.epoch
    assert 1 <= done < 1000 and len(stopped.history["loss"]) == done
    more = runner.start(TrainJob(settings, epochs=done + 3, resume=stopped.state))
    resumed = runner.wait(more, timeout=120)
    assert resumed.status == "done" and resumed.epoch == done + 3
    assert resumed.history["loss"][:done] == stopped.history["loss"]


def test_workers_are_recycled_and_queued_jobs_can_be_cancelled(runner):
    # four jobs in a row on workers that serve three each: two processes at least
    jobs = [runner.start(TrainJob(multi_io(seed=s), epochs=1)) for s in (1, 2, 3, 4, 5)]
    runner.cancel(jobs[-1])                 # still queued behind the others
    assert runner.status(jobs[-1]) == "cancelled"
    results = [runner.wait(j, timeout=240) for j in jobs[:-1]]
    assert all(r.status == "done" for r in results)
    pids = {e.pid for j in jobs[:-1] for e in runner.events(j) if e.type == "started"}
    assert len(pids) >= 2
    assert wait_for(lambda: len(runner.worker_pids()) == 1, 30)


def _crash(job, emit, stop, state):
    os._exit(3)


def _echo(job, emit, stop, state):
    emit(Event(EventType.PROGRESS, epoch=1))
    if job == "fail":
        raise ValueError("bad job")
    return Result(Status.DONE, insights={"echo": job, "pid": os.getpid()})


def test_a_failing_or_dying_job_is_reported_and_the_runner_goes_on():
    crash = JobRunner(workers=1, job_fn=f"{__name__}:_crash")
    try:
        job = crash.start("anything")
        assert wait_for(lambda: crash.status(job) in FINISHED, 60)
        assert crash.status(job) == "failed"
        assert "exit code 3" in crash.events(job)[-1].message
        assert wait_for(lambda: len(crash.worker_pids()) == 1, 60)
    finally:
        crash.shutdown()
    echo = JobRunner(workers=1, job_fn=f"{__name__}:_echo")
    try:
        bad = echo.start("fail")
        assert wait_for(lambda: echo.status(bad) in FINISHED, 60)
        assert echo.status(bad) == "failed" and "bad job" in echo.events(bad)[-1].message
        good = echo.start("ok")
        assert echo.wait(good, timeout=60).insights["echo"] == "ok"
    finally:
        echo.shutdown()
    missing = JobRunner(workers=1, job_fn="no_such_module:train")
    try:
        pids = missing.worker_pids()
        job = missing.start("anything")
        assert wait_for(lambda: missing.status(job) in FINISHED, 60)
        assert missing.status(job) == "failed"
        assert "no_such_module" in missing.events(job)[-1].message
        assert missing.worker_pids() == pids        # the worker carries on
    finally:
        missing.shutdown()


def _modules(job, emit, stop, state):
    return Result(Status.DONE, insights={
        "streamlit": "streamlit" in sys.modules,
        "main": getattr(sys.modules["__main__"], "__file__", None)})


def test_a_worker_never_runs_the_servers_main_script(tmp_path, monkeypatch):
    """Streamlit installs the page script as __main__ while it runs; a worker
    started then must not run that script (nor import Streamlit) itself."""
    page = tmp_path / "page.py"
    page.write_text("import streamlit\n")
    fake_main = types.ModuleType("__main__")
    fake_main.__file__ = str(page)
    monkeypatch.setitem(sys.modules, "__main__", fake_main)
    r = JobRunner(workers=1, job_fn=f"{__name__}:_modules")
    try:
        result = r.wait(r.start("which modules?"), timeout=60)
    finally:
        r.shutdown()
    assert result.status == "done"
    assert result.insights["streamlit"] is False and result.insights["main"] != str(page)


def test_a_worker_loads_tensorflow_before_its_first_job():
    """No Train press waits for the import: an idle worker has TensorFlow loaded."""
    r = JobRunner(workers=1)
    try:
        pid = r.worker_pids()[0]

        def loaded():
            with open(f"/proc/{pid}/maps") as maps:
                return "tensorflow" in maps.read()
        assert wait_for(loaded, 180)
        assert r.stats["trainings_run"] == 0
    finally:
        r.shutdown()


def _late_file(signal, emit, stop, state):
    """Hands its result over at once, then 'writes' its model file until the
    file `signal` exists (or dies, when it says so)."""
    from mbcore.engine.protocol import LATE_FILES
    state[LATE_FILES](Result(Status.STOPPED, epoch=3, epochs=9, keras_pending=True))
    while not os.path.exists(signal):
        time.sleep(0.02)
    if open(signal).read() == "die":
        os._exit(4)
    return Result(Status.STOPPED, epoch=3, epochs=9, keras=b"model bytes")


def test_the_end_of_a_job_arrives_before_its_model_file_which_joins_it_later(tmp_path):
    """A stopped training is shown as stopped at once; its .keras file follows,
    and the worker takes no other job until it is written. A worker that dies
    meanwhile leaves a reason instead of a file that never comes."""
    r = JobRunner(workers=1, job_fn=f"{__name__}:_late_file")
    try:
        first, second = str(tmp_path / "first"), str(tmp_path / "second")
        job = r.start(first)
        assert wait_for(lambda: r.status(job) in FINISHED, 60)
        result = r.result(job)
        assert result.status == "stopped" and result.keras_pending and result.keras is None
        assert r.events(job)[-1].type == "finished"
        after = r.start(second)
        assert r.wait(job, timeout=0.3) is None           # wait() waits for the file too
        assert r.status(after) == "queued"                # the worker is still busy
        open(first, "w").write("ok")
        assert r.wait(job, timeout=60).keras == b"model bytes"
        assert not r.result(job).keras_pending
        assert wait_for(lambda: r.status(after) in FINISHED, 60)
        assert r.result(after).keras_pending
        open(second, "w").write("die")
        assert wait_for(lambda: not r.result(after).keras_pending, 60)
        assert r.result(after).keras is None and "exit code 4" in r.result(after).keras_error
        assert r.status(after) == "stopped"
    finally:
        r.shutdown()
