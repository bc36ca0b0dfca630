"""Links: settings → query string → the same settings, for every lesson; bad links give
one warning naming the field and a working page; presets, presenter mode and hidden
controls by URL; the `active` hook folds unused controls away without losing them."""
from urllib.parse import parse_qs

import pytest
from streamlit.testing.v1 import AppTest

from mbcore.lessons import ALL_LESSONS, LESSONS
from mbcore.settings import field_names, specs
from mbcore.ui.controls import FOLDED, SECONDARY, UNUSED
from mbcore.ui.links import HIDDEN_BOX
from mbcore.views.links import LINK_PARAMS, Link, View, query_string, read_link
from cases import page_file
from conftest import ROOT


def alternative(spec):
    """A valid value other than the default (if the field has one), off any slider grid."""
    if spec.choices is not None:
        return ([spec.default] + [c for c in spec.choices if c != spec.default])[-1]
    if spec.type is bool:
        return not spec.default
    if spec.log:
        return float(f"{spec.lo * 7:g}")         # 7e-05: not on the 1-2-5 grid
    if spec.type is int:
        return next(v for v in (spec.lo + 1, spec.lo + 2) if v != spec.default)
    return spec.lo + (spec.step or (spec.hi - spec.lo) / 100) * 0.5


def changed_everywhere(lesson):
    """The lesson's defaults with as many fields changed as still fit together
    and still make a network that can be built."""
    values = {}
    for spec in specs(lesson.settings_cls):
        try:
            lesson.architecture(lesson.settings_cls(**values, **{spec.name: alternative(spec)}))
            values[spec.name] = alternative(spec)
        except ValueError:
            pass
    return lesson.settings_cls(**values)


def reopened(lesson, link: Link) -> Link:
    return read_link(lesson, parse_qs(query_string(link), keep_blank_values=True))


def open_link(lesson_id: str, **params) -> AppTest:
    at = AppTest.from_file(str(page_file(lesson_id)), default_timeout=60)
    at.query_params.update(params)
    at.run()
    assert not at.exception, at.exception[0].value
    return at


def keys_under(block) -> set:
    keys, todo = set(), [block]
    while todo:
        node = todo.pop()
        if hasattr(node, "children"):
            todo.extend(node.children.values())
        elif getattr(node, "key", None):
            keys.add(node.key)
    return keys


def block_keys(at: AppTest, *, label: str | None = None, suffix: str | None = None) -> set:
    """The widget keys inside the sidebar expander `label` or the container whose
    element id ends with `suffix` (a keyed st.container)."""
    todo, found = [at.sidebar], set()
    while todo:
        node = todo.pop()
        todo.extend(getattr(node, "children", {}).values())
        proto = getattr(node, "proto", None)
        if (label is not None and type(node).__name__ == "Expander" and node.label == label) \
                or (suffix is not None and getattr(proto, "id", "").endswith(suffix)):
            found |= keys_under(node)
    return found


# -- the core side: pure functions ------------------------------------------------------

def test_link_parameters_never_shadow_a_setting():
    for lesson in ALL_LESSONS.values():
        assert not set(LINK_PARAMS) & set(field_names(lesson.settings_cls)), lesson.id


@pytest.mark.parametrize("lesson_id", ALL_LESSONS)
def test_every_field_and_every_preset_survives_a_round_trip(lesson_id):
    lesson = ALL_LESSONS[lesson_id]
    cls = lesson.settings_cls
    cases = [changed_everywhere(lesson), cls()]
    cases += [lesson.preset(name) for name in lesson.presets]
    cases.append(cls(learning_rate=0.1 + 0.2))     # 0.30000000000000004 comes back exactly
    for spec in specs(cls):
        try:
            cases.append(cls(**{spec.name: alternative(spec)}))
        except ValueError:
            pass                  # this field alone breaks a rule tying fields together
    for settings in cases:
        back = reopened(lesson, Link(settings))
        assert back.settings == settings and not back.warnings, (settings, back.warnings)
    assert len(changed_everywhere(lesson).changed()) >= len(specs(cls)) // 2


def test_defaults_are_left_out_of_the_link():
    lesson = LESSONS["depth_residual"]
    assert query_string(Link(lesson.settings_cls())) == ""
    assert query_string(Link(lesson.settings_cls(width=12))) == "width=12"


