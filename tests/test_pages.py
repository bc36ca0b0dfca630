"""Every lesson page, driven through Streamlit's AppTest: renders, seed defaults,
architecture controls redraw the parameter count, bad input is an error message."""
import re
import time

import pytest
from streamlit.testing.v1 import AppTest

from mbcore.lessons import LESSONS
from mbcore.network.merges import MERGE_NAMES
from mbcore.settings import specs
from cases import CASES, page_file
import shown_charts
from conftest import ROOT

PAGES = {lid: page_file(lid) for lid in LESSONS}
ARCH_CHANGE = {lid: CASES[lid].arch_change for lid in LESSONS}


@pytest.fixture(scope="module", autouse=True)
def end_workers():
    """The pages train in the shared runner's worker processes: end them with the module,
    so no worker is still starting when pytest exits."""
    yield
    from mbcore.engine import runner as jobs
    with jobs._shared_lock:
        runner, jobs._shared = jobs._shared, None
    if runner is not None:
        runner.shutdown()


def open_page(lesson_id: str) -> AppTest:
    at = AppTest.from_file(str(PAGES[lesson_id]), default_timeout=60).run()
    assert not at.exception, at.exception[0].value
    return at


def params_shown(at: AppTest) -> int:
    metric = next(m for m in at.metric if m.label == "Parameters")
    return int(metric.value.replace(",", ""))


def expected_params(lesson_id: str, **changes) -> int:
    lesson = LESSONS[lesson_id]
    return lesson.architecture(lesson.settings_cls(**changes)).params


def test_every_lesson_has_a_page():
    assert all(p.exists() for p in PAGES.values())


@pytest.mark.parametrize("lesson_id", LESSONS)
def test_page_renders_with_seed_defaults(lesson_id):
    at = open_page(lesson_id)
    assert not at.error
    for spec in specs(LESSONS[lesson_id].settings_cls):
        assert at.get_by_key(spec.name).value == spec.default, spec.name
    assert params_shown(at) == expected_params(lesson_id)
    assert at.get("graphviz_chart"), "no architecture diagram"
    assert at.dataframe, "no summary table"


@pytest.mark.parametrize("lesson_id", LESSONS)
def test_architecture_control_changes_parameter_count(lesson_id):
    at = open_page(lesson_id)
    field, value = ARCH_CHANGE[lesson_id]
    before = params_shown(at)
    at.get_by_key(field).set_value(value).run()
    assert not at.exception
    after = params_shown(at)
    assert after == expected_params(lesson_id, **{field: value}) != before


def test_impossible_merge_is_an_error_message_and_keeps_other_settings():
    at = open_page("two_branches")
    at.get_by_key("features").set_value(100).run()
    at.get_by_key("left_units").set_value(16).run()
    at.get_by_key("merge").set_value("add").run()
    assert not at.exception
    assert any("equal width" in e.value for e in at.error)
    assert at.get_by_key("features").value == 100
    at.get_by_key("left_units").set_value(32).run()
    assert not at.error and params_shown(at) == expected_params(
        "two_branches", features=100, merge="add")


def test_presets_and_seed_reset():
    at = open_page("depth_residual")
    at.button(key="preset_tutorial: plain 12 layers").click().run()
    assert at.get_by_key("residual").value is False and params_shown(at) == 1131
    at.get_by_key("width").set_value(20).run()
    at.button(key="reset_defaults").click().run()
    assert at.get_by_key("residual").value is True and at.get_by_key("width").value == 10
    assert params_shown(at) == 23631


@pytest.mark.parametrize("lesson_id", [lid for lid, lesson in LESSONS.items()
                                       if lesson.full_size_seconds is not None])
