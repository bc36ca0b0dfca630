"""The class room store: codes, presenter token, answers counted under load, a
database that outlives its connection (a server restart), expiry. One contract,
two stores: SQLite (one server) and Redis (a cluster's replicas; a redis-server
this module starts, under the services' watchdog)."""
import os
import threading

import pytest
import redis

from mbcore.classroom import (NotPresenter, RoomError, RoomStore, SqliteRoomStore,
                              normalise_code, store_for_engine)
from mbcore.classroom.redis_store import RedisRoomStore
from mbcore.classroom.store import StoreUnavailable
from mbcore.engine.services import NO_REDIS, free_port, redis_server, start_redis, stop

QUESTION = {"id": "step5", "kind": "choice", "text": "Deeper better?",
            "options": ["yes", "no"], "unit": ""}


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory):
    if redis_server() is None:
        if os.environ.get("CI"):
            pytest.fail(NO_REDIS)
        pytest.skip(NO_REDIS)
    proc, url = start_redis(tmp_path_factory.mktemp("rooms-redis"))
    yield url
    stop(proc)


@pytest.fixture(params=["sqlite", "redis"])
def db(request, tmp_path):
    """Where a store's rooms live: an SQLite file, or an emptied Redis."""
    if request.param == "sqlite":
        return tmp_path / "rooms.sqlite3"
    url = request.getfixturevalue("redis_url")
    redis.Redis.from_url(url).flushdb()
    return url


def store_at(db) -> RoomStore:
    """A new store (a new connection, as each request or a restarted server has)."""
    return RedisRoomStore(db) if str(db).startswith("redis://") else SqliteRoomStore(db)


def opened(db):
    store = store_at(db)
    code, token = store.open("seed_002")
    store.set_step(code, token, 5, QUESTION)
    return store, code, token


def test_a_room_has_a_short_readable_code_and_a_question(db):
    store, code, _ = opened(db)
    assert len(code) == 4 and not set(code) & set("01OIL")
    room = store.room(code.lower())                 # students may type it in lower case
    assert (room.code, room.step, room.question, room.revealed) == (code, 5, QUESTION, False)


def test_presenter_actions_need_the_token(db):
    store, code, token = opened(db)
    for action in (lambda t: store.reveal(code, t), lambda t: store.set_step(code, t, 6, None),
                   lambda t: store.close(code, t)):
        with pytest.raises(NotPresenter):
            action("a-student-guess")
    assert not store.room(code).revealed
    store.reveal(code, token)
    assert store.room(code).revealed
    store.close(code, token)
    with pytest.raises(RoomError):
        store.room(code)


