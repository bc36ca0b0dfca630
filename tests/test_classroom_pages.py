"""The class room through Streamlit's AppTest: the lecturer opens a room on a
walkthrough step with a question, students join with the code and answer, the
projector counts them and, on Reveal, shows the distribution."""
import json
import sys

import pytest
from streamlit.testing.v1 import AppTest

from mbcore.classroom import SqliteRoomStore
from conftest import ROOT

WALK = ROOT / "pages" / "walkthrough.py"
JOIN = ROOT / "pages" / "join.py"


@pytest.fixture
def db(tmp_path, monkeypatch):
    path = tmp_path / "rooms.sqlite3"
    monkeypatch.setenv("MBCORE_ROOMS_DB", str(path))
    return path


def run(at):
    at = at.run()          # an AppTest, or an element whose run() reruns its AppTest
    assert not at.exception, at.exception[0].value
    return at


def presenter_on_question(step="5"):
    at = AppTest.from_file(str(WALK), default_timeout=60)
    at.query_params.update(name="seed_002", step=step)
    run(at)
    run(at.button(key="_mb_room_open").click())
    return at


def student(code, nickname, answer):
    at = AppTest.from_file(str(JOIN), default_timeout=60)
    at.query_params["room"] = code.lower()
    run(at)
    run(at.text_input(key="_mb_nickname").input(nickname))
    at.radio(key="_mb_a_step5").set_value(answer)     # sent with the form, not before
    run(at.button[-1].click())                       # the form's submit button
    return at


def test_students_answer_and_the_presenter_reveals(db):
    at = presenter_on_question()
    code, token = at.session_state["_mb_room"]
    room = SqliteRoomStore(db).room(code)
    assert room.step == 5 and room.question["id"] == "step5"
    options = room.question["options"]
    for i in range(3):
        s = student(code, f"student {i}", options[i % 2])
        assert any(f"Your answer: **{options[i % 2]}**" in m.value for m in s.success)
    run(at)
    assert next(m for m in at.metric if m.label == "Answered").value == "3"
    assert not at.get("plotly_chart")
    run(at.button(key="_mb_reveal_step5").click())
    assert SqliteRoomStore(db).room(code).revealed
    assert at.get("plotly_chart"), "no distribution of answers after Reveal"
    assert SqliteRoomStore(db).counts(code, "step5") == {options[0]: 2, options[1]: 1}


def test_next_moves_the_room_to_the_next_question(db):
    at = presenter_on_question(step="4")
    code, _ = at.session_state["_mb_room"]
    assert SqliteRoomStore(db).room(code).question is None       # step 4 asks nothing
    run(at.button(key="_mb_walk_next").click())
    assert SqliteRoomStore(db).room(code).question["id"] == "step5"


def test_a_wrong_code_says_so_and_offers_a_way_back(db):
    at = AppTest.from_file(str(JOIN), default_timeout=60)
    at.query_params["room"] = "ZZZZ"
    run(at)
    assert "no open room ZZZZ" in at.error[0].value
    run(at.button[0].click())
    assert "room" not in at.query_params
    assert at.text_input(key="_mb_join_code")


TINY_TASK = {"id": "step8", "lesson": "depth_residual", "fields": ["blocks"], "measured": "loss",
             "settings": {"blocks": "2", "n_train": "64", "n_val": "16", "epochs": "2"}}



def test_a_student_trains_their_own_variant_and_the_projector_plots_it(db, end_workers):
    from test_pages import wait_until
    at = presenter_on_question(step="8")                 # seed_002's exercise explores blocks
    code, token = at.session_state["_mb_room"]
    assert SqliteRoomStore(db).room(code).explore["fields"] == ["blocks"]
    SqliteRoomStore(db).set_step(code, token, 8, None, TINY_TASK)   # a tiny network, for speed
    s = AppTest.from_file(str(JOIN), default_timeout=60)
    s.query_params["room"] = code
    run(s)
    run(s.text_input(key="_mb_nickname").input("ada"))
    run(s.slider(key="_mb_x_step8_blocks").set_value(3))
    run(s.button(key="depth_residual/train_start").click())
    wait_until(s, lambda a: any(b.key == "_mb_send_step8" for b in a.button), timeout=240)
    run(s.button(key="_mb_send_step8").click())
    sent = SqliteRoomStore(db).results(code, "step8")
    assert [(r["nickname"], r["settings"]) for r in sent] == [("ada", {"blocks": "3"})]
    assert sent[0]["value"] > 0
    run(at)
    assert next(m for m in at.metric if m.label == "Variants sent").value == "1"
    assert any("The class's variants (1)" in c.proto.spec for c in at.get("plotly_chart"))