def test_full_size_says_its_time_before_train_and_switches_back(lesson_id):
    """The tutorial's full size is one click away and says how long it trains; the
    way back restores only the sizes (another change stays)."""
    lesson = LESSONS[lesson_id]
    at = open_page(lesson_id)
    assert lesson.full_size_seconds(lesson.settings_cls()) is None
    assert not any("expect about" in i.value for i in at.info)
    at.button(key="preset_tutorial (full size)").click().run()
    full = lesson.preset("tutorial (full size)")
    expected = f"expect about {lesson.full_size_seconds(full):.0f} s"
    assert any(expected in i.value for i in at.info), [i.value for i in at.info]
    kept = next(s for s in specs(lesson.settings_cls) if s.type is int and s.name != "seed"
                and s.name not in full.changed() and s.default < s.hi)
    at.get_by_key(kept.name).set_value(kept.default + 1).run()
    at.button(key="classroom_size").click().run()
    assert not any("expect about" in i.value for i in at.info)
    for name in full.changed():
        assert at.get_by_key(name).value == getattr(lesson.settings_cls(), name), name
    assert at.get_by_key(kept.name).value == kept.default + 1


def test_merge_modes_lists_refused_modes_with_the_reason():
    at = open_page("merge_modes")
    at.get_by_key("right_units").set_value(16).run()
    refused = " ".join(w.value for w in at.warning)
    for mode in ("add", "multiply", "dot", "subtract"):
        assert f"**{mode}** is not possible" in refused
    assert "concatenate" not in refused


# -- training through the pages (small sizes, so each stays well under 30 s) ----------
SMALL = {lid: CASES[lid].quick for lid in LESSONS}
CHARTS_AFTER_TRAINING = {lid: CASES[lid].charts_after_training for lid in LESSONS}


def set_controls(at: AppTest, values: dict) -> AppTest:
    for name, value in values.items():
        at.get_by_key(name).set_value(value).run()
        assert not at.exception, at.exception[0].value
    return at


def wait_until(at: AppTest, done, timeout: float = 60.0) -> AppTest:
    """Rerun the page (as the polling fragment would) until done(at) holds."""
    end = time.monotonic() + timeout
    while not done(at):
        assert time.monotonic() < end, "training did not finish in time"
        time.sleep(0.5)
        at.run()
        assert not at.exception, at.exception[0].value
    return at


def has_wall_time(at: AppTest) -> bool:
    return any(m.label == "wall time" for m in at.metric)


def chart_titles(at: AppTest) -> list[str]:
    return shown_charts.titles(at)


@pytest.fixture
def downloads_offered(monkeypatch):
    """label -> data of every download button drawn; the plots HTML file comes as
    the titles of the figures it would hold."""
    from streamlit.delta_generator import DeltaGenerator
    from mbcore.views import downloads
    offered, button = {}, DeltaGenerator.download_button

    def spy(self, label, data, *args, **kwargs):
        offered[label] = data
        return button(self, label, data, *args, **kwargs)
    monkeypatch.setattr(DeltaGenerator, "download_button", spy)
    monkeypatch.setattr(downloads, "figures_html",
                        lambda figures, title: [fig.layout.title.text for _, fig in figures])
    return offered


@pytest.mark.parametrize("lesson_id", LESSONS)
def test_train_shows_charts_and_final_metrics(lesson_id, downloads_offered):
    at = set_controls(open_page(lesson_id), SMALL[lesson_id])
    untrained = set(chart_titles(at))
    at.button(key=f"{lesson_id}/train_start").click().run()
    wait_until(at, has_wall_time)
    # the plots file holds every plot of the result, also those the page draws after
    # the training panel (gradients, weights...), read when the button is clicked
    in_html = downloads_offered["Plots (.html)"]()
    assert set(chart_titles(at)) - untrained <= set(in_html) <= set(chart_titles(at))
    figures = shown_charts.figures(at)
    titles = " ".join(f["layout"]["title"]["text"] for f in figures)
    assert "Loss" in titles
    loss = next(f for f in figures if f["layout"]["title"]["text"].startswith("Loss"))
    epochs = SMALL[lesson_id]["epochs"]
    assert all(len(trace["y"]) == epochs for trace in loss["data"])
    assert any(t["name"].startswith("val ") for t in loss["data"])
    assert len(figures) >= CHARTS_AFTER_TRAINING[lesson_id], titles
    finals = [m for m in at.metric if m.label not in ("Parameters", "Keras layers", "Inputs → outputs")]
    assert len(finals) >= 2                       # at least one metric and the wall time
    assert f"Epoch {epochs}/{epochs}" in at.get("progress")[0].proto.text
    # each claim beside the text says whether this run speaks for it (ui/claims.py)
    said = [c.value for c in at.caption if c.value.startswith("this run")]
    assert len(said) == len(LESSONS[lesson_id].claims), said



