"""Every lesson page, driven through Streamlit's AppTest: renders, seed defaults,
architecture controls redraw the parameter count, bad input is an error message."""
import pytest
from streamlit.testing.v1 import AppTest

from mbcore.lessons import LESSONS
from mbcore.settings import specs
from conftest import ROOT

PAGES = {lid: ROOT / "pages" / f"{i + 1}_{lid}.py" for i, lid in enumerate(LESSONS)}

# One architecture control per lesson and a value that changes the parameter count.
ARCH_CHANGE = {
    "two_branches": ("left_units", 64),
    "merge_modes": ("merge", "dot"),
    "multi_io": ("left_width", 20),
    "aux_output": ("embed_dim", 32),
    "depth_residual": ("residual", False),
    "mlp_shapes": ("units", 32),
    "multimodal": ("branches", "tag"),
}


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
    at.button(key="preset_seed: plain 12 layers").click().run()
    assert at.get_by_key("residual").value is False and params_shown(at) == 1131
    at.get_by_key("width").set_value(20).run()
    at.button(key="reset_seed_defaults").click().run()
    assert at.get_by_key("residual").value is True and at.get_by_key("width").value == 10
    assert params_shown(at) == 23631


def test_merge_modes_lists_refused_modes_with_the_reason():
    at = open_page("merge_modes")
    at.get_by_key("right_units").set_value(16).run()
    refused = " ".join(w.value for w in at.warning)
    for mode in ("add", "multiply", "dot", "subtract"):
        assert f"**{mode}** is not possible" in refused
    assert "concatenate" not in refused