def test_students_sketch_and_the_projector_overlays_the_measured_curve(db):
    from mbcore.views.class_answers import answers_figure
    at = AppTest.from_file(str(WALK), default_timeout=60)
    at.query_params.update(name="seed_000", step="3")        # a sketch of held-out accuracy
    run(at)
    run(at.button(key="_mb_room_open").click())
    code, _ = at.session_state["_mb_room"]
    question = SqliteRoomStore(db).room(code).question
    assert question["kind"] == "sketch"
    s = AppTest.from_file(str(JOIN), default_timeout=60)
    s.query_params["room"] = code
    run(s)
    run(s.text_input(key="_mb_nickname").input("ada"))
    assert [c.key for c in s.get("bidi_component")] == ["_mb_canvas_step3"]   # drawing first
    run(s.button(key="_mb_send_sketch_step3").click())          # nothing drawn yet
    assert any("draw the curve first" in w.value for w in s.warning)
    assert SqliteRoomStore(db).answers(code, "step3") == {}
    run(s.segmented_control(key="_mb_sk_way_step3").set_value("Sliders"))
    drawn = [0.1, 0.2, 0.4, 0.6, 0.7, 0.75]
    for i, value in enumerate(drawn):
        run(s.slider(key=f"_mb_sk_step3_{i}").set_value(value))
    sketch = next(c for c in s.get("plotly_chart") if "Your sketch" in c.proto.spec)
    assert json.loads(sketch.proto.spec)["data"][0]["y"] == drawn
    run(s.button(key="_mb_send_sketch_step3").click())
    assert json.loads(SqliteRoomStore(db).answers(code, "step3")["ada"]) == drawn
    run(at)
    assert next(m for m in at.metric if m.label == "Answered").value == "1"
    run(at.button(key="_mb_reveal_step3").click())
    assert any("The class's answers (1)" in c.proto.spec for c in at.get("plotly_chart"))
    # on the projector, once trained: the sketches faint, the measured curve over them
    curve = [0.2, 0.5, 0.8, 0.9]
    fig = answers_figure(question, [json.dumps(drawn), json.dumps(drawn[::-1])],
                         {"this network": curve})
    assert [t.name for t in fig.data] == ["sketches", "sketches", "measured (this network)"]
    assert list(fig.data[-1].y) == curve and fig.data[-1].x[-1] == 100


def test_without_the_canvas_component_a_student_sketches_with_sliders(db, monkeypatch):
    from mbcore.ui.class_sketch import drawing_canvas
    from mbcore.walkthroughs import find, load
    question = load(find("seed_000")).steps[2].question.as_dict()
    store = SqliteRoomStore(db)
    code, token = store.open("seed_000")
    store.set_step(code, token, 3, question)
    monkeypatch.setitem(sys.modules, "streamlit_drawable_canvas", None)    # cannot be imported
    drawing_canvas.clear()
    try:
        s = AppTest.from_file(str(JOIN), default_timeout=60)
        s.query_params["room"] = code
        run(s)
        run(s.text_input(key="_mb_nickname").input("ada"))
        assert not s.get("bidi_component") and not s.segmented_control
        run(s.slider(key="_mb_sk_step3_5").set_value(0.9))
        run(s.button(key="_mb_send_sketch_step3").click())
        assert json.loads(store.answers(code, "step3")["ada"]) == [0.5] * 5 + [0.9]
    finally:
        drawing_canvas.clear()           # the next test imports the component again


def test_the_presenter_link_reopens_the_room_and_a_wrong_key_does_not(db):
    at = presenter_on_question()
    code, token = at.session_state["_mb_room"]
    link = next(c.value for c in at.code if "key=" in c.value)
    params = dict(p.split("=", 1) for p in link.split("?", 1)[1].split("&"))
    assert (params["room"], params["key"]) == (code, token)
    again = AppTest.from_file(str(WALK), default_timeout=60)     # another browser
    again.query_params.update(params)
    run(again)
    assert again.session_state["_mb_room"] == (code, token)
    assert "key" not in again.query_params, "the key stays in the address bar"
    run(again.button(key="_mb_reveal_step5").click())
    assert SqliteRoomStore(db).room(code).revealed
    guess = AppTest.from_file(str(WALK), default_timeout=60)
    guess.query_params.update({**params, "key": "a-guess"})
    run(guess)
    assert "does not open room" in guess.error[0].value
    assert "_mb_room" not in guess.session_state


def test_a_room_store_that_stops_answering_is_said_and_the_room_kept(tmp_path, monkeypatch):
    """Redis gone mid-lecture: projector and phones say so instead of a traceback, and the
    lecturer keeps the room for when the store answers again."""
    from mbcore.classroom.redis_store import RedisRoomStore
    from mbcore.engine.services import NO_REDIS, redis_server, start_redis, stop
    from mbcore.ui import classroom
    if redis_server() is None:
        pytest.skip(NO_REDIS)
    proc, url = start_redis(tmp_path)
    rooms = RedisRoomStore(url, timeout=1.0)
    monkeypatch.setattr(classroom, "store", lambda: rooms)
    try:
        at = presenter_on_question()
        code, _ = at.session_state["_mb_room"]
        phone = student(code, "ann", rooms.room(code).question["options"][0])
    finally:
        stop(proc)
    for page in (at, phone):
        run(page)
        assert any("does not answer" in w.value for w in page.warning), \
            [w.value for w in page.warning]
    assert at.session_state["_mb_room"][0] == code