def test_stop_ends_the_training_and_keeps_what_was_learned():
    at = set_controls(open_page("mlp_shapes"), {"epochs": 500, "n_train": 2000})
    at.button(key="mlp_shapes/train_start").click().run()
    assert not at.button(key="mlp_shapes/train_stop").disabled     # live at once
    wait_until(at, lambda a: "Epoch " in a.get("progress")[0].proto.text)
    at.button(key="mlp_shapes/train_stop").click().run()
    wait_until(at, has_wall_time, timeout=30)
    text = at.get("progress")[0].proto.text
    assert "stopped" in text and "Epoch 500/500" not in text


def test_continue_after_stop_trains_on_to_the_last_epoch():
    epochs = 1000
    at = set_controls(open_page("multi_io"), {"epochs": epochs, "left_depth": 2, "right_depth": 2})
    assert not continue_offered(at)
    at.button(key="multi_io/train_start").click().run()
    wait_until(at, lambda a: "Epoch " in a.get("progress")[0].proto.text)
    at.button(key="multi_io/train_stop").click().run()
    wait_until(at, has_wall_time, timeout=30)
    done = len(loss_curve(at))
    assert 0 < done < epochs and continue_offered(at)
    at.button(key="multi_io/train_continue").click().run()
    wait_until(at, lambda a: has_wall_time(a) and "done" in a.get("progress")[0].proto.text,
               timeout=180)
    curve = loss_curve(at)
    assert len(curve) == epochs and f"Epoch {epochs}/{epochs}" in at.get("progress")[0].proto.text
    assert curve[-1] < curve[done - 1] < curve[0]       # it went on learning from there
    assert not continue_offered(at)


def continue_offered(at: AppTest) -> bool:
    return any(b.key == "multi_io/train_continue" for b in at.button)


def loss_curve(at: AppTest) -> list[float]:
    loss = next(f for f in shown_charts.figures(at)
                if f["layout"]["title"]["text"].startswith("Loss"))
    return next(t["y"] for t in loss["data"] if not t["name"].startswith("val "))


def test_changing_a_control_while_training_says_the_result_is_old():
    at = set_controls(open_page("multi_io"), {"epochs": 30})
    at.button(key="multi_io/train_start").click().run()
    at.get_by_key("left_width").set_value(12).run()
    assert not at.exception
    assert params_shown(at) == expected_params("multi_io", left_width=12)
    assert any("left_width: 10 → 12" in i.value for i in at.info)
    wait_until(at, has_wall_time)
    assert any("left_width: 10 → 12" in i.value for i in at.info)


def test_merge_mode_shoot_out_overlays_every_allowed_mode():
    at = set_controls(open_page("merge_modes"), {"epochs": 1, "features": 8, "n_samples": 100,
                                                 "left_units": 8, "right_units": 8})
    at.button(key="merge_modes/shootout_start").click().run()
    wait_until(at, lambda a: "done" in a.get("progress")[0].proto.text
               and "running" not in a.get("progress")[0].proto.text
               and "queued" not in a.get("progress")[0].proto.text, timeout=90)
    overlay = shown_charts.by_key(at, "merge_modes/shootout_overlay")
    legend = [t["name"] for t in overlay["data"] if t.get("showlegend", True)]
    assert sorted(legend) == sorted(MERGE_NAMES)   # equal widths: every mode, one entry each
    names = {t["name"] for t in overlay["data"]}
    assert names == set(MERGE_NAMES) | {f"val {m}" for m in MERGE_NAMES}   # train and val each


