"""The lecturer's own walkthrough: a lesson page's state becomes a step, the editor
reorders, edits and deletes steps, and what it downloads is a file the schema
accepts (the TOML writer round-trips every shipped walkthrough)."""
import tomllib

import pytest
from streamlit.testing.v1 import AppTest

from mbcore.lessons import get_lesson
from mbcore.walkthroughs import find, load, parse, shipped
from mbcore.walkthroughs.writer import dumps
from conftest import ROOT

WALK = ROOT / "pages" / "walkthrough.py"


@pytest.mark.parametrize("name", shipped())
def test_the_writer_round_trips_every_shipped_walkthrough(name):
    walk = load(find(name))
    again = parse(dumps(walk.raw), name=name)
    assert again == walk
    assert [s.settings for s in again.steps] == [s.settings for s in walk.steps]


def test_the_writer_keeps_awkward_text_and_keys():
    data = {"title": 'A "quoted" title \\ with\ttabs', "steps": [{
        "lesson": "depth_residual", "title": "Zeilen\nmit ä, ∂ and \x7f",
        "notes": "**markdown**\n\n- a list\n", "set": {"epochs": 3, "learning_rate": 0.0005},
        "show": ["compare"],
        "compare": {"plain net": {"residual": False}, "with skips": {"residual": True}},
        "question": {"kind": "number", "text": "MSE?", "measured": "loss"}}]}
    assert tomllib.loads(dumps(data)) == data
    step = parse(dumps(data)).steps[0]
    assert list(step.compare) == ["plain net", "with skips"]
    assert step.settings.epochs == 3 and step.question.measured == "loss"


def run(at):
    at = at.run()
    assert not at.exception, at.exception[0].value
    return at


def test_a_lesson_pages_state_becomes_a_step():
    at = AppTest.from_file(str(ROOT / "pages" / "multi_io.py"), default_timeout=60)
    run(at)
    run(at.button(key="preset_sin weighted 10x").click())
    run(at.button(key="_mb_walk_add_page").click())
    steps = at.session_state["_mb_walk_draft"]["steps"]
    assert [s["lesson"] for s in steps] == ["multi_io"]
    lesson = get_lesson("multi_io")
    assert parse(dumps(at.session_state["_mb_walk_draft"])).steps[0].settings == \
        lesson.preset("sin weighted 10x")
    assert at.button(key="_mb_walk_edit_draft").label == "Edit your walkthrough (1 step)"


def editor(db_path, monkeypatch):
    monkeypatch.setenv("MBCORE_ROOMS_DB", str(db_path))
    at = AppTest.from_file(str(WALK), default_timeout=60)
    at.query_params.update(name="seed_002", view="edit")
    run(at)
    assert at.title[0].value == "Edit your walkthrough"
    run(at.button(key="_mb_ed_from").click())          # start from seed_002
    return at


def ids(at) -> list:
    return list(at.session_state["_mb_walk_draft_ids"])


def test_the_editor_reorders_edits_deletes_and_presents(tmp_path, monkeypatch):
    at = editor(tmp_path / "rooms.sqlite3", monkeypatch)
    original = load(find("seed_002"))
    first, second = ids(at)[:2]
    run(at.button(key=f"_mb_ed_{second}_up").click())
    run(at.text_area(key=f"_mb_ed_{first}_notes").input("Ask who has seen x² before."))
    run(at.button(key=f"_mb_ed_{ids(at)[-1]}_delete").click())
    run(at.selectbox(key=f"_mb_ed_{first}_qkind").set_value("number"))
    run(at.text_input(key=f"_mb_ed_{first}_qtext").input("Validation MSE of sin?"))
    assert not at.error, at.error[0].value
    walk = parse(dumps(at.session_state["_mb_walk_draft"]))
    assert [s.title for s in walk.steps] == [original.steps[1].title, original.steps[0].title,
                                             *[s.title for s in original.steps[2:-1]]]
    assert walk.steps[1].notes == "Ask who has seen x² before."
    assert walk.steps[1].question.text == "Validation MSE of sin?"
    assert not at.button(key="_mb_ed_present").disabled
    run(at.button(key="_mb_ed_present").click())
    assert at.query_params["name"] in ("uploaded", ["uploaded"])
    assert at.title[0].value == original.steps[1].title       # now the first step


def test_an_invalid_edit_names_step_and_field_and_blocks_the_download(tmp_path, monkeypatch):
    at = editor(tmp_path / "rooms.sqlite3", monkeypatch)
    third = ids(at)[2]
    run(at.selectbox(key=f"_mb_ed_{third}_qkind").set_value("choice"))
    run(at.text_input(key=f"_mb_ed_{third}_qtext").input("Which?"))
    run(at.text_area(key=f"_mb_ed_{third}_qoptions").input("only one"))
    assert "step 3, field 'question.options'" in at.error[0].value
    assert at.button(key="_mb_ed_present").disabled
    run(at.text_area(key=f"_mb_ed_{third}_qoptions").input("one\ntwo"))
    assert not at.error
    assert parse(dumps(at.session_state["_mb_walk_draft"])).steps[2].question.options == \
        ("one", "two")
