"""The one Streamlit module: what every lesson page shares.

Widgets are generated from the settings table (one name, one registry: the
widget key is the field name, which is also its URL and command-line name),
the model view comes from the Graph (no TensorFlow in the server), and the
training panel only talks to jobs running in worker processes.
"""
from __future__ import annotations

import math

import streamlit as st

from mbcore.diagram import to_dot
from mbcore.lessons import Lesson, get_lesson
from mbcore.settings import DATA, MODEL, TRAINING, Settings, SettingsError, Spec, specs
from mbcore.summary import summary_rows

GROUPS = {MODEL: "Model", DATA: "Data", TRAINING: "Training"}
SEED_NOTE = "Every control starts at the value of the source tutorial."


# -- page frame -----------------------------------------------------------------
def page(lesson_id: str) -> Lesson:
    """Wide layout, the lesson's title and its one-line blurb."""
    lesson = get_lesson(lesson_id)
    st.set_page_config(page_title=lesson.title, page_icon="🔀", layout="wide")
    st.title(lesson.title)
    st.caption(f"{lesson.blurb}  ·  lesson `{lesson.id}`, from source document {lesson.seed_doc}")
    return lesson


def lesson_page(lesson_id: str, text: str, rankdir: str = "TB"):
    """The frame every lesson shares: sidebar controls, text beside the model view.

    Returns (lesson, settings, graph, aside): settings or graph are None when the
    input cannot be honoured (an error is shown); `aside` is the text column, for
    what a page adds under its text (API changes, notes).
    """
    lesson = page(lesson_id)
    settings = settings_panel(lesson)
    aside, right = st.columns([2, 3], gap="large")
    with aside:
        lesson_text(text)
    with right:
        graph = model_view(settings, rankdir=rankdir)
    return lesson, settings, graph, aside


def lesson_text(markdown: str) -> None:
    """The lesson's own words: the idea, what to try, what to look for."""
    with st.container(border=True):
        st.markdown(markdown)


def api_change(what: str, old: str, new: str, note: str = "") -> None:
    """The seed's call (Keras 1/2) beside the Keras 3 call that replaces it."""
    with st.expander(f"Keras then and now: {what}", expanded=False):
        left, right = st.columns(2)
        left.caption("In the source tutorial (old Keras)")
        left.code(old, language="python")
        right.caption("Keras 3 (used here)")
        right.code(new, language="python")
        if note:
            st.markdown(note)


# -- settings widgets, generated from the table ----------------------------------
def _log_grid(spec: Spec) -> list[float]:
    """1-2-5 steps per decade between lo and hi, plus the default."""
    grid = {spec.default}
    for e in range(math.floor(math.log10(spec.lo)), math.ceil(math.log10(spec.hi)) + 1):
        for m in (1, 2, 5):
            v = float(f"{m}e{e}")
            if spec.lo <= v <= spec.hi:
                grid.add(v)
    return sorted(grid)


def _on_grid(spec: Spec, step: float) -> bool:
    steps = (spec.default - spec.lo) / step
    return abs(steps - round(steps)) < 1e-9


def widget(spec: Spec, where=st):
    """The one control for a field, chosen from its type and range; key = field name."""
    common = dict(label=spec.label, key=spec.name, help=spec.help or None)
    if spec.choices is not None:
        if len(spec.choices) <= 4:
            return where.segmented_control(options=spec.choices, default=spec.default,
                                           required=True, **common)
        return where.selectbox(options=spec.choices, index=spec.choices.index(spec.default),
                               **common)
    if spec.type is bool:
        return where.toggle(value=spec.default, **common)
    if spec.log:
        return where.select_slider(options=_log_grid(spec), value=spec.default,
                                   format_func=lambda v: f"{v:g}", **common)
    if spec.type is int:
        step = int(spec.step or 1)
        if (spec.hi - spec.lo) / step <= 300 and _on_grid(spec, step):
            return where.slider(min_value=int(spec.lo), max_value=int(spec.hi),
                                value=spec.default, step=step, **common)
        return where.number_input(min_value=int(spec.lo), max_value=int(spec.hi),
                                  value=spec.default, step=step, **common)
    if spec.step:
        return where.slider(min_value=float(spec.lo), max_value=float(spec.hi),
                            value=float(spec.default), step=float(spec.step), **common)
    return where.number_input(min_value=float(spec.lo), max_value=float(spec.hi),
                              value=float(spec.default), format="%g",
                              step=float(spec.default or (spec.hi - spec.lo) / 100), **common)


