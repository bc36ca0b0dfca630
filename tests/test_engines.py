"""The engine contract, run against both engines: the local pool and the cluster
(Celery workers and a Redis this module starts on a free port, each in its own
process group). Then what only a cluster can get wrong: two replicas asking at
once, a worker killed mid-training, Redis not there at all.
"""
import os
import signal
import threading
import time

import pytest
from streamlit.testing.v1 import AppTest

from conftest import ROOT
from mbcore.engine.services import (NO_REDIS, free_port, redis_server, start_redis,
                                    start_worker, stop, wait_for)
from mbcore.engine import engine as engine_module
from mbcore.engine import runner as runner_module
from mbcore.engine.celery_app import CLASS_QUEUE, PRESENTER_QUEUE
from mbcore.engine.celery_engine import CeleryEngine, ClusterUnavailable
from mbcore.engine.engine import Engine, make_engine, shared_engine, start_job
from mbcore.engine.queueing import Waiting, fair_order
from mbcore.engine.protocol import FINISHED, Event, EventType, Status, TrainJob
from mbcore.engine.redis_state import LOST
from mbcore.engine.runner import JobRunner
from mbcore.lessons import get_lesson

WORKERS = 2          # cluster workers, one training each
TINY = dict(n_train=100, n_val=40, left_depth=1, right_depth=1)
# A training that is still running when a test stops, releases or kills it: 1000
# epochs of TINY end in half a second on an idle machine (the tests then saw "done"
# where they meant to stop it); one sample per step makes an epoch 2000 steps.
LONG = dict(n_train=2000, batch_size=1)


def tiny(**changes):
    return get_lesson("multi_io").settings_cls(**{**TINY, **changes})


def long(**changes):
    """TINY settings whose 1000 epochs take minutes (see LONG)."""
    return tiny(**LONG, **changes)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """(Redis URL, worker processes) of a throw-away cluster."""
    if redis_server() is None:
        if os.environ.get("CI"):
            pytest.fail(NO_REDIS)
        pytest.skip(f"CLUSTER TESTS SKIPPED: {NO_REDIS}")
    folder = tmp_path_factory.mktemp("cluster")
    redis_proc, url = start_redis(folder)
    os.environ["MBCORE_BEAT_SECONDS"] = "10"       # the workers' heartbeat: a lost one shows soon
    workers = [start_worker(url, folder, f"w{i}") for i in range(WORKERS)]
    os.environ.pop("MBCORE_BEAT_SECONDS")
    try:
        yield url, workers
    finally:
        for w in workers:
            stop(w)
        stop(redis_proc)


@pytest.fixture(scope="module", params=["local", "celery"])
def engine(request):
    if request.param == "local":
        e = JobRunner(workers=1, jobs_per_worker=10)
        e.slots = 1
    else:
        url, _ = request.getfixturevalue("cluster")
        e = CeleryEngine(url)
        e.slots = WORKERS
    yield e
    e.shutdown()


def progressed(engine, job, epochs=1, watchers=()):
    """Wait for the job's first whole epoch, polling as `watchers` (keeps them alive)."""
    def seen():
        for w in watchers:
            engine.events(job, watcher=w)
        return any(e.type == EventType.PROGRESS and e.epoch >= epochs for e in engine.events(job))
    return wait_for(seen, 180)


def test_both_engines_keep_one_contract(engine):
    assert isinstance(engine, Engine)


def test_a_job_streams_progress_and_ends_with_a_result(engine):
    job = engine.start(TrainJob(tiny(), epochs=3))
    result = engine.wait(job, timeout=240)
    assert result is not None and result.status == Status.DONE, engine.events(job)
    events = engine.events(job)
    kinds = [e.type for e in events]
    assert kinds[:2] == [EventType.QUEUED, EventType.STARTED] and kinds[-1] == EventType.FINISHED
    assert sum(len(e.rows) for e in events if e.type == EventType.PROGRESS) == 3
    assert engine.events(job, since=len(events) - 1) == events[-1:]
    assert len(result.history["sin_output_loss"]) == 3
    assert set(result.predictions) == {"sin_output", "exp_output"}
    assert isinstance(result.keras, bytes) and isinstance(result.state, bytes)


