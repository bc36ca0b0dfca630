"""Walkthroughs: every shipped file is valid, bad files are refused with the step
and field named (CLI exit 2), and the presenter view applies each step's settings."""
import json
import subprocess
import sys

import pytest
from streamlit.testing.v1 import AppTest

from mbcore.cli.main import main
from mbcore.lessons import get_lesson
from mbcore.walkthroughs import WalkthroughError, find, load, parse, shipped
from conftest import ROOT
import shown_charts

PAGE = ROOT / "pages" / "walkthrough.py"
GOOD_STEP = '[[steps]]\nlesson = "depth_residual"\npreset = "tutorial: plain 12 layers"\n'


def test_one_walkthrough_per_source_tutorial():
    assert shipped() == [f"seed_{i:03d}" for i in range(5)]
    for name in shipped():
        walk = load(find(name))
        assert walk.source == name[-3:]
        assert len(walk.steps) >= 3 and any(s.question for s in walk.steps)
        assert all(s.lesson.source == walk.source for s in walk.steps), name


@pytest.mark.parametrize("name", shipped())
def test_cli_accepts_every_shipped_walkthrough(name, capsys):
    assert main(["walkthrough", "check", str(ROOT / "walkthroughs" / f"{name}.toml")]) == 0
    assert capsys.readouterr().out.startswith("ok:")


def test_steps_carry_preset_and_overrides():
    step = load(find("seed_002")).steps[0]
    lesson = get_lesson("multi_io")
    assert step.settings == lesson.preset("x to both branches").replace(epochs=100)
    duel = load(find("seed_002")).steps[6]
    assert [s.residual for s in duel.compare.values()] == [False, True]


BAD = {
    "unknown lesson": ('[[steps]]\nlesson = "nope"\n', 1, "lesson"),
    "unknown preset": (GOOD_STEP + '[[steps]]\nlesson = "multi_io"\npreset = "x"\n', 2, "preset"),
    "unknown setting": (GOOD_STEP + 'set = { wings = 2 }\n', 1, "set.wings"),
    "bad value": (GOOD_STEP + 'set = { blocks = 99 }\n', 1, "set.blocks"),
    "bad panel": (GOOD_STEP + 'show = ["hologram"]\n', 1, "show"),
    "choice without options": (GOOD_STEP + '[steps.question]\nkind = "choice"\ntext = "?"\n',
                               1, "question.options"),
    "action without its panel": (GOOD_STEP + 'action = "train"\nshow = ["diagram"]\n', 1,
                                 "action"),
    "compare with one variant": (GOOD_STEP + 'show = ["compare"]\ncompare = { a = {} }\n', 1,
                                 "compare"),
    "explore an unknown field": (GOOD_STEP + '[steps.explore]\nfields = ["wings"]\n'
                                'measured = "loss"\n', 1, "explore.fields"),
    "sketch without its y axis": (GOOD_STEP + '[steps.question]\nkind = "sketch"\ntext = "?"\n'
                                  'measured = "loss"\n', 1, "question.range"),
    "sketch over no curve": (GOOD_STEP + '[steps.question]\nkind = "sketch"\ntext = "?"\n'
                             'range = [0, 1]\n', 1, "question.measured"),
    "bad variant value": (GOOD_STEP + 'show = ["compare"]\ncompare = { a = {}, b = '
                          '{ width = 0 } }\n', 1, "compare.b.width"),
}