def _apply(cls, values: dict) -> None:
    """Callback for presets and reset: write every field's widget state."""
    base = cls(**values)
    for spec in specs(cls):
        st.session_state[spec.name] = getattr(base, spec.name)


def settings_panel(lesson: Lesson, where=None) -> Settings | None:
    """Presets, the seed-defaults reset and one widget per field, grouped.

    Returns the settings, or None (with an error shown) when the fields are
    valid one by one but not together; the widgets keep what the user chose.
    """
    where = where or st.sidebar
    cls = lesson.settings_cls
    with where:
        st.button("↺ Seed defaults", key="reset_seed_defaults", type="primary",
                  on_click=_apply, args=(cls, {}), help=SEED_NOTE, width="stretch")
        with st.expander("Presets", expanded=False):
            for name, changes in lesson.presets.items():
                st.button(name, key=f"preset_{name}", on_click=_apply, args=(cls, changes),
                          width="stretch")
        values = {}
        for group, title in GROUPS.items():
            fields = [s for s in specs(cls) if s.group == group]
            if fields:
                st.subheader(title)
                for spec in fields:
                    values[spec.name] = _value(spec, widget(spec))
    try:
        settings = cls(**values)
    except SettingsError as err:
        st.error(f"These settings do not fit together: {err}")
        return None
    changed = settings.changed()
    if changed:
        where.caption("Changed from the seed: " + ", ".join(f"{k} = {v}" for k, v in changed.items()))
    return settings


def _value(spec: Spec, raw):
    """Widgets return floats for int fields in some cases; keep the field's type."""
    if raw is None:
        return spec.default
    return spec.type(raw) if spec.type in (int, float) else raw


# -- the model: summary table and diagram -------------------------------------------
@st.cache_data(show_spinner=False, max_entries=256)
def _model_view(settings: Settings):
    graph = get_lesson(type(settings).lesson_id).architecture(settings)
    rows = [{"layer": r.name, "type": r.type, "output shape": r.output_shape,
             "params": r.params, "connected to": ", ".join(r.inbound)}
            for r in summary_rows(graph)]
    return graph, rows


def graph_or_error(settings: Settings | None):
    """The Graph for these settings, or None after showing why it cannot be built."""
    if settings is None:
        return None
    try:
        return _model_view(settings)[0]
    except SettingsError as err:
        st.error(f"This network cannot be built: {err}")
        return None


def model_view(settings: Settings | None, rankdir: str = "TB", where=st):
    """Parameter count, the summary table and the diagram side by side."""
    graph = graph_or_error(settings)
    if graph is None:
        return None
    rows = _model_view(settings)[1]
    with where.container():
        a, b, c = st.columns(3)
        a.metric("Parameters", f"{graph.params:,}")
        b.metric("Layers", len(graph.nodes))
        c.metric("Inputs → outputs", f"{len(graph.inputs)} → {len(graph.outputs)}")
        diagram, table = st.tabs(["Diagram", "Summary table"])
        with diagram:
            st.graphviz_chart(to_dot(graph, rankdir=rankdir), width="stretch")
        with table:
            st.dataframe(rows, hide_index=True, width="stretch")
            st.caption(f"Total params: {graph.params:,} · trainable: {graph.params:,} · "
                       "non-trainable: 0")
    return graph


def table(rows: list[dict], **kw) -> None:
    st.dataframe(rows, hide_index=True, width="stretch", **kw)


def chart(fig, key: str | None = None) -> None:
    st.plotly_chart(fig, width="stretch", key=key, config={"displaylogo": False})


def apply_preset(lesson: Lesson, name: str) -> None:
    """Callback: set every widget to a named preset of the lesson."""
    _apply(lesson.settings_cls, lesson.presets[name])


@st.cache_data(show_spinner=False, max_entries=16)
def dataset(settings: Settings):
    """The lesson's data (NumPy only), for examples, ground truth and fit plots."""
    from mbcore.tasks import make_data
    return make_data(settings)


# -- training ----------------------------------------------------------------------
def train_panel(settings: Settings, live=None):
    """Train / Stop, progress and live curves; returns the finished run or None."""
    st.subheader("Training")
    st.button("▶ Train", key="train", type="primary", disabled=True)
    st.caption("Training arrives with the job runner (mbcore/jobs.py).")
    return None


def compare_panel(name: str, label: str, variants: dict, metric: str = "loss", params=None):
    """Several trainings side by side, curves overlaid; returns finished runs by name."""
    st.button(f"▶ {label}", key=f"{name}_start", type="primary", disabled=True)
    return {}


def final_metrics(run, named: dict | None = None) -> None:
    """Headline numbers after training: chosen metrics, then wall time."""