def test_stop_keeps_what_was_learned_and_the_job_resumes(engine):
    settings = long(seed=7)
    job = engine.start(TrainJob(settings, epochs=1000))
    assert progressed(engine, job)
    engine.cancel(job)
    stopped = engine.wait(job, timeout=60)
    assert stopped.status == Status.STOPPED
    done = stopped.epoch
    assert 1 <= done < 1000 and len(stopped.history["loss"]) == done
    more = engine.start(TrainJob(settings, epochs=done + 2, resume=stopped.state))
    resumed = engine.wait(more, timeout=240)
    assert resumed.status == Status.DONE and resumed.epoch == done + 2
    assert resumed.history["loss"][:done] == stopped.history["loss"]


def test_identical_requests_share_one_training_and_its_result(engine):
    job = TrainJob(tiny(seed=11), epochs=2)
    # no watchers: under load a training may outlast the abandonment delay unpolled
    first = engine.start(job, share=True)
    assert engine.start(job, share=True) == first
    assert engine.wait(first, timeout=240).status == Status.DONE
    later = engine.start(job, watcher="c", share=True)
    assert later == first and engine.status(later) == Status.DONE
    assert [e.type for e in engine.events(later)].count(EventType.STARTED) == 1
    different = engine.start(TrainJob(tiny(seed=12), epochs=2), share=True)
    assert different != first
    engine.cancel(different)


def test_queue_position_release_and_cancel_of_a_waiting_job(engine):
    running = [engine.start(TrainJob(long(seed=20 + i), epochs=1000), watcher="w1",
                            share=True) for i in range(engine.slots)]
    for i, job in enumerate(running):
        assert engine.start(TrainJob(long(seed=20 + i), epochs=1000),
                            watcher="w2", share=True) == job
        assert progressed(engine, job, watchers=("w1", "w2"))
    waiting = engine.start(TrainJob(tiny(seed=30), epochs=2), watcher="w3")
    assert engine.position(waiting) == 1 and engine.status(waiting) == Status.QUEUED
    engine.cancel(waiting)
    assert engine.status(waiting) == Status.CANCELLED and engine.position(waiting) == 0
    for job in running:
        assert engine.release(job, "w1") is False and engine.watchers(job) == 1
        assert engine.release(job, "w2") is True
    assert all(engine.wait(job, timeout=60).status == Status.STOPPED for job in running)


def test_a_waiting_page_is_woken_by_each_new_event_and_by_the_queue_moving(engine):
    """The news board (engine/news.py): a page sleeping on a job wakes when the job
    has an event it has not read, and a queued one also when another job ends."""
    news = engine.news
    busy = [engine.start(TrainJob(long(seed=40 + i), epochs=1000), watcher="w")
            for i in range(engine.slots)]
    job = busy[0]
    mark = news.mark(job)
    seen = len(engine.events(job))
    for _ in range(3):         # each wake-up brings an event that was not there before
        assert news.wait(job, mark, timeout=120), "no news of a running training"
        mark = news.mark(job)
        # A wake may be for an event read just before (the cluster's news comes over
        # Redis pub/sub, a moment after the event): the next one must follow soon.
        assert wait_for(lambda: engine.events(job, since=seen, watcher="w"), 2), \
            "woken without a new event"
        seen = len(engine.events(job))
    assert all(progressed(engine, j, watchers=("w",)) for j in busy)
    waiting = engine.start(TrainJob(tiny(seed=49), epochs=2), watcher="w")
    assert engine.status(waiting) == Status.QUEUED
    queue_mark = news.mark(waiting)
    assert not news.wait(waiting, queue_mark, timeout=0.3, queued=True)   # nothing moved
    engine.cancel(job)
    assert news.wait(waiting, queue_mark, timeout=60, queued=True), "the queue moved unseen"
    for other in busy[1:]:
        engine.cancel(other)
    assert all(engine.wait(j, timeout=240) is not None for j in [*busy, waiting])