@pytest.mark.parametrize("params, field", [
    ({"colour": "red"}, "colour"),                  # unknown field
    ({"width": "1000"}, "width"),                   # out of range
    ({"width": "12.5"}, "width"),                   # wrong type
    ({"residual": "perhaps"}, "residual"),          # garbage
    ({"learning_rate": "nan"}, "learning_rate"),
    ({"merge": ""}, "merge"),
    ({"preset": "no such preset"}, "no such preset"),
    ({"presenter": "loud"}, "presenter"),
    ({"hide": "colour"}, "colour"),
])
def test_a_bad_value_falls_back_to_its_default_and_names_the_field(params, field):
    lesson = LESSONS["depth_residual"]
    link = read_link(lesson, {**params, "blocks": "4"})
    assert len(link.warnings) == 1 and field in link.warnings[0]
    assert link.settings == lesson.settings_cls(blocks=4)      # the good value is kept
    assert link.view == View() and link.hide == ()


def test_settings_that_do_not_fit_together_fall_back_with_a_warning():
    lesson = ALL_LESSONS["build_your_own"]        # cross-entropy needs a yes/no target
    link = read_link(lesson, {"output_1_loss": "binary_crossentropy", "inputs": "3"})
    assert link.settings == lesson.settings_cls() and len(link.warnings) == 1
    assert "output_1_loss" in link.warnings[0]


def test_preset_then_fields_override_it():
    lesson = LESSONS["depth_residual"]
    link = read_link(lesson, {"preset": "tutorial: plain 12 layers", "width": "12"})
    assert link.settings == lesson.settings_cls(residual=False, width=12) and not link.warnings


def test_presenter_and_hide_flags():
    lesson = LESSONS["depth_residual"]
    link = read_link(lesson, {"presenter": "1", "hide": ["epochs,seed", "learning_rate"]})
    assert link.view.presenter and link.hide == ("seed", "epochs", "learning_rate")
    assert reopened(lesson, link) == link


# -- the pages, through AppTest ---------------------------------------------------------

@pytest.mark.parametrize("lesson_id", ALL_LESSONS)
def test_a_link_restores_every_control_on_the_page(lesson_id):
    lesson = ALL_LESSONS[lesson_id]
    settings = changed_everywhere(lesson)
    assert settings.learning_rate == 7e-05                # off the slider's grid
    at = open_link(lesson_id, **{k: v[0] for k, v in parse_qs(query_string(Link(settings))).items()})
    assert not at.warning and not at.error
    for spec in specs(lesson.settings_cls):
        assert at.get_by_key(spec.name).value == getattr(settings, spec.name), spec.name
    shown = " ".join(c.value for c in at.code)
    assert "?" + query_string(Link(settings)) in shown      # the share box's link


def test_a_bad_link_gives_one_warning_and_a_working_page():
    at = open_link("two_branches", colour="red", left_units="100000", epochs="many",
                   merge="nonsense", preset="nope", features="64")
    assert len(at.warning) == 1
    for name in ("colour", "left_units", "epochs", "merge", "nope"):
        assert name in at.warning[0].value
    assert at.get_by_key("features").value == 64                  # the good value is kept
    assert at.get_by_key("left_units").value == LESSONS["two_branches"].settings_cls().left_units
    assert any(m.label == "Parameters" for m in at.metric)
    assert at.query_params == {"features": "64"}                    # the link is tidied


def test_a_preset_link_and_a_preset_button():
    at = open_link("depth_residual", preset="tutorial: plain 12 layers", width="12")
    assert at.get_by_key("residual").value is False and at.get_by_key("width").value == 12
    assert at.query_params == {"residual": "false", "width": "12"}
    at.button(key="preset_exercise: four blocks").click().run()
    assert not at.exception
    assert at.get_by_key("residual").value is True and at.get_by_key("blocks").value == 4
    assert at.query_params.get("blocks") == "4" and "residual" not in at.query_params


def test_presenter_link_folds_text_and_secondary_controls():
    at = open_link("depth_residual", presenter="1", learning_rate="0.0007")
    assert at.get_by_key("presenter").value is True
    labels = [e.label for e in at.expander]
    assert "Lesson text" in labels and not any(lb.startswith("Keras then and now") for lb in labels)
    folded = block_keys(at, label=FOLDED[SECONDARY])
    assert {"learning_rate", "epochs", "seed"} <= folded and "residual" not in folded
    assert at.get_by_key("learning_rate").value == 0.0007
    at.get_by_key("presenter").set_value(False).run()
    assert not block_keys(at, label=FOLDED[SECONDARY])
    assert any(e.label.startswith("Keras then and now") for e in at.expander)
    assert at.get_by_key("learning_rate").value == 0.0007