def test_a_hundred_concurrent_answers_are_all_counted(db):
    store, code, _ = opened(db)
    start = threading.Barrier(100)
    errors = []

    def student(i):
        try:
            mine = store_at(db)           # each student's request: its own connection
            start.wait()
            mine.answer(code, "step5", f"student {i}", "yes" if i % 4 else "no")
        except Exception as err:  # noqa: BLE001  (collected and asserted below)
            errors.append(err)

    threads = [threading.Thread(target=student, args=(i,)) for i in range(100)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert store.counts(code, "step5") == {"yes": 75, "no": 25}


def test_answering_again_changes_the_answer_instead_of_counting_twice(db):
    store, code, _ = opened(db)
    store.answer(code, "step5", "ada", "yes")
    store.answer(code, "step5", " ada ", "no")
    assert store.answers(code, "step5") == {"ada": "no"}


def test_rooms_survive_a_reopen_of_the_database(db):
    store, code, token = opened(db)
    store.answer(code, "step5", "ada", "yes")
    del store
    again = store_at(db)                   # a restarted server opens the same store
    assert again.answers(code, "step5") == {"ada": "yes"}
    again.reveal(code, token)                    # the lecturer's token still works
    assert again.room(code).revealed


def test_wrong_expired_or_moved_on(db):
    store = store_at(db)
    with pytest.raises(RoomError, match="no open room ZZZZ"):
        store.room("zz zz")
    code, token = store.open("seed_000", hours=-1 / 3600)      # expired a second ago
    with pytest.raises(RoomError):
        store.answer(code, "step1", "ada", "x")
    store, code, token = opened(db)
    with pytest.raises(RoomError, match="moved on"):
        store.answer(code, "step1", "ada", "yes")
    with pytest.raises(RoomError, match="nickname"):
        store.answer(code, "step5", "   ", "yes")
    with pytest.raises(RoomError, match="choose one of yes, no"):
        store.answer(code, "step5", "ada", "maybe")
    store.set_step(code, token, 6, {"id": "step6", "kind": "number", "text": "MSE?"})
    for bad in ("lots", "nan", "inf"):
        with pytest.raises(RoomError):
            store.answer(code, "step6", "ada", bad)
    store.answer(code, "step6", "ada", "0.25")
    assert store.answers(code, "step6") == {"ada": "0.25"}
    assert normalise_code(" k7 q2 ") == "K7Q2"


def test_students_submit_their_own_variants_results(db):
    store, code, token = opened(db)
    with pytest.raises(RoomError, match="moved on"):
        store.submit_result(code, "step5", "ada", {"blocks": "4"}, 0.1)
    task = {"id": "step5", "lesson": "depth_residual", "settings": {}, "fields": ["blocks"],
            "measured": "loss"}
    store.set_step(code, token, 5, QUESTION, task)
    assert store.room(code).explore == task
    store.submit_result(code, "step5", "ada", {"blocks": "4"}, 0.2)
    store.submit_result(code, "step5", "ada", {"blocks": "8"}, 0.05)      # a better try
    store.submit_result(code, "step5", "bob", {"blocks": "1"}, 0.3)
    assert [(r["nickname"], r["settings"]["blocks"], r["value"])
            for r in store.results(code, "step5")] == [("ada", "8", 0.05), ("bob", "1", 0.3)]
    with pytest.raises(RoomError, match="finite"):
        store.submit_result(code, "step5", "eve", {}, float("nan"))


def test_a_sketch_is_stored_as_its_points_inside_the_range(db):
    from mbcore.walkthroughs import find, load
    question = load(find("seed_000")).steps[2].question.as_dict()
    assert question["kind"] == "sketch"
    store, code, token = opened(db)
    store.set_step(code, token, 3, question)
    drawn = [0.1, 0.3, 0.5, 0.7, 0.8, 0.85]
    store.answer(code, question["id"], "ada", drawn)
    for bad, why in (([0.1] * 3, "6 points"), ([0.1] * 5 + [1.5], "between 0 and 1"),
                     ("not a sketch", "list of numbers")):
        with pytest.raises(RoomError, match=why):
            store.answer(code, question["id"], "bob", bad)
    import json
    assert {k: json.loads(v) for k, v in store.answers(code, question["id"]).items()} == \
        {"ada": drawn}


def test_a_notes_window_on_any_replica_follows_the_presenters_step(db):
    """The presenter's window records its step through one replica's store; a
    notes window served by another (a store of its own) follows it, by presenter
    id or by walkthrough name, and an uploaded walkthrough travels as its text."""
    presenter, notes = store_at(db), store_at(db)
    assert notes.position("p1") is None and notes.position(walkthrough="seed_002") is None
    presenter.set_position("p1", "seed_002", 3)
    assert (notes.position("p1").walkthrough, notes.position("p1").step) == ("seed_002", 3)
    presenter.set_position("p1", "seed_002", 4)
    assert notes.position("p1").step == 4
    toml = '[[steps]]\nlesson = "mlp_shapes"\n'
    presenter.set_position("p2", "uploaded", 1, toml)
    assert notes.position("p2").source == toml and notes.position("p1").step == 4
    assert notes.position(walkthrough="seed_002").step == 4        # the latest of that walkthrough
    presenter.set_position("p3", "seed_002", 7)
    assert notes.position(walkthrough="seed_002").step == 7
    presenter.set_position("gone", "seed_001", 2, hours=-1 / 3600)      # silent too long
    assert notes.position("gone") is None and notes.position(walkthrough="seed_001") is None
    for bad in (("", "seed_002", 1), ("p4", "seed_002", 0), ("p4", "x", 1, "x" * 300_000)):
        with pytest.raises(RoomError):
            presenter.set_position(*bad)


def test_with_the_cluster_engine_every_replica_uses_the_clusters_redis(redis_url, tmp_path):
    cluster = {"MBCORE_ENGINE": "celery", "MBCORE_REDIS_URL": redis_url}
    replica_a, replica_b = (store_for_engine(tmp_path / f"{n}.sqlite3", cluster) for n in "ab")
    assert isinstance(replica_a, RedisRoomStore)
    code, _ = replica_a.open("seed_002")
    assert replica_b.room(code).walkthrough == "seed_002"      # joined on the other replica
    gone = {**cluster, "MBCORE_REDIS_URL": f"redis://127.0.0.1:{free_port()}/0"}
    for env in (gone, {}):            # Redis away, or one server: the SQLite file
        assert isinstance(store_for_engine(tmp_path / "c.sqlite3", env), SqliteRoomStore)


def test_a_redis_gone_mid_lecture_is_a_room_error_with_a_reason(tmp_path):
    """Pages catch RoomError: a Redis that stops answering must arrive as one (with a
    reason a lecturer can act on), not as a redis exception and a traceback."""
    if redis_server() is None:
        pytest.skip(NO_REDIS)
    proc, url = start_redis(tmp_path)
    store = RedisRoomStore(url, timeout=1.0)
    try:
        code, token = store.open("seed_002")
        store.set_step(code, token, 5, QUESTION)
    finally:
        stop(proc)
    for call in (lambda: store.room(code), lambda: store.answer(code, "step5", "ann", "yes"),
                 lambda: store.reveal(code, token), lambda: store.check_presenter(code, token),
                 lambda: store.position(walkthrough="seed_002")):
        with pytest.raises(StoreUnavailable, match="does not answer"):
            call()