# ------------------------------------------------------------ cluster only ---
def test_two_replicas_asking_at_once_start_one_training(cluster):
    url, _ = cluster
    replicas = [CeleryEngine(url), CeleryEngine(url)]
    before = replicas[0].stats["trainings_run"]
    job, ids, barrier = TrainJob(tiny(seed=41), epochs=2), [], threading.Barrier(8)

    def ask(i):
        barrier.wait()
        ids.append(replicas[i % 2].start(job, share=True))
    threads = [threading.Thread(target=ask, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(ids)) == 1
    assert replicas[1].wait(ids[0], timeout=240).status == Status.DONE
    # the other replica sees the same curve, row for row
    rows = [[r for e in rep.events(ids[0]) for r in e.rows] for rep in replicas]
    assert rows[0] == rows[1] and len(rows[0]) == 2
    assert replicas[0].stats["trainings_run"] == before + 1


def test_a_celery_training_hears_when_jobs_wait(cluster):
    """The running training's watchdog keeps protocol.CROWDED up to date from the
    queues in Redis, so that the training stops pacing its reports while others
    wait (the local pool's counterpart is in test_warm_up.py)."""
    from mbcore.engine import celery_app
    from mbcore.engine.protocol import CROWDED
    from mbcore.engine.redis_state import JobState
    from mbcore.engine.worker import StopSignal
    url, _ = cluster
    state, crowded = JobState(url), celery_app._worker_state[CROWDED]
    crowded.clear()
    dog = celery_app._Watchdog(state, "running-job", StopSignal(), 20)
    dog.start()
    try:
        waiting, _ = state.create("waiting-job", "crowd-test", {"status": str(Status.QUEUED),
                                  "queue": CLASS_QUEUE, "owner": "test"}, CLASS_QUEUE, False)
        assert crowded.wait(5), "a job waits: the training should stop pacing"
        assert state.claim(waiting, CLASS_QUEUE)          # a worker took it: none waits
        deadline = time.monotonic() + 5
        while crowded.is_set() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not crowded.is_set(), "nothing waits any more: pacing should come back"
        state.finish(waiting, Event(EventType.FINISHED, status=Status.CANCELLED))
    finally:
        dog.done.set()
        dog.join(5)


def test_a_worker_killed_mid_training_loses_that_job_only(cluster):
    url, _ = cluster
    engine = CeleryEngine(url)
    job = engine.start(TrainJob(long(seed=51), epochs=1000))
    assert progressed(engine, job)
    pid = next(e.pid for e in engine.events(job) if e.type == EventType.STARTED)
    os.kill(pid, signal.SIGKILL)
    assert wait_for(lambda: engine.status(job) in FINISHED, 60)
    assert engine.status(job) == Status.FAILED
    assert engine.events(job)[-1].message == LOST
    after = engine.start(TrainJob(tiny(seed=52), epochs=2))
    assert engine.wait(after, timeout=240).status == Status.DONE


def test_redis_down_at_start_falls_back_to_the_local_engine(monkeypatch):
    local = object()
    monkeypatch.setattr(runner_module, "_shared", local)
    chosen, notice = make_engine({"MBCORE_ENGINE": "celery",
                                  "MBCORE_REDIS_URL": f"redis://127.0.0.1:{free_port()}/0"})
    assert chosen is local and "cluster is unavailable" in notice
    assert make_engine({}) == (local, "")
    assert make_engine({"MBCORE_ENGINE": "spark"})[0] is local
    monkeypatch.setattr(engine_module, "_chosen", None)
    monkeypatch.setenv("MBCORE_ENGINE", "local")
    assert engine_module.shared_engine() is local
    replaced = object()
    monkeypatch.setattr(runner_module, "_shared", replaced)   # a test's fresh runner
    assert engine_module.shared_engine() is replaced


def test_redis_gone_mid_session_reads_as_a_lost_job(cluster, tmp_path):
    redis_proc, url = start_redis(tmp_path)      # a Redis of its own, no workers on it
    try:
        engine = CeleryEngine(url)
        job = engine.start(TrainJob(tiny(seed=61), epochs=2), watcher="s")
        assert engine.status(job) == Status.QUEUED and engine.position(job) == 1
    finally:
        stop(redis_proc)
    with pytest.raises(KeyError, match="unreachable"):
        engine.events(job, 0, watcher="s")


# ----------------------------------------------- failures as the page shows them ---
@pytest.fixture
def use_engine(monkeypatch):
    """Make an engine the one this process's pages train on."""
    def use(engine):
        monkeypatch.setattr(engine_module, "_shared", engine)
        monkeypatch.setattr(engine_module, "_chosen", True)
        monkeypatch.setattr(engine_module, "notice", "")
    return use


def open_page(**settings) -> AppTest:
    at = AppTest.from_file(str(ROOT / "pages" / "multi_io.py"), default_timeout=60)
    at.query_params.update({k: str(v) for k, v in settings.items()})
    at.run()
    assert not at.exception, at.exception[0].value
    return at


def rerun_until(at: AppTest, done, timeout: float) -> bool:
    def step():
        at.run()
        assert not at.exception, at.exception[0].value
        return done(at)
    return wait_for(step, timeout, every=0.5)


def texts(elements) -> str:
    return " ".join(e.value for e in elements)


@pytest.mark.parametrize("fallback", ["local", "none"])
def test_a_cluster_gone_when_train_is_pressed_is_a_notice_not_a_traceback(
        fallback, monkeypatch, use_engine):
    dead = CeleryEngine(f"redis://127.0.0.1:{free_port()}/0", check=False)
    use_engine(dead)
    monkeypatch.setenv("MBCORE_FALLBACK", fallback)
    local = JobRunner(workers=0)          # keeps what it is given queued: nothing trains
    monkeypatch.setattr(runner_module, "_shared", local)
    try:
        at = open_page(**TINY, epochs=2)
        at.button(key="multi_io/train_start").click().run()
        assert not at.exception, at.exception[0].value
        assert "training cluster is unavailable" in texts(at.warning)
        if fallback == "local":       # the page trains on this server from now on
            assert "run on this server instead" in texts(at.warning)
            assert local.stats["started"] == 1 and shared_engine() is local
            assert "Waiting for a free worker" in at.get("progress")[0].proto.text
        else:                         # the page says so and offers Train again
            assert local.stats["started"] == 0 and shared_engine() is dead
            assert "cannot start until it is back" in texts(at.error)
            assert not at.button(key="multi_io/train_start").disabled
            with pytest.raises(ClusterUnavailable):
                start_job(TrainJob(tiny(), epochs=2))
    finally:
        local.shutdown()


def test_the_page_says_a_killed_workers_training_was_lost(cluster, use_engine):
    url, _ = cluster
    engine = CeleryEngine(url)
    use_engine(engine)
    at = open_page(**{**TINY, **LONG}, epochs=1000, seed=53)
    at.button(key="multi_io/train_start").click().run()
    assert rerun_until(at, lambda a: "Epoch " in a.get("progress")[0].proto.text, 180)
    job = at.session_state["_mb_watches"]["multi_io/train"].id
    os.kill(next(e.pid for e in engine.events(job) if e.type == EventType.STARTED),
            signal.SIGKILL)
    assert rerun_until(at, lambda a: "was lost" in texts(a.error), 60), (
        at.get("progress")[0].proto.text, texts(at.error), engine.events(job)[-1])
    assert "train again" in texts(at.error)
    assert not at.button(key="multi_io/train_start").disabled
    assert at.button(key="multi_io/train_stop").disabled


# ------------------------------------------------- who is served first ---
def test_fair_order_puts_the_presenter_first_then_takes_turns_by_owner():
    waiting = [Waiting("a1", "A"), Waiting("a2", "A"), Waiting("a3", "A"), Waiting("b1", "B"),
               Waiting("p1", "lecturer", presenter=True), Waiting("c1", "C")]
    assert fair_order(waiting, {}) == ["p1", "a1", "b1", "c1", "a2", "a3"]
    # an owner with a training running already waits for the others' first turn
    assert fair_order(waiting[:4], {"A": 1}) == ["b1", "a1", "a2", "a3"]


@pytest.fixture(params=["local", "celery"])
def idle_engine(request, tmp_path):
    """An engine whose jobs all wait: a pool of no workers, or a Redis no worker reads."""
    if request.param == "local":
        engine = JobRunner(workers=0)
        yield engine
        engine.shutdown()
        return
    if redis_server() is None:
        pytest.skip(NO_REDIS)
    redis_proc, url = start_redis(tmp_path)
    try:
        yield CeleryEngine(url)
    finally:
        stop(redis_proc)


def test_the_lecturers_training_and_each_sessions_first_go_before_repeats(idle_engine):
    """Student A asks for three trainings, then B for one, then the lecturer: the
    lecturer's is next, then one each for A and B, before A's other two."""
    ids = {}
    for name, owner in [("a1", "A"), ("a2", "A"), ("a3", "A"), ("b1", "B"), ("p1", "L")]:
        job = TrainJob(tiny(seed=len(ids)), epochs=2, presenter=owner == "L")
        ids[name] = idle_engine.start(job, owner=owner)
    positions = {name: idle_engine.position(job) for name, job in ids.items()}
    assert positions == {"p1": 1, "a1": 2, "b1": 3, "a2": 4, "a3": 5}
    if isinstance(idle_engine, CeleryEngine):      # what a worker's turn takes
        claimed = [idle_engine.state.claim_next([PRESENTER_QUEUE, CLASS_QUEUE])
                   for _ in range(6)]
        assert claimed == [ids[n] for n in ("p1", "a1", "b1", "a2", "a3")] + [None]
        assert idle_engine.stats["trainings_run"] == 5