@pytest.mark.parametrize("lesson_id", ["two_branches", "depth_residual"])
def test_page_offers_the_exact_keras_script(lesson_id):
    from mbcore.lessons import Experiment
    from mbcore.views.export import script
    at = open_page(lesson_id)
    at.get_by_key(ARCH_CHANGE[lesson_id][0]).set_value(ARCH_CHANGE[lesson_id][1]).run()
    shown = [c.value for c in at.code if "keras.Model(" in c.value]
    settings = LESSONS[lesson_id].settings_cls(**{ARCH_CHANGE[lesson_id][0]:
                                                 ARCH_CHANGE[lesson_id][1]})
    assert [c.strip() for c in shown] == [script(Experiment.of(settings)).strip()]
    assert at.get("download_button")


def test_depth_residual_folds_its_blocks_and_a_toggle_draws_every_layer():
    at = open_page("depth_residual")
    (chart,) = at.get("graphviz_chart")
    # node IDs carry a prefix that changes with the diagram (ui/model.py, redrawn_dot)
    assert '_block2 … block20"' in chart.proto.spec and "block20_dense_1" not in chart.proto.spec
    at.toggle(key="depth_residual/every_layer").set_value(True).run()
    (chart,) = at.get("graphviz_chart")
    assert "…" not in chart.proto.spec and '_block20_dense_1"' in chart.proto.spec


def diagram_ids(at: AppTest) -> set[str]:
    (chart,) = at.get("graphviz_chart")
    return set(re.findall(r'^\s*"([^"]+)" \[label=', chart.proto.spec, re.M))


def test_a_changed_diagram_gets_all_new_ids_and_an_unchanged_one_keeps_its_own():
    """Why: the browser's Graphviz view morphs every shape whose ID it drew before,
    point by point (seconds on a busy machine before the new count showed)."""
    at = open_page("two_branches")
    first = diagram_ids(at)
    assert len(first) >= 5
    at.run()
    assert diagram_ids(at) == first                  # nothing changed: nothing to redraw
    set_controls(at, {"left_units": 48})
    moved = diagram_ids(at)
    assert len(moved) == len(first) and not moved & first
    assert params_shown(at) == expected_params("two_branches", left_units=48)


def test_the_live_view_lets_go_for_a_page_run_but_not_for_its_own_clock(monkeypatch):
    """A live view waiting for news ends its wait when a control or a button (Stop)
    asks for a run of the page; the fragment's own timer does not count.
    This reads Streamlit's private request state: it fails if that changes."""
    from types import SimpleNamespace

    from streamlit.proto.WidgetStates_pb2 import WidgetStates
    from streamlit.runtime.scriptrunner_utils.script_requests import RerunData, ScriptRequests

    from mbcore.ui import training

    def states(click: bool) -> WidgetStates:
        out = WidgetStates()
        widget = out.widgets.add()
        widget.id, widget.trigger_value = "multi_io/train_stop", click
        return out

    def asked(*requests: RerunData) -> bool:
        pending = ScriptRequests()
        for data in requests:
            pending.request_rerun(data)
        monkeypatch.setattr(training, "get_script_run_ctx",
                            lambda: SimpleNamespace(script_requests=pending))
        return training._page_run_asked()

    tick = RerunData(fragment_id="live", is_auto_rerun=True, widget_states=states(False))
    stop = RerunData(widget_states=states(True))
    assert not asked()
    assert not asked(tick, tick)
    assert asked(stop) and asked(tick, stop) and asked(stop, tick)   # a tick never hides it
    assert asked(RerunData(widget_states=states(False)))        # a slider
