"""The build-your-own page and the landing page: which fields matter, the page
drawn and trained through AppTest, impossible merges explained, every page linked."""

import pytest
from streamlit.testing.v1 import AppTest

from cases import page_file
import shown_charts
from conftest import ROOT
from mbcore.lessons import ALL_LESSONS, BUILD_YOUR_OWN
from mbcore.network.merges import MergeError
from mbcore.lessons.build_your_own import MAX_INPUTS, MAX_OUTPUTS, BuildYourOwn
import test_pages
from test_pages import has_wall_time, params_shown, set_controls, wait_until

PAGE = page_file("build_your_own")
ARCH_GROUPS = ("input_", "branch_", "output_")
end_workers = test_pages.end_workers      # the pages' worker processes end with the module


def active(**values) -> set:
    return BUILD_YOUR_OWN.active_fields(values)


def per_slot(names: set, prefix: str) -> set:
    """The slot numbers (i of input_i, branch_i_…) that have an active field."""
    return {int(n[len(prefix):].split("_")[0]) for n in names if n.startswith(prefix)}


# -- which fields matter ---------------------------------------------------------------
def test_only_the_chosen_inputs_and_outputs_are_active():
    for k in range(1, MAX_INPUTS + 1):
        for m in range(1, MAX_OUTPUTS + 1):
            names = active(inputs=k, outputs=m)
            assert per_slot(names, "input_") == per_slot(names, "branch_") == set(range(1, k + 1))
            assert per_slot(names, "output_") == set(range(1, m + 1))
            assert ("merge" in names) == (k > 1)


def test_shared_fields_stay_active():
    names = active(inputs=1, outputs=1, trunk_layers=0)
    shared = {f for f in BuildYourOwn.__dataclass_fields__
              if not f.startswith(ARCH_GROUPS) and f not in ("merge", "trunk_width")}
    assert shared <= names
    assert {"inputs", "outputs", "epochs", "seed", "trunk_layers"} <= shared


def test_widths_of_empty_stacks_are_inactive():
    names = active(inputs=2, trunk_layers=0, branch_2_layers=0)
    assert "trunk_width" not in names and "branch_2_layers" in names
    assert not {"branch_2_width", "branch_2_type", "branch_2_activation"} & names
    assert {"branch_1_width", "branch_1_type", "branch_1_activation"} <= names
    assert "trunk_width" in active(trunk_layers=2)


def test_the_defaults_have_their_own_active_set():
    names = active()
    assert per_slot(names, "input_") == set(range(1, BuildYourOwn().inputs + 1))
    assert per_slot(names, "output_") == set(range(1, BuildYourOwn().outputs + 1))


def test_impossible_merges_name_the_rule_and_the_way_out():
    with pytest.raises(MergeError, match=r"equal width.*branch 2 = 8.*concatenate"):
        BUILD_YOUR_OWN.architecture(BuildYourOwn(merge="add", branch_2_width=8))
    with pytest.raises(MergeError, match=r"exactly 2 branches.*number of inputs to 2"):
        BUILD_YOUR_OWN.architecture(BuildYourOwn(merge="subtract", inputs=3))
    with pytest.raises(MergeError, match=r"0 layers passes its input's features"):
        BUILD_YOUR_OWN.architecture(BuildYourOwn(merge="multiply", branch_1_layers=0))
    assert BUILD_YOUR_OWN.architecture(BuildYourOwn(merge="subtract", inputs=1)).params > 0


# -- the page --------------------------------------------------------------------------
def open_page() -> AppTest:
    at = AppTest.from_file(str(PAGE), default_timeout=60).run()
    assert not at.exception, at.exception[0].value
    return at


def metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def test_page_renders_the_default_network():
    at = open_page()
    assert not at.error
    assert params_shown(at) == BUILD_YOUR_OWN.architecture(BuildYourOwn()).params
    assert at.get("graphviz_chart") and at.dataframe


def test_inputs_and_outputs_redraw_the_model_and_its_code():
    from mbcore.lessons import Experiment
    from mbcore.views.export import script
    at = set_controls(open_page(), {"inputs": 3, "outputs": 1})
    chosen = BuildYourOwn(inputs=3, outputs=1)
    assert params_shown(at) == BUILD_YOUR_OWN.architecture(chosen).params
    assert metric(at, "Inputs → outputs") == "3 → 1"
    shown = [c.value for c in at.code if "keras.Model(" in c.value]
    assert [c.strip() for c in shown] == [script(Experiment.of(chosen)).strip()]


def test_impossible_merge_is_explained_and_the_page_stays_usable():
    at = set_controls(open_page(), {"inputs": 3, "merge": "add", "branch_2_width": 8})
    errors = " ".join(e.value for e in at.error)
    assert "equal width" in errors and "concatenate" in errors
    assert not at.get("graphviz_chart")
    assert "build_your_own/train_start" not in [b.key for b in at.button]
    assert at.get_by_key("inputs").value == 3 and at.get_by_key("branch_2_width").value == 8
    at.get_by_key("branch_2_width").set_value(16).run()
    assert not at.exception and not at.error
    assert params_shown(at) == BUILD_YOUR_OWN.architecture(
        BuildYourOwn(inputs=3, merge="add")).params


def test_train_shows_each_fit_and_the_yes_no_accuracy():
    yes_no = BUILD_YOUR_OWN.presets["a yes/no output"]
    at = set_controls(open_page(), {**yes_no, "epochs": 3, "n_samples": 200})
    at.button(key="build_your_own/train_start").click().run()
    wait_until(at, has_wall_time)
    titles = shown_charts.titles(at)
    assert any(t.startswith("Loss") for t in titles)
    fits = [t for t in titles if t.startswith("Output ")]
    assert len(fits) == BuildYourOwn().outputs
    assert any(yes_no["output_2_target"] in t and t.endswith("% right") for t in fits)
    finals = [m.label for m in at.metric]
    assert any("accuracy" in label for label in finals) and "wall time" in finals
    assert "Epoch 3/3" in at.get("progress")[0].proto.text


# -- the landing page and the navigation ----------------------------------------------
def test_landing_links_every_lesson_page_at_its_id():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert not at.exception, at.exception[0].value
    links = [link.proto.page for link in at.get("page_link")]
    assert sorted(links) == sorted(ALL_LESSONS)


def test_a_lesson_opened_first_is_routed_through_app_navigation():
    """AppTest opens a page in Streamlit's legacy pages/ mode, as a fresh server does
    for a link: the page leaves that mode, so app.py's navigation draws the sidebar."""
    from streamlit.runtime.pages_manager import PagesManager
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    at.switch_page(str(PAGE.relative_to(ROOT))).run()
    assert not at.exception and at.title[0].value == BUILD_YOUR_OWN.title
    assert PagesManager.uses_pages_directory is False