def test_hidden_controls_keep_their_values():
    at = open_link("depth_residual", hide="learning_rate,blocks", blocks="4")
    assert block_keys(at, suffix=HIDDEN_BOX) == {"learning_rate", "blocks"}
    assert at.get_by_key("blocks").value == 4 and at.get_by_key("hide").value == [
        "blocks", "learning_rate"]
    lesson = LESSONS["depth_residual"]
    params = lesson.architecture(lesson.settings_cls(blocks=4)).params
    assert any(m.label == "Parameters" and m.value == f"{params:,}" for m in at.metric)


def _fake_lesson_page():
    """A two-field lesson whose second field only counts with two inputs."""
    from dataclasses import dataclass

    import streamlit as st

    from mbcore.lessons.lesson import Lesson
    from mbcore.settings import Settings, option
    from mbcore.ui.controls import settings_panel

    @dataclass(frozen=True)
    class Fake(Settings):
        lesson_id = "fake"
        inputs: int = option(1, "Inputs", lo=1, hi=2)
        second_width: int = option(8, "Second input: width", lo=1, hi=64)

    lesson = Lesson(id="fake", title="Fake", blurb="", source="", settings_cls=Fake,
                    task="", kind="regression", architecture=None, recipe=None,
                    active=lambda v: {"inputs"} | ({"second_width"} if v["inputs"] > 1 else set()))
    settings = settings_panel(lesson)
    st.write(f"settings: {settings}")


def test_unused_controls_are_folded_away_and_keep_their_values():
    at = AppTest.from_function(_fake_lesson_page, default_timeout=30)
    at.query_params["second_width"] = "20"
    at.run()
    assert not at.exception and not at.warning
    assert block_keys(at, label=FOLDED[UNUSED]) == {"second_width"}
    assert at.get_by_key("second_width").value == 20
    at.get_by_key("inputs").set_value(2).run()
    assert not block_keys(at, label=FOLDED[UNUSED]) and at.get_by_key("second_width").value == 20
    at.get_by_key("inputs").set_value(1).run()
    assert block_keys(at, label=FOLDED[UNUSED]) == {"second_width"}
    assert at.get_by_key("second_width").value == 20
    assert "second_width=20" in at.markdown[-1].value


def test_a_value_from_another_lesson_never_breaks_the_next_page():
    """Widget keys are field names shared by the session's pages: epochs=150 is fine on
    two_branches (up to 200) but above aux_output's 100, which must open at its default."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    at.switch_page("pages/two_branches.py").run()
    at.slider(key="epochs").set_value(150).run()
    assert not at.exception and at.get_by_key("epochs").value == 150
    at.switch_page("pages/aux_output.py").run()
    assert not at.exception
    assert at.get_by_key("epochs").value == LESSONS["aux_output"].settings_cls().epochs


def test_switching_pages_keeps_each_lessons_own_settings():
    """A page switch carries neither the last page's values nor its URL into the next
    page, and coming back restores the first page's settings and link."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    at.switch_page("pages/two_branches.py").run()
    at.get_by_key("features").set_value(100).run()   # (AppTest does not write the URL)
    at.switch_page("pages/merge_modes.py").run()
    assert not at.exception
    defaults = LESSONS["merge_modes"].settings_cls()
    assert at.get_by_key("features").value == defaults.features
    assert "features" not in at.query_params
    params = next(m for m in at.metric if m.label == "Parameters").value
    assert params == f"{LESSONS['merge_modes'].architecture(defaults).params:,}"
    at.switch_page("pages/two_branches.py").run()
    assert at.get_by_key("features").value == 100


def test_presenter_mode_puts_the_diagram_beside_the_train_button():
    """Presenter mode: the network and its training side by side (one screen on a
    projector); otherwise the training panel sits under the diagram, beside the text."""
    def column_of(at, has):
        return next(i for i, c in enumerate(at.columns) if has(c))
    diagram = lambda c: c.get("graphviz_chart")                       # noqa: E731
    train = lambda c: any(b.label == "Train" for b in c.get("button"))  # noqa: E731
    at = open_link("two_branches", presenter="true")
    assert column_of(at, diagram) != column_of(at, train)
    plain = open_link("two_branches")
    assert column_of(plain, diagram) == column_of(plain, train)