@pytest.mark.parametrize("case", BAD)
def test_a_bad_file_names_the_step_and_field(case, tmp_path):
    text, step, field = BAD[case]
    with pytest.raises(WalkthroughError) as err:
        parse(text)
    assert (err.value.step, err.value.field) == (step, field)
    path = tmp_path / "bad.toml"
    path.write_text(text)
    out = subprocess.run([sys.executable, "-m", "mbcore", "walkthrough", "check", str(path)],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and f"step {step}, field '{field}'" in lines[0], out.stderr


def test_not_toml_and_no_steps_are_refused(tmp_path):
    for text in ("this is = = not toml", 'title = "empty"\n'):
        (tmp_path / "w.toml").write_text(text)
        assert main(["walkthrough", "check", str(tmp_path / "w.toml")]) == 2
    assert main(["walkthrough", "check", str(tmp_path / "missing.toml")]) == 2


def shown_params(at) -> int:
    return int(next(m for m in at.metric if m.label == "Parameters").value.replace(",", ""))


@pytest.fixture(scope="module")
def workers_end_with_module():
    """The step-through tests share the workers their train actions start (ending
    them takes seconds), and end them once, after the last."""
    yield
    from mbcore.engine import runner as jobs
    with jobs._shared_lock:
        runner, jobs._shared = jobs._shared, None
    if runner is not None:
        runner.shutdown()


@pytest.mark.parametrize("name", shipped())
def test_stepping_through_a_walkthrough_applies_each_steps_settings(name, tmp_path, monkeypatch,
                                                                    workers_end_with_module):
    """Every step of every shipped walkthrough renders with its own settings; a step
    whose action is train has started a training of exactly those settings."""
    monkeypatch.setenv("MBCORE_ROOMS_DB", str(tmp_path / "rooms.sqlite3"))
    walk = load(find(name))
    at = AppTest.from_file(str(PAGE), default_timeout=60)
    at.query_params.update(name=name, step="1")
    at.run()
    assert not at.exception, at.exception[0].value
    try:
        for step in walk.steps:
            assert str(at.query_params["step"]).strip("[]'") == str(step.number)
            assert at.title[0].value == step.title
            if {"diagram", "summary"} & set(step.show):
                assert shown_params(at) == step.lesson.architecture(step.settings).params
            if step.action == "train":
                started = at.session_state["_mb_watches"][f"{step.lesson.id}/train"]
                assert started.settings == step.settings, step.number
            if "compare" in step.show:
                assert at.button(key=f"{step.lesson.id}/walk_step{step.number}_start")
            if step.question is not None:
                assert any(step.question.text in m.value for m in at.markdown)
            if step.number < len(walk.steps):
                at.button(key="_mb_walk_next").click().run()
                assert not at.exception, at.exception[0].value
    finally:
        for watch in at.session_state["_mb_watches"].values() \
                if "_mb_watches" in at.session_state else ():
            watch.cancel()                   # only that they start is checked here
    assert at.button(key="_mb_walk_next").disabled
    at.button(key="_mb_walk_to_1").click().run()          # a step's link
    assert at.title[0].value == walk.steps[0].title


def test_the_tutorials_plain_net_is_step_4_of_seed_002(tmp_path, monkeypatch):
    monkeypatch.setenv("MBCORE_ROOMS_DB", str(tmp_path / "rooms.sqlite3"))
    at = AppTest.from_file(str(PAGE), default_timeout=60)
    at.query_params.update(name="seed_002", step="5")
    at.run()
    at.button(key="_mb_walk_to_4").click().run()
    assert at.title[0].value == load(find("seed_002")).steps[3].title
    assert shown_params(at) == 1131                        # the tutorial's plain net


def test_a_malformed_upload_names_step_and_field_and_the_page_carries_on(tmp_path,
                                                                          monkeypatch):
    monkeypatch.setenv("MBCORE_ROOMS_DB", str(tmp_path / "rooms.sqlite3"))
    at = AppTest.from_file(str(PAGE), default_timeout=60)
    at.query_params.update(name="seed_000")
    at.run()
    assert at.title[0].value == load(find("seed_000")).steps[0].title
    at.selectbox(key="_mb_walk_pick").set_value("seed_003").run()      # the picker
    assert at.title[0].value == load(find("seed_003")).steps[0].title
    # AppTest cannot drive a file uploader: parse() is what the page calls on the upload
    with pytest.raises(WalkthroughError, match=r"step 1, field 'set.blocks'"):
        parse(GOOD_STEP + 'set = { blocks = 99 }\n')
    at.query_params["name"] = "no_such_walkthrough"
    at.run()
    assert not at.exception
    assert "no walkthrough named 'no_such_walkthrough'" in at.error[0].value


TINY = 'set = { blocks = 1, hidden = 2, n_train = 64, n_val = 16, epochs = 2 }\n'
TWO_TRAININGS = (
    '[[steps]]\nlesson = "depth_residual"\npreset = "tutorial: plain 12 layers"\n' + TINY
    + 'show = ["training"]\naction = "train"\n'
    '[steps.question]\nkind = "number"\ntext = "Validation MSE?"\nmeasured = "loss"\n'
    '[[steps]]\nlesson = "depth_residual"\n' + TINY + 'show = ["training"]\naction = "train"\n')



def finished_training(at) -> bool:
    return any(m.label == "wall time" for m in at.metric)


def test_an_action_trains_on_entry_and_stepping_back_keeps_the_result(tmp_path, monkeypatch,
                                                                      end_workers):
    from test_pages import wait_until
    monkeypatch.setenv("MBCORE_ROOMS_DB", str(tmp_path / "rooms.sqlite3"))
    walk = parse(TWO_TRAININGS)
    at = AppTest.from_file(str(PAGE), default_timeout=60)
    at.session_state["_mb_walk_uploaded"] = walk        # as the upload keeps it
    at.query_params.update(name="uploaded", step="1")
    at.run()
    wait_until(at, finished_training, timeout=240)       # no Train click: the step's action
    first = at.session_state["_mb_watches"]["depth_residual/train"]
    assert first.settings == walk.steps[0].settings and not first.settings.residual
    at.button(key="_mb_walk_next").click().run()
    wait_until(at, finished_training, timeout=240)
    assert at.session_state["_mb_watches"]["depth_residual/train"].settings.residual
    at.button(key="_mb_walk_prev").click().run()
    assert at.session_state["_mb_watches"]["depth_residual/train"] is first
    assert finished_training(at), "the first step's finished training is not shown at once"
    # the lesson's own plots, not only the curves: the fit of sin(12πx) and the gradients
    specs = [json.dumps(f) for f in shown_charts.figures(at)]
    assert any("on validation points" in s for s in specs), "no fit plot on the step"
    assert any("Gradients, " in s for s in specs), "no gradient plot on the step"


def test_the_notes_window_follows_the_presenters_step(tmp_path, monkeypatch):
    monkeypatch.setenv("MBCORE_ROOMS_DB", str(tmp_path / "rooms.sqlite3"))
    walk = load(find("seed_002"))
    presenter = AppTest.from_file(str(PAGE), default_timeout=60)
    presenter.query_params.update(name="seed_002", step="3")
    presenter.run()
    link = next(b for b in presenter.get("link_button")).proto.url
    assert "view=notes" in link and "follow=" in link
    notes = AppTest.from_file(str(PAGE), default_timeout=60)
    notes.query_params.update(dict(p.split("=") for p in link.split("?")[1].split("&")))
    notes.run()
    assert not notes.exception
    assert notes.header[0].value == walk.steps[2].title
    assert any("weighted sum of both MSEs" in m.value for m in notes.markdown)
    assert any(walk.steps[3].title in m.value for m in notes.markdown)      # what comes next
    presenter.button(key="_mb_walk_next").click().run()
    notes.run()
    assert notes.header[0].value == walk.steps[3].title
    assert not notes.button, "the notes window drives nothing"
    # a presenter served by another replica, showing an upload: only the room store
    # links the two windows, and the walkthrough travels as its text
    from mbcore.classroom import SqliteRoomStore
    from mbcore.walkthroughs.writer import dumps
    theirs = load(find("seed_001"))
    SqliteRoomStore(tmp_path / "rooms.sqlite3").set_position("elsewhere", "uploaded", 2,
                                                             dumps(theirs.raw))
    notes.query_params.update(name="uploaded", follow="elsewhere")
    notes.run()
    assert not notes.exception
    assert notes.header[0].value == theirs.steps[1].title
